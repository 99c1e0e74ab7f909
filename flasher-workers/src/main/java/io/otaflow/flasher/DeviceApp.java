package io.otaflow.flasher;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.schemas.FlashErrorCode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The device's app over HTTP, as the flasher needs it: its metadata, and a reboot into the bootloader. */
final class DeviceApp {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the app says now. */
    record Metadata(String deviceId, String firmwareType, String firmwareVersion, boolean locked) {
    }

    private final HttpClient http;
    private final String authorization;

    DeviceApp(HttpClient http, String authorization) {
        this.http = http;
        this.authorization = authorization;
    }

    Metadata metadata(String endpoint, Duration timeout) throws IOException, InterruptedException, FlashFailure {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + "/api/v1/metadata")).timeout(timeout).GET();
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new FlashFailure(FlashErrorCode.AUTH_FAILED, "the device refused our credentials (HTTP " + response.statusCode() + ")");
        }
        if (response.statusCode() != 200) {
            throw new IOException("metadata answered HTTP " + response.statusCode());
        }
        JsonNode node;
        try {
            node = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IOException("metadata is not JSON", e);
        }
        return new Metadata(node.path("deviceId").asText(), node.path("firmwareType").asText(), node.path("firmwareVersion").asText(),
                node.path("locked").asBoolean(false));
    }

    void rebootToBootloader(String endpoint, Duration timeout) throws IOException, InterruptedException, FlashFailure {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint + "/api/v1/reboot")).timeout(timeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"bootloader\": true}"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            throw new FlashFailure(FlashErrorCode.AUTH_FAILED, "the device refused our credentials (HTTP " + response.statusCode() + ")");
        }
        if (response.statusCode() / 100 != 2) {
            throw new FlashFailure(FlashErrorCode.REBOOT_IGNORED, "reboot answered HTTP " + response.statusCode());
        }
    }
}
