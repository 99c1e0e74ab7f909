package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.WaveSpec;
import io.otaflow.schemas.gate.WaveTally;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class WaveConditionTest {
    private static final RolloutPolicy POLICY = RolloutPolicy.newBuilder().setWaves(List.of(
            WaveSpec.newBuilder().setPercent(10.0).setSuccessThreshold(0.9).setSoakMs(5_000).build(),
            WaveSpec.newBuilder().setPercent(100.0).build())).build();

    @ParameterizedTest(name = "admitted {0}, succeeded {1}, failed {2}, skipped {3}, waiting {4}, {5} ms after met -> wave {6}, {7}")
    @CsvSource({
            // admitted, succeeded, failed, skipped, waiting, sinceMet(-1 none), wave, holding
            "5,  5, 0, 0, 10, -1, 0, NONE",        // not fully admitted yet (target 10 of 100)
            "10, 8, 0, 0, 90, -1, 0, WAVE_GATE",   // 8 of 10: below ceil(0.9 * 10) = 9 even though 2 still run
            "10, 9, 0, 0, 90, -1, 0, SOAKING",     // 9 of 10: met while one straggler still runs; the soak begins
            "10, 9, 1, 0, 90, 4999, 0, SOAKING",
            "10, 9, 1, 0, 90, 5000, 1, NONE",      // soaked: the next wave opens, its stragglers keep running
            "10, 8, 0, 2, 90, 5000, 0, NONE",      // two SKIPPED fill no place: 8 counted of a target of 10
            "12, 9, 1, 2, 90, 5000, 1, NONE",      // replaced: 10 counted, 9 succeeded
            "3,  0, 0, 3, 0,  -1, 0, WAVE_GATE",   // nothing but skips and nobody left to admit: no evidence, hold
            "4,  4, 0, 0, 0,  5000, 1, NONE",      // fewer devices than the target and none waiting: fully admitted
    })
    void theOpenWaveMovesOnOnceItsThresholdHoldsWhateverItsStragglersDo(int admitted, int succeeded, int failed, int skipped, int waiting,
                                                                       long sinceMet, int wave, RolloutReason holding) {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        Long metAt = sinceMet < 0 ? null : now.toEpochMilli() - sinceMet;
        List<Integer> targets = WaveCondition.targets(POLICY, 100);
        assertThat(targets).containsExactly(10, 100);
        WaveCondition.Position position = WaveCondition.advance(POLICY, targets, List.of(new WaveTally(admitted, succeeded, failed, skipped, 0)),
                0, metAt, admitted - skipped, waiting, 0, now);
        assertThat(position.wave()).isEqualTo(wave);
        assertThat(position.holding()).isEqualTo(holding);
    }

    @ParameterizedTest(name = "admitted {0}, succeeded {1}, failed {2} of which for good {3}, accepted below {4} -> wave {5}, {6}")
    @CsvSource({
            // admitted, succeeded, failed, settledFailed, accepted, wave, holding
            "10, 8, 1, 1, 0, 0, WAVE_GATE",    // 9 can still succeed of the 9 needed: wait
            "10, 8, 2, 1, 0, 0, WAVE_GATE",    // one failure may be retried: 9 are still possible
            "10, 8, 2, 2, 0, 0, WAVE_MISSED",  // 8 at most, 9 needed: out of reach, say so rather than wait forever
            "10, 0, 10, 2, 0, 0, WAVE_MISSED", // out of reach long before the rest end
            "3,  2, 1, 1, 0, 0, WAVE_MISSED",  // a canary of 3 at 0.9 tolerates no failure for good
            "10, 8, 2, 2, 1, 1, NONE",         // an operator resumed: the wave is accepted, no soak, the next opens
            "10, 9, 1, 1, 0, 0, SOAKING",      // met: a failure for good within the threshold changes nothing
    })
    void aWaveWhoseThresholdIsOutOfReachIsMissedUntilAnOperatorAcceptsIt(int admitted, int succeeded, int failed, int settledFailed,
                                                                         int accepted, int wave, RolloutReason holding) {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        List<Integer> targets = WaveCondition.targets(POLICY, admitted * 10);
        WaveCondition.Position position = WaveCondition.advance(POLICY, targets, List.of(new WaveTally(admitted, succeeded, failed, 0, settledFailed)),
                0, null, admitted, 50, accepted, now);
        assertThat(position.wave()).isEqualTo(wave);
        assertThat(position.holding()).isEqualTo(holding);
        if (holding == RolloutReason.WAVE_MISSED) {
            assertThat(position.detail()).startsWith("wave 1 missed its success threshold: " + settledFailed + " of " + admitted + " failed for good");
        }
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "7, 1", "10, 1", "95, 2"})
    void targetsAreCumulativeRoundedUpAndEndAtEveryone(int total, int firstTarget) {
        List<Integer> targets = WaveCondition.targets(RolloutPolicy.newBuilder().setWaves(List.of(
                WaveSpec.newBuilder().setPercent(1.5).build(), WaveSpec.newBuilder().setPercent(50.0).build())).build(), total);
        assertThat(targets.get(0)).isEqualTo(Math.min(total, firstTarget));
        assertThat(targets.get(targets.size() - 1)).isEqualTo(total);
    }
}
