package io.otaflow.topology;

import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.PenaltyBox;
import io.otaflow.schemas.PriorityLane;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.WaveSpec;
import io.otaflow.topology.gate.DeviceAttempt;
import io.otaflow.topology.gate.RolloutGate;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.otaflow.topology.TopologyFixture.CONFIG;
import static io.otaflow.topology.TopologyFixture.policy;
import static org.assertj.core.api.Assertions.assertThat;

/** The incremental gate on a TopologyTestDriver: waves, lanes, lifecycles and the stores' size. */
class RolloutGateTest {
    private final TopologyFixture f;

    RolloutGateTest() throws Exception {
        f = new TopologyFixture();
    }

    @AfterEach
    void close() {
        f.close();
    }

    private void fleet(int n, String version) {
        for (int i = 1; i <= n; i++) {
            f.device(String.format("pico-%03d", i), "blink", version, false);
        }
    }

    private static WaveSpec wave(Integer count, Double percent, double threshold) {
        return WaveSpec.newBuilder().setCount(count).setPercent(percent).setSuccessThreshold(threshold).setSoakMs(0).build();
    }

    @Test
    void aRecountLongerThanOnePassGoesOnInTheNextAndAdmitsNothingBeforeItEnds() throws Exception {
        try (TopologyFixture slow = new TopologyFixture(Duration.ZERO)) { // one device per pass
            for (int i = 1; i <= 6; i++) {
                slow.device(String.format("pico-%03d", i), "blink", "1.0.0", false);
            }
            slow.drain();
            slow.desire("1.1.0", 1, policy().setMaxInFlight(100).build());
            List<FlashCommand> issued = new ArrayList<>();
            int passes = 0;
            while (issued.size() < 6 && passes < 20) {
                List<FlashCommand> now = slow.tick();
                passes++;
                if (passes < 6) {
                    assertThat(now).as("pass %d: the recount has not seen every device yet", passes).isEmpty();
                }
                issued.addAll(now);
                // A device the recount has not reached reports meanwhile: it is counted once, by the recount.
                if (passes == 2) {
                    slow.device("pico-006", "blink", "1.0.0", false);
                }
            }
            assertThat(issued).extracting(FlashCommand::getDeviceId).doesNotHaveDuplicates().hasSize(6);
            issued.forEach(c -> slow.finish(c, FlashPhase.SUCCEEDED, null, false));
            for (int i = 0; i < 10 && slow.lastStatus().getState() != RolloutState.COMPLETED; i++) {
                slow.tick();
            }
            RolloutStatus status = slow.lastStatus();
            assertThat(status.getState()).isEqualTo(RolloutState.COMPLETED);
            assertThat(status.getCounts().getSucceeded()).as("each device counted once").isEqualTo(6);
            assertThat(status.getCounts().getTotal()).isEqualTo(6);
        }
    }

    @Test
    void theNextWaveOpensWhileTheLastStragglersOfTheOpenOneStillRun() {
        fleet(20, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(10).setWaves(List.of(wave(null, 50.0, 0.8), wave(null, 100.0, 0.9))).build());
        List<FlashCommand> first = f.tick();
        assertThat(first).hasSize(10);
        first.subList(0, 7).forEach(c -> f.finish(c, FlashPhase.SUCCEEDED, null, false));
        assertThat(f.drain()).as("7 of 10 is below 80 %: the wave is fully admitted and holds").isEmpty();
        f.tick();
        assertThat(f.lastStatus().getReasonCode()).isEqualTo(RolloutReason.WAVE_GATE);

        f.finish(first.get(7), FlashPhase.SUCCEEDED, null, false);
        List<FlashCommand> second = f.drain();
        assertThat(second).as("8 of 10 meets 80 %: wave 2 opens at once and fills every free slot").hasSize(8);
        assertThat(second).extracting(FlashCommand::getDeviceId)
                .doesNotContainAnyElementsOf(first.stream().map(FlashCommand::getDeviceId).toList());
        f.tick();
        RolloutStatus status = f.lastStatus();
        assertThat(status.getWave()).isEqualTo(1);
        assertThat(status.getCounts().getInFlight()).as("two stragglers of wave 1 and eight of wave 2").isEqualTo(10);
    }

    @Test
    void aWaveThatCanNoLongerMeetItsThresholdPausesAndAResumeOpensTheNext() {
        fleet(10, "1.0.0");
        // The error threshold is out of the way (5 of a sample of 5): the wave's own threshold decides.
        io.otaflow.schemas.RolloutPolicy policy = policy().setMaxInFlight(3).setMaxAttempts(1).setErrorThreshold(1.0).setMinSampleSize(5)
                .setWaves(List.of(wave(3, null, 0.75), wave(null, 100.0, 0.9))).build();
        f.desire("1.1.0", 1, policy);
        List<FlashCommand> canaries = f.tick();
        assertThat(canaries).hasSize(3);
        f.finish(canaries.get(0), FlashPhase.SUCCEEDED, null, false);
        f.finish(canaries.get(1), FlashPhase.FAILED, FlashErrorCode.SEAL_REJECTED, false);
        assertThat(f.drain()).isEmpty();
        f.tick();
        assertThat(f.lastStatus().getState()).as("one may still succeed, but 3 of 3 are needed and one failed for good")
                .isEqualTo(RolloutState.PAUSED);
        assertThat(f.lastStatus().getReasonCode()).isEqualTo(RolloutReason.WAVE_MISSED);
        assertThat(f.lastStatus().getReason()).startsWith("wave 1 missed its success threshold: 1 of 3 failed for good");

        f.finish(canaries.get(2), FlashPhase.SUCCEEDED, null, false);
        assertThat(f.tick(Duration.ofMinutes(5))).as("the pause holds, whatever the rest of the wave does").isEmpty();
        assertThat(f.status(CONFIG).getReasonCode()).isEqualTo(RolloutReason.WAVE_MISSED);

        f.desire("1.1.0", 1, io.otaflow.schemas.RolloutPolicy.newBuilder(policy).setResumedAt(f.now.toEpochMilli()).build());
        List<FlashCommand> wave2 = f.drain();
        wave2.addAll(f.tick());
        assertThat(wave2).as("resumed: the operator accepts wave 1 and wave 2 fills the slots").hasSize(3);
        assertThat(f.lastStatus().getState()).isEqualTo(RolloutState.PROGRESSING);
        assertThat(f.lastStatus().getWave()).isEqualTo(1);
        for (int round = 0; round < 5 && f.status(CONFIG).getState() != RolloutState.COMPLETED; round++) {
            wave2.forEach(c -> f.finish(c, FlashPhase.SUCCEEDED, null, false));
            wave2 = f.drain();
            wave2.addAll(f.tick());
        }
        assertThat(f.status(CONFIG).getState()).isEqualTo(RolloutState.COMPLETED);
        assertThat(f.status(CONFIG).getCounts().getUpToDate()).isEqualTo(9);
    }

    @Test
    void skippedCommandsCountApartAndNeverInThresholdsOrWaves() {
        fleet(6, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(10).setErrorThreshold(0.1).setMinSampleSize(1)
                .setWaves(List.of(wave(2, null, 1.0))).build());
        List<FlashCommand> canaries = f.tick();
        assertThat(canaries).hasSize(2);
        canaries.forEach(c -> f.finish(c, FlashPhase.SKIPPED, FlashErrorCode.DEVICE_LOCKED, false));
        List<FlashCommand> replacements = f.drain();
        assertThat(replacements).as("skipped canaries leave their places to two others").hasSize(2);
        f.tick();
        RolloutStatus status = f.lastStatus();
        assertThat(status.getCounts().getSkipped()).isEqualTo(2);
        assertThat(status.getCounts().getSucceeded()).isZero();
        assertThat(status.getWave()).isZero();
        assertThat(status.getState()).as("no failure: no threshold").isEqualTo(RolloutState.PROGRESSING);

        replacements.forEach(c -> f.finish(c, FlashPhase.SUCCEEDED, null, false));
        assertThat(f.drain()).as("the canaries that ran succeeded: the rest is admitted").hasSize(2);
        f.tick();
        assertThat(f.lastStatus().getWave()).isEqualTo(1);
        assertThat(f.lastStatus().getCounts().getSucceeded()).isEqualTo(2);
    }

    @Test
    void aConfigurationDeletedAndCreatedAgainGetsAFreshRolloutThatCompletes() {
        fleet(3, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(1).build());
        List<FlashCommand> before = f.tick();
        assertThat(before).hasSize(1);
        f.finish(before.get(0), FlashPhase.SUCCEEDED, null, false);
        f.drain();
        f.stopRollout();
        f.tick();
        assertThat(f.status(CONFIG)).isNull();

        // The same generation again, as a publisher that does not keep epochs would send it.
        f.desire("1.1.0", 1, policy().setMaxInFlight(3).build());
        List<FlashCommand> after = f.tick();
        assertThat(after).hasSize(2);
        assertThat(after).extracting(FlashCommand::getCommandId).doesNotContainAnyElementsOf(List.of(before.get(0).getCommandId()));
        after.forEach(c -> f.finish(c, FlashPhase.SUCCEEDED, null, false));
        f.tick();
        assertThat(f.status(CONFIG).getState()).isEqualTo(RolloutState.COMPLETED);
        assertThat(f.status(CONFIG).getCounts().getUpToDate()).isEqualTo(3);
    }

    @Test
    void aDeviceThatMovesLeavesTheOldConfigurationsCounts() {
        String other = "default/other";
        fleet(3, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(0).build());
        f.desire(other, "1.1.0", 1, 0, policy().setMaxInFlight(0).build());
        f.tick();
        assertThat(f.status(CONFIG).getCounts().getTotal()).isEqualTo(3);
        f.deviceIn(other, "pico-002", "blink", "1.0.0", false);
        f.tick();
        assertThat(f.status(CONFIG).getCounts().getTotal()).isEqualTo(2);
        assertThat(f.status(CONFIG).getCounts().getEligible()).isEqualTo(2);
        assertThat(f.status(other).getCounts().getTotal()).isEqualTo(1);
    }

    @Test
    void deadlineRetriesNeverRunBesideTheAttemptTheyReplace() {
        fleet(4, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(2).setDeviceTimeoutMs(60_000).setRetryBackoffMs(0).build());
        Set<String> outstanding = new HashSet<>();
        List<FlashCommand> first = f.tick();
        first.forEach(f::accepted);
        first.forEach(c -> outstanding.add(c.getDeviceId()));
        for (int second = 0; second < 150; second += 5) {
            List<FlashCommand> issued = f.tick(Duration.ofSeconds(5));
            for (FlashCommand c : issued) {
                // A retry is only issued once its device's earlier attempt gave up its slot.
                outstanding.add(c.getDeviceId());
            }
            assertThat(f.status(CONFIG).getCounts().getInFlight()).isLessThanOrEqualTo(2);
            if (!issued.isEmpty()) {
                assertThat(issued).allSatisfy(c -> assertThat(c.getAttempt()).isEqualTo(2));
                assertThat(second + 5).as("not before deadline + grace").isGreaterThanOrEqualTo(60 + (int) DeviceAttempt.DEADLINE_GRACE.toSeconds());
                break;
            }
        }
        assertThat(f.allCommands.stream().filter(c -> c.getAttempt() == 2)).hasSize(2);
    }

    @Test
    void aNewGenerationSupersedesARunningRollout() {
        fleet(3, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(1).build());
        f.tick();
        f.desire("1.2.0", 2, policy().build());
        f.tick();
        List<RolloutStatus> published = f.statuses.readRecordsToList().stream().map(TestRecord::value).toList();
        assertThat(published).anySatisfy(s -> {
            assertThat(s.getGeneration()).isEqualTo(1);
            assertThat(s.getState()).isEqualTo(RolloutState.SUPERSEDED);
            assertThat(s.getReasonCode()).isEqualTo(RolloutReason.SUPERSEDED);
        });
        assertThat(published.get(published.size() - 1).getGeneration()).isEqualTo(2);
    }

    @Test
    void aDeviceThatKeepsFailingIsBlockedForAWhile() {
        fleet(1, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxAttempts(10).setRetryBackoffMs(0).setPenaltyBox(PenaltyBox.newBuilder()
                .setMaxFailuresInWindow(2).setWindowMs(3_600_000).setBlockMs(3_600_000).build()).build());
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, true);
        FlashCommand second = f.tick().get(0);
        assertThat(second.getAttempt()).isEqualTo(2);
        f.finish(second, FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, true);
        assertThat(f.tick(Duration.ofMinutes(30))).as("two failures within the hour: blocked").isEmpty();
        assertThat(f.status(CONFIG).getCounts().getBlocked()).isEqualTo(1);
        assertThat(f.tick(Duration.ofMinutes(31))).as("the block is over").singleElement()
                .satisfies(c -> assertThat(c.getAttempt()).isEqualTo(3));
        assertThat(f.status(CONFIG).getCounts().getBlocked()).isZero();
    }

    @Test
    void anOperatorUnblocksADeviceAtOnce() {
        fleet(1, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxAttempts(10).setRetryBackoffMs(0).setPenaltyBox(PenaltyBox.newBuilder()
                .setMaxFailuresInWindow(1).setWindowMs(3_600_000).setBlockMs(86_400_000).build()).build());
        f.finish(f.tick().get(0), FlashPhase.FAILED, FlashErrorCode.CONNECTION_LOST, true);
        assertThat(f.tick(Duration.ofMinutes(10))).isEmpty();
        assertThat(f.status(CONFIG).getCounts().getBlocked()).isEqualTo(1);
        f.unblock("pico-001");
        assertThat(f.drain()).as("admitted on the instruction itself").singleElement()
                .satisfies(c -> assertThat(c.getAttempt()).isEqualTo(2));
        f.unblock("unknown-device"); // nothing to say about a device nobody knows
        f.tick();
        assertThat(f.status(CONFIG).getCounts().getBlocked()).isZero();
    }

    @Test
    void devicesFarBehindTakeThePriorityLaneBesideTheCanary() {
        for (int i = 1; i <= 5; i++) {
            f.device("current-" + i, "blink", "1.2.0", false);
        }
        f.device("neglected", "blink", "1.0.0", false);
        f.desire("1.3.0", 1, policy().setMaxInFlight(1).setWaves(List.of(wave(1, null, 1.0)))
                .setPriorityLane(PriorityLane.newBuilder().setMinVersionsBehind(2).setMaxInFlight(1).build()).build());
        List<FlashCommand> issued = f.tick();
        assertThat(issued).hasSize(2).extracting(FlashCommand::getDeviceId).contains("neglected");
        assertThat(f.status(CONFIG).getCounts().getInFlight()).isEqualTo(2);
    }

    @Test
    void waveMembershipIsAStableShuffleNotTheAlphabet() throws Exception {
        fleet(100, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(10).setWaves(List.of(wave(10, null, 1.0))).build());
        List<String> canaries = f.tick().stream().map(FlashCommand::getDeviceId).sorted().toList();
        assertThat(canaries).hasSize(10).isNotEqualTo(List.of("pico-001", "pico-002", "pico-003", "pico-004", "pico-005",
                "pico-006", "pico-007", "pico-008", "pico-009", "pico-010"));
        try (TopologyFixture again = new TopologyFixture()) {
            for (int i = 1; i <= 100; i++) {
                again.device(String.format("pico-%03d", 101 - i), "blink", "1.0.0", false); // another arrival order
            }
            again.desire("1.1.0", 1, policy().setMaxInFlight(10).setWaves(List.of(wave(10, null, 1.0))).build());
            assertThat(again.tick().stream().map(FlashCommand::getDeviceId).sorted().toList()).isEqualTo(canaries);
            again.desire("1.2.0", 2, policy().setMaxInFlight(10).setWaves(List.of(wave(10, null, 1.0))).build());
            again.drain();
            assertThat(again.tick().stream().map(FlashCommand::getDeviceId).sorted().toList())
                    .as("another generation, another sample").isNotEqualTo(canaries);
        }
    }

    @Test
    void aLockedDeviceIsDeferredAndGetsItsCommandWhenItUnlocks() {
        f.device("free", "blink", "1.0.0", false);
        f.device("busy", "blink", "1.0.0", true);
        f.desire("1.1.0", 1, policy().build());
        FlashCommand first = f.tick().get(0);
        assertThat(first.getDeviceId()).isEqualTo("free");
        f.finish(first, FlashPhase.SUCCEEDED, null, false);
        f.tick();
        assertThat(f.status(CONFIG).getState()).isEqualTo(RolloutState.COMPLETED);
        assertThat(f.status(CONFIG).getCounts().getLocked()).isEqualTo(1);
        f.report("busy", "blink", "1.0.0", false, f.now);
        assertThat(f.drain()).as("issued on the report itself, not at the next tick").singleElement()
                .satisfies(c -> assertThat(c.getDeviceId()).isEqualTo("busy"));
    }

    @Test
    void aFreedSlotIsTakenOnTheUpdateThatFreedIt() {
        fleet(3, "1.0.0");
        f.desire("1.1.0", 1, policy().setMaxInFlight(1).build());
        FlashCommand first = f.tick().get(0);
        f.finish(first, FlashPhase.SUCCEEDED, null, false);
        assertThat(f.drain()).hasSize(1);
    }

    @Test
    void theGatesStoresStayBoundedOverAHundredGenerations() {
        fleet(5, "1.0.0");
        List<Integer> sizes = new ArrayList<>();
        for (int generation = 1; generation <= 100; generation++) {
            f.desire("1." + generation + ".0", generation, policy().setMaxInFlight(5).build());
            for (FlashCommand c : f.tick()) {
                f.finish(c, FlashPhase.SUCCEEDED, null, false);
            }
            f.tick();
            assertThat(f.status(CONFIG).getState()).isEqualTo(RolloutState.COMPLETED);
            sizes.add(f.size(RolloutGate.DEVICES_STORE) + f.size(RolloutGate.LEDGER_STORE) + f.size(RolloutGate.QUEUE_STORE)
                    + f.size(RolloutGate.TIMERS_STORE) + f.size(RolloutGate.STATUS_STORE));
        }
        assertThat(f.allCommands).hasSize(500);
        assertThat(sizes.get(99)).as("5 devices, 1 ledger, 1 status; no queue or timer left").isEqualTo(7);
        assertThat(sizes).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(7));
    }
}
