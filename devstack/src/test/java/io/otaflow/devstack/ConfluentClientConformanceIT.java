package io.otaflow.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conformance with a real third-party client: the npm package {@code @kafkajs/confluent-schema-registry}
 * (installed by {@code npm ci} before the ITs, see src/test/node) reads what otaflow's serializer
 * wrote, and otaflow reads what it wrote, both through the embedded registry.
 */
@ExtendWith(SharedDevStack.class)
class ConfluentClientConformanceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path NODE_DIR = Path.of("src/test/node");

    private static String node(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("node", "conformance.js"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(NODE_DIR.toFile()).redirectErrorStream(false).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("node conformance.js did not finish in 60 s");
        }
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(process.exitValue()).as("node conformance.js %s failed: %s", args[0], err).isZero();
        return out;
    }

    @Test
    void theKafkajsClientDecodesWhatOtaflowWrote(DevStack stack) throws Exception {
        String topic = "conformance.java-to-node";
        DeviceReport report = DeviceReport.newBuilder().setDeviceId("pico-42").setFirmwareType("blink")
                .setFirmwareVersion("1.1.0").setLocked(true).setMode(DeviceMode.BOOTLOADER).setUptimeMs(99L)
                .setObservedAt(Instant.ofEpochMilli(1_764_000_000_000L)).setSource(Source.MQTT)
                .setProperties(Map.of("HOST_ENDPOINT", "10.1.2.3")).build();
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        byte[] bytes = new AvroSerializer<DeviceReport>(registry, false).serialize(topic, report);

        JsonNode decoded = JSON.readTree(node("decode", stack.endpoints().schemaRegistry(), HexFormat.of().formatHex(bytes)));

        assertThat(decoded.path("deviceId").asText()).isEqualTo("pico-42");
        assertThat(decoded.path("firmwareVersion").asText()).isEqualTo("1.1.0");
        assertThat(decoded.path("locked").asBoolean()).isTrue();
        assertThat(decoded.path("mode").asText()).isEqualTo("BOOTLOADER");
        assertThat(decoded.path("uptimeMs").asLong()).isEqualTo(99L);
        assertThat(decoded.path("observedAt").asLong()).isEqualTo(1_764_000_000_000L);
        assertThat(decoded.path("properties").path("HOST_ENDPOINT").asText()).isEqualTo("10.1.2.3");
    }

    @Test
    void otaflowDecodesWhatTheKafkajsClientWrote(DevStack stack, @TempDir Path work) throws Exception {
        Path schema = Files.writeString(work.resolve("schema.avsc"), DeviceReport.getClassSchema().toString());
        Path record = Files.writeString(work.resolve("record.json"), """
                {"deviceId":"pico-7","firmwareType":"blink","firmwareVersion":"2.0.0","locked":false,"mode":"APP",
                 "uptimeMs":null,"hardware":"pico_w","observedAt":1764000000123,"source":"HTTP_SCAN",
                 "configuration":"default/picow","properties":{}}""");

        JsonNode encoded = JSON.readTree(node("encode", stack.endpoints().schemaRegistry(),
                "conformance.node-to-java-value", schema.toString(), record.toString()));

        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        // The node client registered through the REST API: otaflow finds the same id under the same subject.
        assertThat(registry.lookup("conformance.node-to-java-value", DeviceReport.getClassSchema()).id())
                .isEqualTo(encoded.path("id").asInt());
        DeviceReport read = new AvroDeserializer<DeviceReport>(registry, DeviceReport.class)
                .deserialize("conformance.node-to-java", HexFormat.of().parseHex(encoded.path("hex").asText()));
        assertThat(read.getDeviceId()).isEqualTo("pico-7");
        assertThat(read.getFirmwareVersion()).isEqualTo("2.0.0");
        assertThat(read.getHardware()).isEqualTo("pico_w");
        assertThat(read.getObservedAt()).isEqualTo(Instant.ofEpochMilli(1_764_000_000_123L));
        assertThat(read.getConfiguration()).isEqualTo("default/picow");
    }
}
