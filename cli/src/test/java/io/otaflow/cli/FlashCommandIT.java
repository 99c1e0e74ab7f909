package io.otaflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code otaflow flash}, the paper's Job per flash: configured by environment variables, exit code 0 only at the target. */
class FlashCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Cli.Result flash(Map<String, String> env) throws Exception {
        return Cli.run(env, "flash", "--allow-unsigned", "--post-connect-pause-ms", "0", "--timeout", "PT30S");
    }

    @Test
    void aJobFlashesOneDeviceAndExitsZeroOnlyAtTheTarget(@TempDir Path work) throws Exception {
        Path endpoints = work.resolve("fleet.jsonl");
        Process simulate = Cli.command("simulate", "--devices", "1", "--addressing", "ports", "--endpoints-file", endpoints.toString())
                .redirectOutput(work.resolve("sim.out").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(endpoints) && !Files.readAllLines(endpoints).isEmpty());
            JsonNode device = JSON.readTree(Files.readAllLines(endpoints).get(0));
            HttpClient http = HttpClient.newHttpClient();
            String metadataUrl = device.path("http").asText() + "/api/v1/metadata";
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() ->
                    http.send(HttpRequest.newBuilder(URI.create(metadataUrl)).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

            Path image = work.resolve("blink-1.1.0.bin");
            assertThat(Cli.run("firmware", "build", "--type", "blink", "--version", "1.1.0", "--size", "64KiB", "-o", image.toString())
                    .exitCode()).isZero();
            byte[] bytes = Files.readAllBytes(image);
            String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
            Map<String, String> env = Map.of("HOST_ENDPOINT", device.path("http").asText(), "OTA_ENDPOINT", device.path("ota").asText(),
                    "DEVICE_ID", device.path("deviceId").asText(), "FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0",
                    "FIRMWARE_URI", image.toUri().toString(), "FIRMWARE_SHA256", sha256, "FIRMWARE_SIZE", String.valueOf(bytes.length));

            Cli.Result flashed = flash(env);
            assertThat(flashed.exitCode()).as(flashed.output()).isZero();
            assertThat(flashed.output()).contains("WRITING").contains("SUCCEEDED");
            JsonNode after = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(metadataUrl)).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertThat(after.path("firmwareVersion").asText()).isEqualTo("1.1.0");

            Cli.Result again = flash(env);
            assertThat(again.exitCode()).as("already at the target is success").isZero();
            assertThat(again.output()).contains("ALREADY_AT_TARGET");

            Map<String, String> wrongHash = new java.util.HashMap<>(env);
            wrongHash.put("FIRMWARE_SHA256", "ab".repeat(32));
            wrongHash.put("FIRMWARE_VERSION", "1.1.0");
            Cli.Result refused = flash(wrongHash);
            assertThat(refused.exitCode()).isEqualTo(1);
            assertThat(refused.output()).contains("IMAGE_HASH_MISMATCH");

            Map<String, String> missing = new java.util.HashMap<>(env);
            missing.remove("FIRMWARE_URI");
            Cli.Result unusable = flash(missing);
            assertThat(unusable.exitCode()).isEqualTo(1);
            assertThat(unusable.output()).contains("FIRMWARE_URI is required");
        } finally {
            simulate.destroy();
            simulate.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
