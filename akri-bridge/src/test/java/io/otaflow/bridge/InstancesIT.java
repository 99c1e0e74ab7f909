package io.otaflow.bridge;

import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.status.Conditions;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.Source;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Instances become discovery events; device state, flash progress and rollout status come back as status. */
@ExtendWith(SharedDevStack.class)
class InstancesIT {

    static String instance(String name, String configuration, Map<String, String> properties) {
        StringBuilder yaml = new StringBuilder("""
                apiVersion: akri.sh/v0
                kind: Instance
                metadata:
                  name: %s
                spec:
                  configurationName: %s
                  cdiName: akri.sh/%s=%s
                  capacity: 1
                  shared: false
                  nodes: ["edge-node-1"]
                  deviceUsage:
                    %s-0: ""
                  brokerProperties:
                """.formatted(name, configuration, configuration, name, name));
        properties.forEach((k, v) -> yaml.append("    ").append(k).append(": \"").append(v).append("\"\n"));
        return yaml.toString();
    }

    @SuppressWarnings("unchecked")
    private static <T> T at(Map<String, Object> map, String... path) {
        Object value = map;
        for (String step : path) {
            value = value instanceof Map<?, ?> m ? m.get(step) : null;
        }
        return (T) value;
    }

    private static String condition(Map<String, Object> status, String type, String field) {
        return status == null || Conditions.of(status) == null ? null : Conditions.of(status).stream()
                .filter(c -> c.get("type").equals(type)).map(c -> String.valueOf(c.get(field))).findFirst().orElse(null);
    }

    @Test
    void anInstanceIsADiscoveredDevice_andItsDeletionADeviceGone(DevStack stack) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            fixture.leadingBridge(Map.of());
            // As otaflow's own discovery handler reports a device (URL endpoint, firmware properties).
            fixture.create(Akri.INSTANCE, instance("picow-blink-1a2b3c", "picow-blink", Map.of(
                    "DEVICE_ID", "pico-0001", "HOST_ENDPOINT", "http://127.10.0.1:8080", "OTA_ENDPOINT", "127.10.0.1:4242",
                    "FW_TYPE", "blink", "FW_VERSION", "1.0.0", "FW_LOCKED", "true", "FIRMWARE", "ghcr.io/x/blink:1.1.0")));
            // As the paper's handler reports one: a bare IP, no id, and a secret among the properties.
            fixture.create(Akri.INSTANCE, instance("picow-blink-4d5e6f", "picow-blink", Map.of(
                    "HOST_ENDPOINT", "192.168.1.23", "AKRI_HTTP", "http", "AUTH_USER", "admin", "AUTH_PASS", "s3cret")));

            DiscoveryEvent ours = fixture.read(fixture.topics.deviceDiscovery(), e -> e.getDeviceId().equals("pico-0001"), 1).getFirst();
            assertThat(ours.getPresent()).isTrue();
            assertThat(ours.getMode()).isEqualTo(DeviceMode.APP);
            assertThat(ours.getSource()).isEqualTo(Source.AKRI);
            assertThat(ours.getConfiguration()).isEqualTo(fixture.key("picow-blink"));
            assertThat(ours.getEndpoint()).isEqualTo("http://127.10.0.1:8080");
            assertThat(ours.getOtaEndpoint()).isEqualTo("127.10.0.1:4242");
            assertThat(ours.getNode()).isEqualTo("edge-node-1");
            DeviceReport report = fixture.read(fixture.topics.deviceReports(), r -> r.getDeviceId().equals("pico-0001"), 1).getFirst();
            assertThat(report.getFirmwareType()).isEqualTo("blink");
            assertThat(report.getFirmwareVersion()).isEqualTo("1.0.0");
            assertThat(report.getLocked()).isTrue();
            assertThat(report.getSource()).isEqualTo(Source.AKRI);

            DiscoveryEvent papers = fixture.read(fixture.topics.deviceDiscovery(), e -> e.getDeviceId().equals("picow-blink-4d5e6f"), 1).getFirst();
            assertThat(papers.getEndpoint()).isEqualTo("http://192.168.1.23");
            assertThat(papers.getOtaEndpoint()).isEqualTo("192.168.1.23:4242");
            assertThat(papers.getProperties()).containsEntry("AUTH_USER", "admin").doesNotContainKey("AUTH_PASS");

            fixture.client.genericKubernetesResources(Akri.INSTANCE).inNamespace(fixture.namespace).withName("picow-blink-1a2b3c").delete();
            DiscoveryEvent gone = fixture.read(fixture.topics.deviceDiscovery(), e -> e.getDeviceId().equals("pico-0001") && !e.getPresent(), 1).getFirst();
            assertThat(gone.getConfiguration()).isEqualTo(fixture.key("picow-blink"));
            assertThat(gone.getObservedAt()).isAfterOrEqualTo(ours.getObservedAt());
        }
    }

    @Test
    void deviceStateAndProgressLandInInstanceStatus_onlyWhenSomethingChanged(DevStack stack) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            AkriBridge bridge = fixture.leadingBridge(Map.of());
            fixture.create(Akri.INSTANCE, instance("picow-blink-000001", "picow-blink", Map.of("DEVICE_ID", "pico-1", "HOST_ENDPOINT", "http://127.10.0.1:8080")));
            Instant t0 = Instant.now().minusSeconds(30);
            FirmwareRef target = new FirmwareRef("blink", "1.1.0");
            FlashSummary writing = FlashSummary.newBuilder().setCommandId("cmd-1").setConfiguration(fixture.key("picow-blink")).setGeneration(1)
                    .setAttempt(1).setPhase(FlashPhase.WRITING).setTarget(target).setBytesWritten(1024).setBytesTotal(4096)
                    .setStartedAt(t0).setUpdatedAt(t0.plusSeconds(2)).build();
            DeviceState inFlight = DeviceState.newBuilder().setDeviceId("pico-1").setOnline(false).setMode(DeviceMode.BOOTLOADER)
                    .setConfiguration(fixture.key("picow-blink")).setFirmware(new FirmwareRef("blink", "1.0.0")).setLocked(false)
                    .setLastSeen(t0).setCurrentFlash(writing).setEligibility(EligibilityClass.IN_FLIGHT).setEligibilityGeneration(1L).build();
            fixture.produce(fixture.topics.deviceState(), "pico-1", inFlight);

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Map<String, Object> status = fixture.status(Akri.INSTANCE, "picow-blink-000001");
                assertThat(status).isNotNull();
                assertThat(InstancesIT.<String>at(status, "firmware", "version")).isEqualTo("1.0.0");
                assertThat(InstancesIT.<String>at(status, "firmware", "mode")).isEqualTo("BOOTLOADER");
                assertThat(InstancesIT.<String>at(status, "update", "phase")).isEqualTo("WRITING");
                assertThat(InstancesIT.<Number>at(status, "update", "progress").intValue()).isEqualTo(25);
                assertThat(InstancesIT.<String>at(status, "update", "targetVersion")).isEqualTo("1.1.0");
                assertThat(condition(status, "UpToDate", "reason")).isEqualTo("Updating");
                assertThat(condition(status, "Updating", "status")).isEqualTo("True");
            });
            // The spec is Akri's: untouched.
            assertThat(Akri.brokerProperties(fixture.get(Akri.INSTANCE, "picow-blink-000001"))).containsEntry("DEVICE_ID", "pico-1");

            // Progress runs ahead of the topology: the failure shows at once, with its error.
            fixture.produce(fixture.topics.flashProgress(), "pico-1", FlashProgress.newBuilder().setCommandId("cmd-1").setDeviceId("pico-1")
                    .setConfiguration(fixture.key("picow-blink")).setGeneration(1L).setAttempt(1).setPhase(FlashPhase.FAILED)
                    .setError(new FlashError(FlashErrorCode.BOOT_FAILED, "app did not come back", false, FlashPhase.BOOTING, true))
                    .setTarget(target).setWorker("w1").setAt(t0.plusSeconds(20)).setTerminal(true).build());
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Map<String, Object> status = fixture.status(Akri.INSTANCE, "picow-blink-000001");
                assertThat(InstancesIT.<String>at(status, "update", "phase")).isEqualTo("FAILED");
                assertThat(InstancesIT.<String>at(status, "update", "lastError", "code")).isEqualTo("BOOT_FAILED");
                assertThat(InstancesIT.<String>at(status, "update", "finishedAt")).isNotNull();
                assertThat(condition(status, "Updating", "reason")).isEqualTo("Failed");
            });

            // Then the topology catches up, a rollback succeeds, and the device is up to date.
            FlashSummary rolledBack = FlashSummary.newBuilder(writing).setCommandId("cmd-2").setRollback(true).setPhase(FlashPhase.SUCCEEDED)
                    .setTarget(new FirmwareRef("blink", "1.0.0")).setBytesWritten(4096).setStartedAt(t0.plusSeconds(25))
                    .setUpdatedAt(t0.plusSeconds(28)).setFinishedAt(t0.plusSeconds(28)).build();
            DeviceState done = DeviceState.newBuilder(inFlight).setOnline(true).setMode(DeviceMode.APP).setCurrentFlash(rolledBack)
                    .setEligibility(EligibilityClass.FAILED).build();
            fixture.produce(fixture.topics.deviceState(), "pico-1", done);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Map<String, Object> status = fixture.status(Akri.INSTANCE, "picow-blink-000001");
                assertThat(InstancesIT.<String>at(status, "update", "commandId")).isEqualTo("cmd-2");
                assertThat(InstancesIT.<String>at(status, "update", "phase")).isEqualTo("SUCCEEDED");
                assertThat(InstancesIT.<Object>at(status, "update", "lastError")).isNull();
                assertThat(condition(status, "UpToDate", "reason")).isEqualTo("UpdateFailed");
                assertThat(condition(status, "Updating", "message")).contains("rollback to blink 1.0.0");
            });
            await().atMost(Duration.ofSeconds(10)).until(fixture::bridgeIdle);
            long patches = bridge.statusPatches();

            // The same state again, and a late intermediate event of the finished command: no API call.
            fixture.produce(fixture.topics.deviceState(), "pico-1", done);
            fixture.produce(fixture.topics.flashProgress(), "pico-1", FlashProgress.newBuilder().setCommandId("cmd-1").setDeviceId("pico-1")
                    .setAttempt(1).setPhase(FlashPhase.VERIFYING).setWorker("w1").setAt(t0.plusSeconds(10)).build());
            fixture.read(fixture.topics.flashProgress(), p -> p.getPhase() == FlashPhase.VERIFYING, 1);
            await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10)).until(fixture::bridgeIdle);
            assertThat(bridge.statusPatches()).isEqualTo(patches);
        }
    }

    @Test
    void rolloutStatusLandsInConfigurationStatus(DevStack stack) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            fixture.leadingBridge(Map.of());
            fixture.create(Akri.CONFIGURATION, """
                    apiVersion: akri.sh/v0
                    kind: Configuration
                    metadata:
                      name: picow-blink
                    spec:
                      discoveryHandler:
                        name: otaflow-http
                        discoveryDetails: ""
                      capacity: 1
                    """);
            RolloutCounts counts = RolloutCounts.newBuilder().setTotal(10).setUpToDate(6).setLocked(1).setEligible(0).setInFlight(2)
                    .setSucceeded(5).setFailed(1).setSkipped(0).setTypeMismatch(0).setDowngradeRefused(0).setOffline(0).setRolledBack(1).build();
            fixture.produce(fixture.topics.rolloutStatus(), fixture.key("picow-blink"), RolloutStatus.newBuilder()
                    .setConfiguration(fixture.key("picow-blink")).setGeneration(3).setTarget(new FirmwareRef("blink", "1.1.0"))
                    .setCounts(counts).setState(RolloutState.PROGRESSING).setWave(1).setWaveCount(3)
                    .setStartedAt(Instant.now().minusSeconds(60)).setUpdatedAt(Instant.now()).build());
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Map<String, Object> status = fixture.status(Akri.CONFIGURATION, "picow-blink");
                assertThat(status).isNotNull();
                assertThat(InstancesIT.<String>at(status, "state")).isEqualTo("PROGRESSING");
                assertThat(InstancesIT.<Number>at(status, "generation").longValue()).isEqualTo(3);
                assertThat(InstancesIT.<String>at(status, "target", "version")).isEqualTo("1.1.0");
                assertThat(InstancesIT.<Number>at(status, "wave").intValue()).isEqualTo(1);
                assertThat(InstancesIT.<Number>at(status, "counts", "upToDate").intValue()).isEqualTo(6);
                assertThat(InstancesIT.<Number>at(status, "counts", "inFlight").intValue()).isEqualTo(2);
                assertThat(InstancesIT.<Number>at(status, "counts", "rolledBack").intValue()).isEqualTo(1);
                assertThat(condition(status, "RolloutComplete", "status")).isEqualTo("False");
                assertThat(condition(status, "RolloutComplete", "message")).contains("6/10 up to date");
            });
            Object capacity = fixture.get(Akri.CONFIGURATION, "picow-blink").get("spec", "capacity");
            assertThat(capacity).isEqualTo(1); // the spec is the user's: untouched

            // The Configuration now names firmware, wrongly: the old rollout's figures leave its status.
            fixture.client.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(fixture.namespace).withName("picow-blink")
                    .edit(c -> {
                        @SuppressWarnings("unchecked") Map<String, Object> spec = (Map<String, Object>) c.getAdditionalProperties().get("spec");
                        spec.put("brokerProperties", Map.of("FIRMWARE", "not a reference"));
                        return c;
                    });
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                Map<String, Object> status = fixture.status(Akri.CONFIGURATION, "picow-blink");
                assertThat(condition(status, "FirmwareValid", "reason")).isEqualTo("InvalidReference");
                assertThat(status).doesNotContainKeys("state", "counts", "target", "wave");
            });
        }
    }
}
