package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.RolloutState;
import io.otaflow.topology.MaintenanceWindows;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * A rollout's next state, from typed inputs only. In order of precedence:
 * <pre>
 *  ABORTED   by a threshold or an abort code: for good in this generation (only a new one restarts)
 *  PAUSED    by a threshold or a missed wave: until the desired firmware is published again after the pause
 *  ABORTED   OPERATOR_ABORTED while policy.aborted
 *  ABORTED / PAUSED   a threshold crossed now (errorAction, or ABORT_CODE)
 *  PAUSED    OPERATOR_PAUSED while policy.paused
 *  WAITING_FOR_WINDOW WINDOW_CLOSED / INVALID_WINDOW outside every maintenance window
 *  COMPLETED nothing eligible, nothing in flight
 *  PAUSED    WAVE_MISSED: the open wave can no longer meet its threshold (a resume accepts it)
 *  PROGRESSING  NONE, WAVE_GATE or SOAKING (what the open wave waits for)
 * </pre>
 * SUPERSEDED is not decided here: the gate publishes it for a rollout that a newer one replaces.
 */
public final class RolloutStateMachine {
    /** The states the gate takes by itself: they hold until an operator acts (republishes), whatever the counts do since. */
    private static final Set<RolloutReason> STICKY = EnumSet.of(RolloutReason.ERROR_THRESHOLD, RolloutReason.ERROR_CODE_THRESHOLD,
            RolloutReason.ABORT_CODE, RolloutReason.WAVE_MISSED);

    private RolloutStateMachine() {
    }

    /** The state before this decision and when a sticky one began. */
    public record Previous(RolloutState state, RolloutReason reasonCode, String reason, Long heldSince) {
    }

    /**
     * @param desiredUpdatedAt when the desired firmware was last published (a republish lifts a threshold pause)
     * @param windowClosed     empty while a maintenance window is open
     * @param complete         nothing eligible and nothing in flight
     * @param waveHolding      what the open wave waits for (NONE, WAVE_GATE, SOAKING, WAVE_MISSED)
     * @param waveDetail       why, in words, for WAVE_MISSED
     */
    public record Inputs(Previous previous, RolloutPolicy policy, long desiredUpdatedAt, Optional<ThresholdCondition.Breach> breach,
                         Optional<MaintenanceWindows.Closed> windowClosed, boolean complete, RolloutReason waveHolding, String waveDetail,
                         long now) {
    }

    public record Decision(RolloutState state, RolloutReason reasonCode, String reason, Long heldSince) {
        public boolean admits() {
            return state == RolloutState.PROGRESSING;
        }
    }

    public static Decision decide(Inputs in) {
        Previous p = in.previous();
        if (p != null && STICKY.contains(p.reasonCode())) {
            if (p.state() == RolloutState.ABORTED) {
                return new Decision(RolloutState.ABORTED, p.reasonCode(), p.reason(), p.heldSince());
            }
            if (p.state() == RolloutState.PAUSED && p.heldSince() != null && in.desiredUpdatedAt() <= p.heldSince()) {
                return new Decision(RolloutState.PAUSED, p.reasonCode(), p.reason(), p.heldSince());
            }
        }
        if (in.policy().getAborted()) {
            return new Decision(RolloutState.ABORTED, RolloutReason.OPERATOR_ABORTED, "aborted by an operator", null);
        }
        if (in.breach().isPresent()) {
            ThresholdCondition.Breach breach = in.breach().get();
            return new Decision(breach.abort() ? RolloutState.ABORTED : RolloutState.PAUSED, breach.code(), breach.text(), in.now());
        }
        if (in.policy().getPaused()) {
            return new Decision(RolloutState.PAUSED, RolloutReason.OPERATOR_PAUSED, "paused by an operator", null);
        }
        if (in.windowClosed().isPresent()) {
            MaintenanceWindows.Closed closed = in.windowClosed().get();
            return new Decision(RolloutState.WAITING_FOR_WINDOW, closed.invalid() ? RolloutReason.INVALID_WINDOW : RolloutReason.WINDOW_CLOSED,
                    closed.reason(), null);
        }
        if (in.complete()) {
            return new Decision(RolloutState.COMPLETED, RolloutReason.COMPLETED, null, null);
        }
        if (in.waveHolding() == RolloutReason.WAVE_MISSED) {
            return new Decision(RolloutState.PAUSED, RolloutReason.WAVE_MISSED, in.waveDetail(), in.now());
        }
        return new Decision(RolloutState.PROGRESSING, in.waveHolding(), waveText(in.waveHolding()), null);
    }

    /** True when this decision's inputs lift a missed-wave pause: the operator accepts that wave, and the next may open. */
    public static boolean acceptsMissedWave(Previous previous, long desiredUpdatedAt) {
        return previous != null && previous.state() == RolloutState.PAUSED && previous.reasonCode() == RolloutReason.WAVE_MISSED
                && previous.heldSince() != null && desiredUpdatedAt > previous.heldSince();
    }

    private static String waveText(RolloutReason holding) {
        return switch (holding) {
            case WAVE_GATE -> "the open wave waits for its success threshold";
            case SOAKING -> "the open wave met its threshold and soaks";
            default -> null;
        };
    }
}
