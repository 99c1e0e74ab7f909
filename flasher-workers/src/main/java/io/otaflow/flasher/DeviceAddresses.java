package io.otaflow.flasher;

import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where a command's device answers: its app over HTTP and its bootloader (picowota, TCP 4242
 * unless the command names another port). Read once, before anything else, so a malformed
 * endpoint is an INVALID_COMMAND verdict, not an exception in the middle of a flash.
 */
public record DeviceAddresses(String app, InetSocketAddress ota) {
    static final int PICOWOTA_PORT = 4242;

    public static DeviceAddresses of(FlashCommand command) throws FlashFailure {
        String endpoint = command.getEndpoint();
        URI uri;
        try {
            uri = new URI(endpoint == null ? "" : endpoint);
        } catch (URISyntaxException e) {
            throw invalid("endpoint '" + endpoint + "' is not a URI: " + e.getMessage());
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            throw invalid("endpoint '" + endpoint + "' is not an http(s) URL with a host");
        }
        String ota = command.getOtaEndpoint();
        if (ota == null || ota.isBlank()) {
            return new DeviceAddresses(stripSlash(endpoint), new InetSocketAddress(uri.getHost(), PICOWOTA_PORT));
        }
        int colon = ota.lastIndexOf(':');
        if (colon <= 0 || colon == ota.length() - 1) {
            throw invalid("OTA endpoint '" + ota + "' is not host:port");
        }
        int port;
        try {
            port = Integer.parseInt(ota.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw invalid("OTA endpoint '" + ota + "' has a port that is not a number");
        }
        if (port < 1 || port > 65_535) {
            throw invalid("OTA endpoint '" + ota + "' has port " + port + ", outside 1-65535");
        }
        String host = ota.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1); // an IPv6 literal
        }
        return new DeviceAddresses(stripSlash(endpoint), new InetSocketAddress(host, port));
    }

    private static String stripSlash(String endpoint) {
        return endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint;
    }

    private static FlashFailure invalid(String message) {
        return new FlashFailure(FlashErrorCode.INVALID_COMMAND, message);
    }
}
