package io.otaflow.bridge.desired;

import com.sun.net.httpserver.HttpServer;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.ImageFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Images named by file, by URL and by registry reference, against a loopback HTTP server that
 * answers the OCI distribution API's manifest route the way registry:2 does.
 */
class ImageResolverIT {
    private static final byte[] IMAGE = "picow-blink 1.1.0 firmware".getBytes(StandardCharsets.UTF_8);
    private HttpServer server;
    private String registry;
    private int manifestRequests;

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    @BeforeEach
    void startRegistry() throws Exception {
        String digest = "sha256:" + sha256(IMAGE);
        String manifest = """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
                 "config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},
                 "layers":[{"mediaType":"application/vnd.otaflow.firmware.v1","digest":"%s","size":%d,
                            "annotations":{"org.opencontainers.image.title":"picow-blink.elf"}}]}
                """.formatted(digest, IMAGE.length);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            byte[] body;
            int code = 200;
            if (path.equals("/v2/firmware/picow-blink/manifests/1.1.0")) {
                manifestRequests++;
                body = manifest.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            } else if (path.equals("/v2/firmware/picow-blink/blobs/" + digest) || path.equals("/files/blink.bin")) {
                body = IMAGE;
            } else if (path.startsWith("/v2/private/")) {
                code = 401;
                body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}".getBytes(StandardCharsets.UTF_8);
            } else {
                code = 404;
                body = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".getBytes(StandardCharsets.UTF_8);
            }
            exchange.sendResponseHeaders(code, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        registry = "localhost:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopRegistry() {
        server.stop(0);
    }

    @Test
    void aRegistryReferenceResolvesToTheLayerBlob_once() throws Exception {
        ImageResolver resolver = new ImageResolver(Duration.ofSeconds(5), 1 << 20);
        FirmwareProperties firmware = FirmwareProperties.parse(Map.of("FIRMWARE", registry + "/firmware/picow-blink:1.1.0")).orElseThrow();
        FirmwareImage image = resolver.resolve(firmware);
        assertThat(image.getSha256()).isEqualTo(sha256(IMAGE));
        assertThat(image.getSize()).isEqualTo(IMAGE.length);
        assertThat(image.getUri()).isEqualTo("http://" + registry + "/v2/firmware/picow-blink/blobs/sha256:" + sha256(IMAGE));
        assertThat(image.getFormat()).isEqualTo(ImageFormat.ELF);
        resolver.resolve(firmware);
        assertThat(manifestRequests).as("resolved once, then cached").isEqualTo(1);

        // The blob URL is a plain download: what the workers fetch is what the digest says.
        var http = java.net.http.HttpClient.newHttpClient();
        byte[] fetched = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(image.getUri())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
        assertThat(sha256(fetched)).isEqualTo(image.getSha256());
    }

    @Test
    void registryProblemsAreNamed() throws Exception {
        ImageResolver resolver = new ImageResolver(Duration.ofSeconds(5), 1 << 20);
        assertReason(resolver, Map.of("FIRMWARE", registry + "/firmware/picow-blink:9.9.9"), "ImageNotFound");
        assertReason(resolver, Map.of("FIRMWARE", registry + "/private/picow-blink:1.1.0"), "RegistryAuthRequired");
        assertReason(resolver, Map.of("FIRMWARE", registry + "/firmware/picow-blink:1.1.0", "FIRMWARE_SHA256", "0".repeat(64)), "DigestMismatch");
        assertReason(resolver, Map.of("FIRMWARE", "localhost:1/firmware/picow-blink:1.1.0"), "ImageUnreachable");
    }

    @Test
    void fileAndHttpImagesAreReadToCheckTheirDigestAndLearnTheirSize(@TempDir Path dir) throws Exception {
        ImageResolver resolver = new ImageResolver(Duration.ofSeconds(5), 1 << 20);
        Path file = Files.write(dir.resolve("blink.bin"), IMAGE);
        FirmwareImage fromFile = resolver.resolve(FirmwareProperties.parse(Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0",
                "FIRMWARE_URI", file.toUri().toString(), "FIRMWARE_SHA256", sha256(IMAGE))).orElseThrow());
        assertThat(fromFile.getSize()).isEqualTo(IMAGE.length);
        assertThat(fromFile.getFormat()).isEqualTo(ImageFormat.BIN);
        FirmwareImage fromHttp = resolver.resolve(FirmwareProperties.parse(Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0",
                "FIRMWARE_URI", "http://" + registry + "/files/blink.bin", "FIRMWARE_SHA256", sha256(IMAGE))).orElseThrow());
        assertThat(fromHttp.getSha256()).isEqualTo(sha256(IMAGE));

        assertReason(resolver, Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0", "FIRMWARE_URI", "http://" + registry + "/files/none.bin",
                "FIRMWARE_SHA256", sha256(IMAGE)), "ImageUnreachable");
        ImageResolver small = new ImageResolver(Duration.ofSeconds(5), 10);
        assertReason(small, Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0", "FIRMWARE_URI", file.toUri().toString(),
                "FIRMWARE_SHA256", sha256(IMAGE)), "ImageTooLarge");
    }

    private static void assertReason(ImageResolver resolver, Map<String, String> properties, String reason) throws Exception {
        FirmwareProperties firmware = FirmwareProperties.parse(properties).orElseThrow();
        assertThatThrownBy(() -> resolver.resolve(firmware)).isInstanceOf(InvalidFirmwareException.class)
                .satisfies(e -> assertThat(((InvalidFirmwareException) e).reason()).isEqualTo(reason));
    }
}
