package io.otaflow.bridge.desired;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.ImageFormat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the firmware a Configuration names into a {@link FirmwareImage} the workers can fetch and
 * verify. A file or http(s) image is read once to check that its bytes match {@code FIRMWARE_SHA256}
 * and to learn its size, so a wrong digest shows up on the Configuration, not on a thousand devices.
 * A registry reference is resolved through the OCI distribution API: its manifest's single layer is
 * the image, the layer digest its sha256, the blob URL its location. Results are cached by what
 * they were resolved from, so resyncs cost nothing.
 */
public final class ImageResolver {
    private static final String MANIFEST_TYPES = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http;
    private final Duration timeout;
    private final long maxBytes;
    private final Map<String, FirmwareImage> resolved = new ConcurrentHashMap<>();

    public ImageResolver(Duration timeout, long maxBytes) {
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NORMAL).build();
        this.timeout = timeout;
        this.maxBytes = maxBytes;
    }

    public FirmwareImage resolve(FirmwareProperties firmware) throws InvalidFirmwareException {
        String key = firmware.uri().map(URI::toString).orElse(firmware.reference().map(OciReference::toString).orElse(""))
                + "#" + firmware.sha256().orElse("") + "#" + firmware.signature().orElse("");
        FirmwareImage image = resolved.get(key);
        if (image == null) {
            image = firmware.uri().isPresent() ? fetched(firmware, firmware.uri().get()) : fromRegistry(firmware, firmware.reference().orElseThrow());
            resolved.put(key, image);
        }
        return image;
    }

    private FirmwareImage fetched(FirmwareProperties firmware, URI uri) throws InvalidFirmwareException {
        MessageDigest sha256 = sha256();
        long size = 0;
        try (InputStream in = open(uri)) {
            byte[] buffer = new byte[64 * 1024];
            for (int n; (n = in.read(buffer)) > 0; ) {
                size += n;
                if (size > maxBytes) {
                    throw new InvalidFirmwareException("ImageTooLarge", uri + " is larger than " + maxBytes + " bytes");
                }
                sha256.update(buffer, 0, n);
            }
        } catch (NoSuchFileException e) {
            throw new InvalidFirmwareException("ImageUnreachable", "no file " + e.getFile(), true, e);
        } catch (IOException e) {
            throw new InvalidFirmwareException("ImageUnreachable", "cannot read " + uri + ": " + e.getMessage(), true, e);
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        String expected = firmware.sha256().orElseThrow();
        if (!actual.equals(expected)) {
            throw new InvalidFirmwareException("DigestMismatch", uri + " has sha256 " + actual + ", FIRMWARE_SHA256 says " + expected);
        }
        return image(uri.toString(), actual, size, firmware, uri.getPath());
    }

    private InputStream open(URI uri) throws IOException {
        if ("file".equalsIgnoreCase(uri.getScheme())) {
            return Files.newInputStream(Path.of(uri));
        }
        HttpResponse<InputStream> response = send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build());
        if (response.statusCode() != 200) {
            response.body().close();
            throw new IOException("HTTP " + response.statusCode());
        }
        return response.body();
    }

    private FirmwareImage fromRegistry(FirmwareProperties firmware, OciReference reference) throws InvalidFirmwareException {
        String base = (local(reference.registry()) ? "http://" : "https://") + reference.registry() + "/v2/" + reference.repository();
        URI manifestUri = URI.create(base + "/manifests/" + reference.tag());
        JsonNode manifest;
        try {
            HttpResponse<InputStream> response = send(HttpRequest.newBuilder(manifestUri).timeout(timeout)
                    .header("Accept", MANIFEST_TYPES).GET().build());
            try (InputStream body = response.body()) {
                if (response.statusCode() == 404) {
                    throw new InvalidFirmwareException("ImageNotFound", "registry has no " + reference);
                }
                if (response.statusCode() == 401 || response.statusCode() == 403) {
                    throw new InvalidFirmwareException("RegistryAuthRequired", reference.registry() + " wants credentials for " + reference
                            + "; otaflow pulls anonymously, so give FIRMWARE_URI and FIRMWARE_SHA256 for images behind authentication");
                }
                if (response.statusCode() != 200) {
                    throw new IOException("HTTP " + response.statusCode());
                }
                manifest = JSON.readTree(body.readNBytes(1 << 20));
            }
        } catch (IOException e) {
            throw new InvalidFirmwareException("ImageUnreachable", "cannot read the manifest of " + reference + ": " + e.getMessage(), true, e);
        }
        JsonNode layers = manifest.path("layers");
        if (!layers.isArray() || layers.size() != 1) {
            throw new InvalidFirmwareException("InvalidManifest", reference + " has " + layers.size()
                    + " layers; otaflow expects exactly one, the firmware image");
        }
        JsonNode layer = layers.get(0);
        String digest = layer.path("digest").asText("");
        long size = layer.path("size").asLong(-1);
        if (!digest.matches("sha256:[0-9a-f]{64}") || size <= 0 || size > maxBytes) {
            throw new InvalidFirmwareException("InvalidManifest", reference + ": layer digest '" + digest + "' or size " + size + " is unusable");
        }
        String sha256 = digest.substring("sha256:".length());
        if (firmware.sha256().isPresent() && !firmware.sha256().get().equals(sha256)) {
            throw new InvalidFirmwareException("DigestMismatch", reference + " has sha256 " + sha256 + ", FIRMWARE_SHA256 says " + firmware.sha256().get());
        }
        String title = layer.path("annotations").path("org.opencontainers.image.title").asText("");
        return image(base + "/blobs/" + digest, sha256, size, firmware, title);
    }

    private HttpResponse<InputStream> send(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static FirmwareImage image(String uri, String sha256, long size, FirmwareProperties firmware, String name) {
        ImageFormat format = name != null && name.toLowerCase(Locale.ROOT).endsWith(".elf") ? ImageFormat.ELF : ImageFormat.BIN;
        return FirmwareImage.newBuilder().setUri(uri).setSha256(sha256).setSize(size)
                .setSignature(firmware.signature().orElse(null)).setFormat(format).build();
    }

    /** Docker's rule: registries on the loopback are spoken to in plain HTTP. */
    private static boolean local(String registry) {
        String host = registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("[::1]");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
