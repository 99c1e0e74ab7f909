package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.status.Conditions;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.Kubectl;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.ImageFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Configurations on the embedded Kubernetes API become desired firmware on Kafka, or a condition that says why not. */
@ExtendWith(SharedDevStack.class)
class ConfigurationsIT {

    static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    static String firmwareConfiguration(String name, String version, Path image, String sha256, String annotations) {
        return """
                apiVersion: akri.sh/v0
                kind: Configuration
                metadata:
                  name: %s
                  annotations:
                %s
                spec:
                  discoveryHandler:
                    name: otaflow-http
                    discoveryDetails: |
                      targets: ["http://127.10.0.1:8080"]
                  capacity: 1
                  brokerProperties:
                    FIRMWARE_TYPE: blink
                    FIRMWARE_VERSION: "%s"
                    FIRMWARE_URI: "%s"
                    FIRMWARE_SHA256: "%s"
                """.formatted(name, annotations.isBlank() ? "    otaflow.io/max-in-flight: \"10\"" : annotations, version, image.toUri(), sha256);
    }

    private static String condition(Map<String, Object> status, String field) {
        return status == null || Conditions.of(status) == null ? null : Conditions.of(status).stream()
                .filter(c -> c.get("type").equals("FirmwareValid")).map(c -> String.valueOf(c.get(field))).findFirst().orElse(null);
    }

    @Test
    void aFirmwareConfigurationYieldsTheDesiredRecord_aPolicyChangeKeepsTheGeneration_aNewVersionStartsOne(DevStack stack, @TempDir Path dir) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            byte[] v110 = "blink 1.1.0 image".getBytes(StandardCharsets.UTF_8);
            Path image = Files.write(dir.resolve("blink-1.1.0.bin"), v110);
            fixture.leadingBridge(Map.of());
            fixture.create(Akri.CONFIGURATION, firmwareConfiguration("picow-blink", "1.1.0", image, sha256(v110), """
                        otaflow.io/max-in-flight: "4"
                        otaflow.io/waves: "1,50%,100%"
                        otaflow.io/selector: "ring=canary"
                    """));
            String key = fixture.key("picow-blink");

            DesiredFirmware desired = fixture.read(fixture.topics.firmwareDesired(), d -> d.getConfiguration().equals(key), 1).getFirst();
            assertThat(desired.getTarget().getFirmwareType()).isEqualTo("blink");
            assertThat(desired.getTarget().getFirmwareVersion()).isEqualTo("1.1.0");
            assertThat(desired.getImage().getUri()).isEqualTo(image.toUri().toString());
            assertThat(desired.getImage().getSha256()).isEqualTo(sha256(v110));
            assertThat(desired.getImage().getSize()).isEqualTo(v110.length);
            assertThat(desired.getImage().getFormat()).isEqualTo(ImageFormat.BIN);
            assertThat(desired.getPolicy().getMaxInFlight()).isEqualTo(4);
            assertThat(desired.getPolicy().getWaves()).hasSize(3);
            assertThat(desired.getSelector()).containsEntry("ring", "canary");
            assertThat(desired.getSource()).isEqualTo("akri");
            long generation = desired.getGeneration();
            assertThat(generation).isGreaterThanOrEqualTo(1);
            assertThat(desired.getPreviousTarget()).isNull();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Map<String, Object> status = fixture.status(Akri.CONFIGURATION, "picow-blink");
                assertThat(condition(status, "status")).isEqualTo("True");
                assertThat(condition(status, "reason")).isEqualTo("Published");
            });

            // Pause through an annotation, with the real kubectl: the same generation, republished with paused=true.
            Path kubeconfig = stack.kubernetes().writeKubeconfig(dir.resolve("kubeconfig"));
            kubectl(kubeconfig, "-n", fixture.namespace, "annotate", "akric", "picow-blink", "otaflow.io/paused=true");
            List<DesiredFirmware> history = fixture.history(fixture.topics.firmwareDesired(), key, 2);
            assertThat(history.get(1).getPolicy().getPaused()).isTrue();
            assertThat(history.get(1).getGeneration()).isEqualTo(generation);

            // What otaflow rollout resume writes besides paused=false: a resume always makes a new record.
            kubectl(kubeconfig, "-n", fixture.namespace, "annotate", "--overwrite", "akric", "picow-blink",
                    "otaflow.io/resumed-at=2026-12-03T12:00:00Z");
            history = fixture.history(fixture.topics.firmwareDesired(), key, 3);
            assertThat(history.get(2).getPolicy().getResumedAt()).isEqualTo(java.time.Instant.parse("2026-12-03T12:00:00Z").toEpochMilli());
            assertThat(history.get(2).getGeneration()).isEqualTo(generation);

            // A new version: a new generation, and the old firmware kept for rollbacks.
            byte[] v120 = "blink 1.2.0 image".getBytes(StandardCharsets.UTF_8);
            Path image2 = Files.write(dir.resolve("blink-1.2.0.bin"), v120);
            fixture.client.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(fixture.namespace).withName("picow-blink")
                    .edit(c -> {
                        Map<String, String> properties = Akri.brokerProperties(c);
                        properties.put("FIRMWARE_VERSION", "1.2.0");
                        properties.put("FIRMWARE_URI", image2.toUri().toString());
                        properties.put("FIRMWARE_SHA256", sha256Unchecked(v120));
                        return c;
                    });
            history = fixture.history(fixture.topics.firmwareDesired(), key, 4);
            DesiredFirmware next = history.get(3);
            assertThat(next.getTarget().getFirmwareVersion()).isEqualTo("1.2.0");
            assertThat(next.getGeneration()).isGreaterThan(generation);
            assertThat(next.getPreviousTarget().getFirmwareVersion()).isEqualTo("1.1.0");
            assertThat(next.getPreviousImage().getSha256()).isEqualTo(sha256(v110));
            assertThat(next.getPolicy().getPaused()).isTrue();

            // Deleting the Configuration retracts its desired firmware.
            fixture.client.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(fixture.namespace).withName("picow-blink").delete();
            history = fixture.history(fixture.topics.firmwareDesired(), key, 5);
            assertThat(history.get(4)).isNull();
            assertThat(history).hasSize(5);
        }
    }

    private static void kubectl(Path kubeconfig, String... args) throws Exception {
        Kubectl.Result run = Kubectl.run(kubeconfig, args);
        assertThat(run.exit()).as("kubectl %s: %s", List.of(args), run.output()).isZero();
    }

    private static String sha256Unchecked(byte[] bytes) {
        try {
            return sha256(bytes);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anInvalidConfigurationGetsItsConditionAndPublishesNothing_untilItIsFixed(DevStack stack, @TempDir Path dir) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            byte[] bytes = "blink 1.1.0".getBytes(StandardCharsets.UTF_8);
            Path image = Files.write(dir.resolve("blink.bin"), bytes);
            fixture.leadingBridge(Map.of());
            fixture.create(Akri.CONFIGURATION, firmwareConfiguration("wrong-digest", "1.1.0", image, "0".repeat(64), ""));
            fixture.create(Akri.CONFIGURATION, firmwareConfiguration("typo", "1.1.0", image, sha256(bytes), "    otaflow.io/max-inflight: \"3\""));
            fixture.create(Akri.CONFIGURATION, firmwareConfiguration("missing-image", "1.1.0", dir.resolve("nope.bin"), sha256(bytes), ""));
            Map<String, String> reasons = Map.of("wrong-digest", "DigestMismatch", "typo", "UnknownAnnotation", "missing-image", "ImageUnreachable");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> reasons.forEach((name, reason) -> {
                Map<String, Object> status = fixture.status(Akri.CONFIGURATION, name);
                assertThat(condition(status, "status")).as(name).isEqualTo("False");
                assertThat(condition(status, "reason")).as(name).isEqualTo(reason);
                assertThat(condition(status, "message")).as(name).isNotBlank();
            }));
            assertThat(condition(fixture.status(Akri.CONFIGURATION, "typo"), "message")).contains("otaflow.io/max-inflight");

            // Fix the typo: now it publishes, and only it.
            fixture.client.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(fixture.namespace).withName("typo")
                    .edit(c -> {
                        c.getMetadata().getAnnotations().remove("otaflow.io/max-inflight");
                        c.getMetadata().getAnnotations().put("otaflow.io/max-in-flight", "3");
                        return c;
                    });
            DesiredFirmware fixed = fixture.read(fixture.topics.firmwareDesired(), d -> true, 1).getFirst();
            assertThat(fixed.getConfiguration()).isEqualTo(fixture.key("typo"));
            assertThat(fixed.getPolicy().getMaxInFlight()).isEqualTo(3);
            await().atMost(Duration.ofSeconds(20)).until(() -> "True".equals(condition(fixture.status(Akri.CONFIGURATION, "typo"), "status")));
            await().atMost(Duration.ofSeconds(10)).until(fixture::bridgeIdle);
            assertThat(fixture.history(fixture.topics.firmwareDesired(), fixture.key("typo"), 1)).hasSize(1);
        }
    }

    @Test
    void akrisOwnExampleConfigurationsAreAcceptedAndLeftAlone(DevStack stack, @TempDir Path dir) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            fixture.leadingBridge(Map.of());
            List<String> examples = List.of("onvif", "udev", "opcua", "debug-echo");
            for (String example : examples) {
                try (InputStream in = ConfigurationsIT.class.getResourceAsStream("/akri-examples/" + example + ".yaml")) {
                    fixture.create(Akri.CONFIGURATION, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
            // A firmware Configuration created after them is reconciled after them (one queue, in order).
            byte[] bytes = "marker".getBytes(StandardCharsets.UTF_8);
            Path image = Files.write(dir.resolve("marker.bin"), bytes);
            fixture.create(Akri.CONFIGURATION, firmwareConfiguration("marker", "1.0.0", image, sha256(bytes), ""));
            List<DesiredFirmware> published = fixture.read(fixture.topics.firmwareDesired(), d -> true, 1);
            await().atMost(Duration.ofSeconds(10)).until(fixture::bridgeIdle);
            assertThat(published).extracting(DesiredFirmware::getConfiguration).containsExactly(fixture.key("marker"));
            for (String name : List.of("akri-onvif", "akri-udev-video", "akri-opcua", "akri-debug-echo-foo")) {
                GenericKubernetesResource configuration = fixture.get(Akri.CONFIGURATION, name);
                assertThat(configuration).as(name).isNotNull();
                assertThat(Akri.status(configuration)).as(name + " status").isNull();
                assertThat(configuration.getMetadata().getAnnotations()).as(name + " annotations").isNullOrEmpty();
            }
        }
    }
}
