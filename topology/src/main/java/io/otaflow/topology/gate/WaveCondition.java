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
 *
 * <p>A wave whose members failed for good in such numbers that the threshold is out of reach, even
 * if every other member succeeds, has missed it (WAVE_MISSED): the rollout pauses instead of
 * waiting forever, and an operator's resume accepts the wave ({@code accepted}) so the next opens.
 */
public final class WaveCondition {
    private WaveCondition() {
    }

    /** The open wave after this check, when its condition was first met, what holds it (NONE when nothing) and why, in words. */
    public record Position(int wave, Long metAt, RolloutReason holding, String detail) {
        Position(int wave, Long metAt, RolloutReason holding) {
            this(wave, metAt, holding, null);
        }
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
     * @param accepted      waves below this index need no threshold: an operator resumed after they missed it
     */
    public static Position advance(RolloutPolicy policy, List<Integer> targets, List<WaveTally> tallies, int wave, Long metAt,
                                   int admittedFirst, int waitingFirst, int accepted, Instant now) {
        int open = Math.min(wave, targets.size() - 1);
        Long met = metAt;
        while (open < targets.size() - 1) {
            boolean fullyAdmitted = admittedFirst >= targets.get(open) || waitingFirst == 0;
            if (!fullyAdmitted) {
                return new Position(open, null, RolloutReason.NONE);
            }
            if (open < accepted) {
                open++; // the operator's call replaces the threshold and the soak
                met = null;
                continue;
            }
            WaveSpec spec = open < policy.getWaves().size() ? policy.getWaves().get(open) : null;
            double threshold = spec == null ? 0 : spec.getSuccessThreshold();
            WaveTally tally = open < tallies.size() ? tallies.get(open) : new WaveTally(0, 0, 0, 0, 0);
            int members = tally.getAdmitted() - tally.getSkipped();
            int needed = (int) Math.ceil(threshold * members - 1e-9);
            if (members == 0 || tally.getSucceeded() < needed) {
                if (members > 0 && members - tally.getSettledFailed() < needed) {
                    return new Position(open, null, RolloutReason.WAVE_MISSED, String.format(
                            "wave %d missed its success threshold: %d of %d failed for good, so at most %d can succeed and %d must",
                            open + 1, tally.getSettledFailed(), members, members - tally.getSettledFailed(), needed));
                }
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
