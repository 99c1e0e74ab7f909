package io.otaflow.cli;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.cli.demo.DemoRun;
import io.otaflow.cli.demo.DemoSummary;
import io.otaflow.cli.demo.ProgressView;
import io.otaflow.simulators.device.TimingProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * The whole pipeline end to end on the embedded platform: 200 simulated devices with faults
 * (locked, a dropped connection, firmware that does not boot, unreachable), discovered through the
 * Akri agent stand-in and otaflow's discovery handler, updated by the topology, two flasher workers
 * and the bridge. The same checks as {@code otaflow demo}'s exit code, plus the Instances' status.
 */
class DemoIT {
    @Test
    void twoHundredDevicesWithFaultsAreUpdatedAndEveryInstanceSaysSo(@TempDir Path work) throws Exception {
        StringWriter log = new StringWriter();
        DemoRun.Options options = new DemoRun.Options(200, "locked=4%,drop-after:48KiB=2%,no-boot=2%,unreachable:10m=2%",
                TimingProfile.FAST, 96 * 1024, 40, "10%,50%,100%", 0.75, 7, Duration.ofMinutes(6), work);
        try (DemoRun run = new DemoRun(options, new PrintWriter(log, true))) {
            DemoSummary summary = run.run(new ProgressView(new PrintWriter(log, true), false));
            System.out.println(log);
            assertThat(summary.healthyMissed()).as("healthy unlocked devices not at the target").isEmpty();
            assertThat(summary.lockedTouched()).as("locked devices touched").isEmpty();
            assertThat(summary.unexplained()).as("failures without an explanation").isEmpty();
            assertThat(summary.duplicateCommands()).as("second commands for one generation and attempt").isZero();
            assertThat(summary.locked()).isEqualTo(8);
            assertThat(summary.updated()).isGreaterThanOrEqualTo(200 - 8 - 4 - 4 - 4);
            // A no-boot device cannot run 1.1.0: it is rolled back and runs 1.0.0 again, never left in its bootloader.
            // (The device's state may still name the BOOT_FAILED flash when the rollout's status says COMPLETED.)
            assertThat(summary.failuresByCode()).containsKey("UNREACHABLE").containsAnyOf(entry("ROLLED_BACK", 1), entry("ROLLED_BACK", 2),
                    entry("ROLLED_BACK", 3), entry("ROLLED_BACK", 4));
            assertThat(summary.versionsAfter()).as("every device runs an app").containsOnlyKeys("blink 1.0.0", "blink 1.1.0");
            // A device whose new firmware never boots is judged within its boot time and 5 s, not after a fixed timeout.
            assertThat(summary.noBootVerdicts()).isPositive();
            assertThat(summary.noBootVerdictMaxSeconds()).isLessThanOrEqualTo(summary.deviceBootSeconds() + 5);
            assertThat(summary.versionsAfter()).containsEntry("blink 1.1.0", summary.updated());
            assertThat(summary.passed()).isTrue();

            // Status follows the devices' last state through Kafka: let the bridge catch up before judging it.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> checkInstances(run, summary));
        }
    }

    private static void checkInstances(DemoRun run, DemoSummary summary) {
        {
            List<GenericKubernetesResource> instances = run.kubernetes().genericKubernetesResources(Akri.INSTANCE)
                    .inNamespace(DemoRun.NAMESPACE).list().getItems();
            // The unreachable devices were never discovered; a device whose new firmware does not boot is rolled back
            // and serves its app again, so its Instance stays.
            assertThat(instances.size()).isEqualTo(200 - 4);
            int upToDate = 0;
            int locked = 0;
            for (GenericKubernetesResource instance : instances) {
                Map<String, Object> status = Akri.status(instance);
                assertThat(status).as(instance.getMetadata().getName() + " has status").isNotNull();
                assertThat(instance.<String>get("status", "firmware", "type")).isEqualTo("blink");
                String upToDateReason = condition(status, "UpToDate", "reason");
                if ("1.1.0".equals(instance.get("status", "firmware", "version"))) {
                    upToDate++;
                    assertThat(instance.<String>get("status", "update", "phase")).isEqualTo("SUCCEEDED");
                    assertThat(condition(status, "UpToDate", "status")).isEqualTo("True");
                } else if (Boolean.TRUE.equals(instance.get("status", "firmware", "locked"))) {
                    locked++;
                    assertThat(upToDateReason).isEqualTo("Locked");
                    assertThat(instance.<Object>get("status", "update")).as("a locked device never had an update").isNull();
                } else {
                    assertThat(upToDateReason).as(instance.getMetadata().getName()).isIn("UpdateFailed", "Offline", "Updating");
                }
            }
            assertThat(upToDate).isEqualTo(summary.updated());
            assertThat(locked).isEqualTo(summary.locked());
        }
    }

    @SuppressWarnings("unchecked")
    private static String condition(Map<String, Object> status, String type, String field) {
        List<Map<String, Object>> conditions = (List<Map<String, Object>>) status.get("conditions");
        return conditions.stream().filter(c -> type.equals(c.get("type"))).map(c -> String.valueOf(c.get(field))).findFirst().orElse(null);
    }
}
