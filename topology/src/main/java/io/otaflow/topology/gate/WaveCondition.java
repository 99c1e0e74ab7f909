package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.WaveSpec;
import io.otaflow.schemas.gate.WaveTally;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * When the open wave lets the next one open. A wave is fully admitted when its cumulative target
 * is reached (or no device is left to admit first); it has met its success threshold once enough
 * of its members SUCCEEDED that the threshold holds even if every one still running fails:
 * {@code succeeded >= ceil(threshold * (admitted - skipped))}. Its stragglers keep running while
 * the next wave opens (after the soak), so the in-flight count never drains at a boundary. SKIPPED
 * members do not count: they fill no place in the wave (others are admitted instead) and a wave
 * with no counted member holds, for want of evidence.
 */
public final class WaveCondition {
    private WaveCondition() {
    }

    /** The open wave after this check, when its condition was first met, and what holds it (NONE when nothing). */
    public record Position(int wave, Long metAt, RolloutReason holding) {
    }

    /** Cumulative device counts per wave; no waves is one wave of everyone. */
    public static List<Integer> targets(RolloutPolicy policy, int total) {
        List<Integer> targets = new ArrayList<>();
        for (WaveSpec wave : policy.getWaves()) {
            int size;
            if (wave.getCount() != null) {
                size = wave.getCount();
            } else if (wave.getPercent() != null) {
                size = (int) Math.ceil(total * wave.getPercent() / 100.0);
            } else {
                size = total;
            }
            int previous = targets.isEmpty() ? 0 : targets.get(targets.size() - 1);
            targets.add(Math.min(total, Math.max(previous, size)));
        }
        if (targets.isEmpty() || targets.get(targets.size() - 1) < total) {
            targets.add(total);
        }
        return targets;
    }

    /**
     * @param admittedFirst devices given a first command so far, all waves, SKIPPED ones excepted
     * @param waitingFirst  devices in the admission queue for a first command
     */
    public static Position advance(RolloutPolicy policy, List<Integer> targets, List<WaveTally> tallies, int wave, Long metAt,
                                   int admittedFirst, int waitingFirst, Instant now) {
        int open = Math.min(wave, targets.size() - 1);
        Long met = metAt;
        while (open < targets.size() - 1) {
            boolean fullyAdmitted = admittedFirst >= targets.get(open) || waitingFirst == 0;
            if (!fullyAdmitted) {
                return new Position(open, null, RolloutReason.NONE);
            }
            WaveSpec spec = open < policy.getWaves().size() ? policy.getWaves().get(open) : null;
            double threshold = spec == null ? 0 : spec.getSuccessThreshold();
            WaveTally tally = open < tallies.size() ? tallies.get(open) : new WaveTally(0, 0, 0, 0);
            int members = tally.getAdmitted() - tally.getSkipped();
            if (members == 0 || tally.getSucceeded() < Math.ceil(threshold * members - 1e-9)) {
                return new Position(open, null, RolloutReason.WAVE_GATE);
            }
            long at = met == null ? now.toEpochMilli() : met;
            long soak = spec == null ? 0 : spec.getSoakMs();
            if (now.toEpochMilli() < at + soak) {
                return new Position(open, at, RolloutReason.SOAKING);
            }
            open++;
            met = null;
        }
        return new Position(open, null, RolloutReason.NONE);
    }
}
