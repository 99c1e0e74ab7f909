package io.otaflow.topology;

import io.otaflow.schemas.DeviceState;
import io.otaflow.topology.gate.RolloutGate;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.ThresholdAction;
import io.otaflow.schemas.WaveSpec;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.otaflow.topology.TopologyFixture.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** Every rule of the topology on a TopologyTestDriver: output topics and stores. */
class RolloutTopologyTest {
    private final TopologyFixture f;

    RolloutTopologyTest() throws Exception {
        f = new TopologyFixture();
    }

    @AfterEach
    void close() {
        f.close();
    }

    private void fleet(int n) {
        for (int i = 1; i <= n; i++) {
            f.device(String.format("pico-%02d", i), "blink", "1.0.0", false);
        }
    }

    @Test
    void everyDeviceEndsInOneVisibleClass() {
        f.device("up-to-date", "blink", "1.1.0", false);
        f.device("locked", "blink", "1.0.0", true);
        f.device("camera", "camera", "1.0.0", false);
        f.device("newer", "blink", "2.0.0", false);
        f.device("eligible", "blink", "1.0.0", false);
        f.device("offline", "blink", "1.0.0", false);
        f.absent("offline");
        f.desire("1.1.0", 1, policy().setMaxInFlight(0).build());
        f.tick();

        Map<String, DeviceState> states = f.latestStates();
        assertThat(states.get("up-to-date").getEligibility()).isEqualTo(EligibilityClass.UP_TO_DATE);
        assertThat(states.get("locked").getEligibility()).isEqualTo(EligibilityClass.LOCKED);
        assertThat(states.get("camera").getEligibility()).isEqualTo(EligibilityClass.TYPE_MISMATCH);
        assertThat(states.get("newer").getEligibility()).isEqualTo(EligibilityClass.DOWNGRADE_REFUSED);
        assertThat(states.get("eligible").getEligibility()).isEqualTo(EligibilityClass.ELIGIBLE);
        assertThat(states.get("offline").getEligibility()).isEqualTo(EligibilityClass.OFFLINE);
        assertThat(states.get("eligible").getEligibilityGeneration()).isEqualTo(1L);

        RolloutStatus status = f.lastStatus();
        assertThat(status.getCounts().getTotal()).isEqualTo(6);
        assertThat(status.getCounts().getUpToDate()).isEqualTo(1);
        assertThat(status.getCounts().getLocked()).isEqualTo(1);
        assertThat(status.getCounts().getTypeMismatch()).isEqualTo(1);
        assertThat(status.getCounts().getDowngradeRefused()).isEqualTo(1);
        assertThat(status.getCounts().getOffline()).isEqualTo(1);
        assertThat(status.getCounts().getEligible()).isEqualTo(1);
        KeyValueStore<String, RolloutStatus> store = f.driver.getKeyValueStore(RolloutGate.STATUS_STORE);
        assertThat(store.get(TopologyFixture.CONFIG).getCounts()).isEqualTo(status.getCounts());
    }

    @Test
    void lockedMismatchedAndUpToDateDevicesAreNeverFlashed() {
        f.device("up-to-date", "blink", "1.1.0", false);
        f.device("locked", "blink", "1.0.0", true);
        f.device("camera", "camera", "1.0.0", false);
        f.device("eligible", "blink", "1.0.0", false);
        f.desire("1.1.0", 1, policy().build());
        List<FlashCommand> issued = f.tick();
        assertThat(issued).extracting(FlashCommand::getDeviceId).containsExactly("eligible");
        FlashCommand command = issued.get(0);
        assertThat(command.getTo().getFirmwareVersion()).isEqualTo("1.1.0");
        assertThat(command.getFrom().getFirmwareVersion()).isEqualTo("1.0.0");
        assertThat(command.getAttempt()).isEqualTo(1);
        assertThat(command.getOtaEndpoint()).isEqualTo("eligible:4242");
        assertThat(command.getDeadline()).isAfter(command.getIssuedAt());
        f.finish(command, FlashPhase.SUCCEEDED, null, false);
        f.tick();
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.COMPLETED);
        assertThat(f.latestStates().get("eligible").getFirmware().getFirmwareVersion()).isEqualTo("1.1.0");
    }

    @Test
    void maxInFlightBoundsTheCommandsOut() {
        fleet(10);
        f.desire("1.1.0", 1, policy().setMaxInFlight(3).build());
        List<FlashCommand> first = f.tick();
        assertThat(first).hasSize(3);
        first.forEach(f::accepted);
        assertThat(f.tick(Duration.ofSeconds(5))).as("nothing more while 3 are in flight").isEmpty();
        f.finish(first.get(0), FlashPhase.SUCCEEDED, null, false);
        assertThat(f.tick()).hasSize(1);
    }

    @Test
    void wavesAdvanceOnlyWhenTheSuccessThresholdIsMet() {
        fleet(10);
        f.desire("1.1.0", 1, policy().setMaxInFlight(100).setWaves(List.of(
                WaveSpec.newBuilder().setCount(1).setSuccessThreshold(1.0).setSoakMs(0).build(),
                WaveSpec.newBuilder().setPercent(50.0).setSuccessThreshold(0.9).setSoakMs(5000).build(),
                WaveSpec.newBuilder().setPercent(100.0).setSuccessThreshold(0.9).setSoakMs(0).build())).build());
        List<FlashCommand> canary = f.tick();
        assertThat(canary).hasSize(1);
        assertThat(f.lastStatus().getWave()).isZero();
        assertThat(f.lastStatus().getWaveCount()).isEqualTo(3);
        f.finish(canary.get(0), FlashPhase.SUCCEEDED, null, false);
        List<FlashCommand> second = f.tick();
        assertThat(second).as("wave 2 brings the total to 50%").hasSize(4);
        assertThat(f.lastStatus().getWave()).isEqualTo(1);
        second.forEach(c -> f.finish(c, FlashPhase.SUCCEEDED, null, false));
        assertThat(f.tick()).as("soaking for 5 s").isEmpty();
        assertThat(f.tick(Duration.ofSeconds(5))).hasSize(5);
        assertThat(f.lastStatus().getWave()).isEqualTo(2);
    }

    @Test
    void aFailedCanaryHoldsTheNextWave() {
        fleet(4);
        f.desire("1.1.0", 1, policy().setMaxAttempts(1).setWaves(List.of(
                WaveSpec.newBuilder().setCount(1).setSuccessThreshold(1.0).setSoakMs(0).build())).build());
        List<FlashCommand> canary = f.tick();
        f.finish(canary.get(0), FlashPhase.FAILED, FlashErrorCode.BOOT_FAILED, false);
        assertThat(f.tick(Duration.ofSeconds(10))).isEmpty();
        assertThat(f.lastStatus().getWave()).isZero();
    }

    @Test
    void anErrorRateAboveTheThresholdPausesAfterTheMinimumSample() {
        fleet(10);
        f.desire("1.1.0", 1, policy().setMaxInFlight(4).setMaxAttempts(1).setErrorThreshold(0.25).setMinSampleSize(4)
                .setErrorAction(ThresholdAction.PAUSE).build());
        List<FlashCommand> first = f.tick();
        assertThat(first).hasSize(4);
        f.finish(first.get(0), FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, false);
        f.finish(first.get(1), FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, false);
        f.finish(first.get(2), FlashPhase.SUCCEEDED, null, false);
        f.finish(first.get(3), FlashPhase.SUCCEEDED, null, false);
        // Each of the first three results freed a slot that was taken at once; the fourth crossed the threshold.
        assertThat(f.tick()).hasSize(3);
        assertThat(f.tick(Duration.ofSeconds(10))).isEmpty();
        RolloutStatus status = f.lastStatus();
        assertThat(status.getReasonCode()).isEqualTo(io.otaflow.schemas.RolloutReason.ERROR_THRESHOLD);
        assertThat(status.getState()).isEqualTo(RolloutState.PAUSED);
        assertThat(status.getReason()).contains("error rate 2/4");
        assertThat(status.getFailuresByCode()).containsEntry("CONNECTION_LOST", 2);
        // Republishing the same generation resumes it.
        f.desire("1.1.0", 1, policy().setMaxInFlight(4).setMaxAttempts(1).setErrorThreshold(0.9).setMinSampleSize(4).build());
        assertThat(f.tick()).isNotEmpty();
    }

    @Test
    void aListedFailureCodeAbortsAtOnce() {
        fleet(5);
        f.desire("1.1.0", 1, policy().setMaxInFlight(1).setAbortOnErrorCodes(List.of("IMAGE_SIGNATURE_INVALID")).build());
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.FAILED, FlashErrorCode.IMAGE_SIGNATURE_INVALID, false);
        assertThat(f.tick(Duration.ofSeconds(30))).isEmpty();
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.ABORTED);
        assertThat(f.lastStatus().getReason()).contains("IMAGE_SIGNATURE_INVALID");
    }

    @Test
    void retryableFailuresAreRetriedAfterBackoffUpToTheAttemptLimit() {
        fleet(1);
        f.desire("1.1.0", 1, policy().setMaxAttempts(2).setRetryBackoffMs(10_000).build());
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.FAILED, FlashErrorCode.DEVICE_UNREACHABLE, true);
        assertThat(f.tick(Duration.ofSeconds(5))).as("backing off").isEmpty();
        List<FlashCommand> retry = f.tick(Duration.ofSeconds(6));
        assertThat(retry).singleElement().satisfies(c -> {
            assertThat(c.getAttempt()).isEqualTo(2);
            assertThat(c.getCommandId()).isNotEqualTo(first.getCommandId());
        });
        f.finish(retry.get(0), FlashPhase.FAILED, FlashErrorCode.DEVICE_UNREACHABLE, true);
        assertThat(f.tick(Duration.ofMinutes(5))).as("attempts exhausted").isEmpty();
        assertThat(f.latestStates().get("pico-01").getEligibility()).isEqualTo(EligibilityClass.FAILED);
        assertThat(f.lastStatus().getCounts().getFailed()).isEqualTo(1);
    }

    @Test
    void aCommandWithoutResultByItsDeadlineIsRetried() {
        fleet(1);
        f.desire("1.1.0", 1, policy().setDeviceTimeoutMs(60_000).setRetryBackoffMs(0).build());
        FlashCommand first = f.tick().get(0);
        f.accepted(first);
        assertThat(f.tick(Duration.ofSeconds(30))).isEmpty();
        // Past the deadline: counted as failed at once, but the slot stays held for the grace period.
        assertThat(f.tick(Duration.ofSeconds(31))).isEmpty();
        assertThat(f.lastStatus().getFailuresByCode()).containsEntry("DEADLINE_EXCEEDED", 1);
        assertThat(f.lastStatus().getCounts().getInFlight()).isEqualTo(1);
        List<FlashCommand> retry = f.tick(io.otaflow.topology.gate.DeviceAttempt.DEADLINE_GRACE);
        assertThat(retry).singleElement().satisfies(c -> assertThat(c.getAttempt()).isEqualTo(2));
    }

    @Test
    void aManualPauseStopsNewCommandsAndResumeContinues() {
        fleet(3);
        f.desire("1.1.0", 1, policy().setPaused(true).build());
        assertThat(f.tick()).isEmpty();
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.PAUSED);
        f.desire("1.1.0", 1, policy().setPaused(false).build());
        assertThat(f.tick()).hasSize(3);
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.PROGRESSING);
    }

    @Test
    void aNewGenerationSupersedesTheOldOne() {
        fleet(4);
        f.desire("1.1.0", 1, policy().setMaxInFlight(1).build());
        FlashCommand old = f.tick().get(0);
        f.desire("1.2.0", 2, policy().setMaxInFlight(10).build());
        f.finish(old, FlashPhase.SUCCEEDED, null, false);
        List<FlashCommand> next = f.tick();
        assertThat(next).extracting(FlashCommand::getGeneration).containsOnly(2L);
        assertThat(next).extracting(c -> c.getTo().getFirmwareVersion()).containsOnly("1.2.0");
        assertThat(next).hasSize(4);
        assertThat(f.lastStatus().getGeneration()).isEqualTo(2L);
    }

    @Test
    void aTombstoneStopsTheRollout() {
        fleet(3);
        f.desire("1.1.0", 1, policy().setMaxInFlight(1).build());
        f.tick();
        f.stopRollout();
        assertThat(f.tick(Duration.ofSeconds(10))).isEmpty();
        List<org.apache.kafka.streams.test.TestRecord<String, RolloutStatus>> records = f.statuses.readRecordsToList();
        assertThat(records.get(records.size() - 1).value()).as("the status is deleted too").isNull();
    }

    @Test
    void theRateLimitSpreadsCommandsOverMinutes() {
        fleet(5);
        f.desire("1.1.0", 1, policy().setMaxInFlight(100).setRatePerMinute(2).build());
        assertThat(f.tick()).hasSize(2);
        assertThat(f.tick(Duration.ofSeconds(30))).isEmpty();
        assertThat(f.tick(Duration.ofSeconds(31))).hasSize(2);
    }

    @Test
    void noDeviceEverGetsTwoCommandsForOneGenerationAndAttempt() {
        fleet(6);
        f.desire("1.1.0", 1, policy().setMaxInFlight(2).build());
        for (int round = 0; round < 10; round++) {
            List<FlashCommand> issued = f.tick();
            for (FlashCommand c : issued) {
                f.device(c.getDeviceId(), "blink", "1.0.0", false); // duplicate and repeated inputs
                f.accepted(c);
                f.finish(c, FlashPhase.SUCCEEDED, null, false);
            }
        }
        Set<String> seen = new HashSet<>();
        for (FlashCommand c : f.allCommands) {
            assertThat(seen.add(c.getDeviceId() + "/" + c.getGeneration() + "/" + c.getAttempt())).as("duplicate %s", c).isTrue();
        }
        assertThat(seen).hasSize(6);
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.COMPLETED);
        assertThat(f.lastStatus().getCounts().getUpToDate()).isEqualTo(6);
    }

    @Test
    void lateAndDuplicateReportsDoNotRollTheStateBack() {
        f.device("pico-01", "blink", "1.0.0", false);
        java.time.Instant later = f.now.plusSeconds(60);
        f.report("pico-01", "blink", "1.1.0", false, later);
        f.report("pico-01", "blink", "1.0.0", true, f.now); // older than what we know
        f.report("pico-01", "blink", "1.1.0", false, later); // duplicate
        KeyValueStore<String, DeviceState> store = f.driver.getKeyValueStore(DeviceStateFolder.STORE);
        DeviceState state = store.get("pico-01");
        assertThat(state.getFirmware().getFirmwareVersion()).isEqualTo("1.1.0");
        assertThat(state.getLocked()).isFalse();
        assertThat(state.getPreviousFirmware().getFirmwareVersion()).isEqualTo("1.0.0");
    }

    @Test
    void anUnreadableRecordIsSkippedAndTheStreamGoesOn() {
        f.rawReports.pipeInput("pico-01", "{\"deviceId\":\"pico-01\"}".getBytes());
        f.device("pico-02", "blink", "1.0.0", false);
        KeyValueStore<String, DeviceState> store = f.driver.getKeyValueStore(DeviceStateFolder.STORE);
        assertThat(store.get("pico-02").getFirmware().getFirmwareVersion()).isEqualTo("1.0.0");
        assertThat(store.get("pico-01")).isNull();
    }

    @Test
    void aDeviceLeftInItsBootloaderIsRetriedThenRolledBackWhenNoRetryIsLeft() {
        fleet(1);
        f.desireWithPrevious("1.1.0", 1, policy().setMaxInFlight(1).setMaxAttempts(2).build(), "1.0.0");
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, true, true);
        List<FlashCommand> retry = f.tick(Duration.ofMinutes(10));
        assertThat(retry).hasSize(1);
        assertThat(retry.get(0).getRollback()).as("a retry of the new image comes first").isFalse();
        f.finish(retry.get(0), FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, true, true);
        List<FlashCommand> next = f.tick(Duration.ofMinutes(10));
        assertThat(next).as("out of attempts, its app erased: the previous image brings it back").hasSize(1);
        assertThat(next.get(0).getRollback()).isTrue();
        assertThat(next.get(0).getTo().getFirmwareVersion()).isEqualTo("1.0.0");
    }

    @Test
    void aSealRefusedAfterTheEraseIsRolledBack() {
        fleet(1);
        f.desireWithPrevious("1.1.0", 1, policy().setMaxInFlight(1).setMaxAttempts(3).build(), "1.0.0");
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.FAILED, FlashErrorCode.SEAL_REJECTED, false, true);
        List<FlashCommand> next = f.tick();
        assertThat(next).hasSize(1);
        assertThat(next.get(0).getRollback()).isTrue();
    }

    @Test
    void aDeviceThatFailsVerificationIsRolledBackToThePreviousImageOnce() {
        fleet(2);
        f.desireWithPrevious("1.1.0", 1, policy().setMaxInFlight(1).setMaxAttempts(3).build(), "1.0.0");
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.FAILED, FlashErrorCode.BOOT_FAILED, false);
        List<FlashCommand> next = f.tick();
        assertThat(next).as("the rollback takes the only in-flight slot").hasSize(1);
        FlashCommand rollback = next.get(0);
        assertThat(rollback.getRollback()).isTrue();
        assertThat(rollback.getDeviceId()).isEqualTo(first.getDeviceId());
        assertThat(rollback.getTo().getFirmwareVersion()).isEqualTo("1.0.0");
        assertThat(rollback.getImage().getUri()).endsWith("blink-1.0.0.bin");
        assertThat(rollback.getAttempt()).isEqualTo(2);
        f.finish(rollback, FlashPhase.SUCCEEDED, null, false);
        for (int i = 0; i < 5; i++) {
            f.tick(Duration.ofMinutes(1)).forEach(c -> {
                assertThat(c.getDeviceId()).as("the rolled-back device is left alone").isNotEqualTo(first.getDeviceId());
                f.finish(c, FlashPhase.SUCCEEDED, null, false);
            });
        }
        assertThat(f.lastStatus().getCounts().getRolledBack()).isEqualTo(1);
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.COMPLETED);
    }

    @Test
    void anOperatorAbortStopsNewCommandsUntilLifted() {
        fleet(3);
        f.desire("1.1.0", 1, policy().setAborted(true).build());
        assertThat(f.tick()).isEmpty();
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.ABORTED);
        assertThat(f.lastStatus().getReason()).contains("operator");
        f.desire("1.1.0", 1, policy().build());
        assertThat(f.tick()).hasSize(3);
    }

    @Test
    void commandsWaitForTheMaintenanceWindow() {
        fleet(2);
        // 10:00 UTC now; the window opens daily at 10:30 UTC for an hour.
        f.desire("1.1.0", 1, policy().setMaintenanceWindows(List.of(io.otaflow.schemas.MaintenanceWindow.newBuilder()
                .setCron("30 10 * * *").setDurationMs(3_600_000).setTimeZone("UTC").build())).build());
        assertThat(f.tick()).isEmpty();
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.WAITING_FOR_WINDOW);
        assertThat(f.tick(Duration.ofMinutes(31))).hasSize(2);
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.PROGRESSING);
    }

    @Test
    void anInvalidWindowNeverOpens() {
        fleet(1);
        f.desire("1.1.0", 1, policy().setMaintenanceWindows(List.of(io.otaflow.schemas.MaintenanceWindow.newBuilder()
                .setCron("every tuesday").setDurationMs(3_600_000).setTimeZone("UTC").build())).build());
        assertThat(f.tick(Duration.ofHours(30))).isEmpty();
        assertThat(f.lastStatus().getReason()).contains("invalid");
    }

    @Test
    void aPerCodeThresholdPausesOnlyForThatCode() {
        fleet(8);
        f.desire("1.1.0", 1, policy().setMaxInFlight(4).setMaxAttempts(1).setMinSampleSize(4)
                .setPerErrorCodeThresholds(Map.of("WRITE_CRC_MISMATCH", 0.2)).build());
        List<FlashCommand> first = f.tick();
        f.finish(first.get(0), FlashPhase.FAILED, FlashErrorCode.DEVICE_UNREACHABLE, false);
        f.finish(first.get(1), FlashPhase.SUCCEEDED, null, false);
        f.finish(first.get(2), FlashPhase.SUCCEEDED, null, false);
        f.finish(first.get(3), FlashPhase.SUCCEEDED, null, false);
        assertThat(f.tick()).as("one unreachable in four is under no threshold").isNotEmpty();
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.PROGRESSING);

        fleetFailWith(FlashErrorCode.WRITE_CRC_MISMATCH);
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.PAUSED);
        assertThat(f.lastStatus().getReason()).contains("WRITE_CRC_MISMATCH rate");
    }

    private void fleetFailWith(FlashErrorCode code) {
        for (FlashCommand c : f.allCommands.subList(4, f.allCommands.size())) {
            f.finish(c, FlashPhase.FAILED, code, false);
        }
        f.tick();
    }

    @Test
    void anExponentialRateGrowsWithSuccesses() {
        fleet(20);
        f.desire("1.1.0", 1, policy().setMaxInFlight(100).setExponentialRate(io.otaflow.schemas.ExponentialRate.newBuilder()
                .setBaseRatePerMinute(2).setIncrementFactor(2.0)
                .setRateIncreaseCriteria(io.otaflow.schemas.RateIncreaseCriteria.newBuilder().setNumberOfSucceeded(2).build()).build()).build());
        List<FlashCommand> first = f.tick();
        assertThat(first).as("base rate: 2 a minute").hasSize(2);
        first.forEach(c -> f.finish(c, FlashPhase.SUCCEEDED, null, false));
        assertThat(f.tick()).as("2 successes double the rate to 4 a minute: 2 more at once").hasSize(2);
        assertThat(f.tick(Duration.ofSeconds(30))).isEmpty();
        assertThat(f.tick(Duration.ofSeconds(31))).as("a minute later, 4").hasSize(4);
    }
}
