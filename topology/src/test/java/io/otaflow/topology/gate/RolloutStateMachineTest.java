package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.RolloutState;
import io.otaflow.topology.MaintenanceWindows;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class RolloutStateMachineTest {
    @ParameterizedTest(name = "[{index}] was {0}/{1} since {2}, published {3}, paused={4} aborted={5} breach={6} window={7} complete={8} -> {9}/{10}")
    @CsvSource({
            // prevState, prevReason, heldSince, desiredUpdatedAt, paused, aborted, breach, windowClosed, complete, state, reason
            "PROGRESSING, NONE, , 0, false, false, , , false, PROGRESSING, WAVE_GATE",
            "PROGRESSING, NONE, , 0, true, false, , , false, PAUSED, OPERATOR_PAUSED",
            "PAUSED, OPERATOR_PAUSED, , 0, false, false, , , false, PROGRESSING, WAVE_GATE",  // resume
            "PROGRESSING, NONE, , 0, false, true, , , false, ABORTED, OPERATOR_ABORTED",
            "ABORTED, OPERATOR_ABORTED, , 0, false, false, , , false, PROGRESSING, WAVE_GATE", // lifted
            "PROGRESSING, NONE, , 0, false, false, ERROR_THRESHOLD, , false, PAUSED, ERROR_THRESHOLD",
            "PAUSED, ERROR_THRESHOLD, 100, 100, false, false, , , false, PAUSED, ERROR_THRESHOLD",  // sticky
            "PAUSED, ERROR_THRESHOLD, 100, 101, false, false, , , false, PROGRESSING, WAVE_GATE",   // republished
            "ABORTED, ABORT_CODE, 100, 101, false, false, , , false, ABORTED, ABORT_CODE",          // for good
            "PROGRESSING, NONE, , 0, false, false, ABORT_CODE, , false, ABORTED, ABORT_CODE",
            "PROGRESSING, NONE, , 0, true, false, ERROR_THRESHOLD, , false, PAUSED, ERROR_THRESHOLD", // threshold first
            "PROGRESSING, NONE, , 0, false, false, , closed, false, WAITING_FOR_WINDOW, WINDOW_CLOSED",
            "PROGRESSING, NONE, , 0, false, false, , invalid, false, WAITING_FOR_WINDOW, INVALID_WINDOW",
            "PROGRESSING, NONE, , 0, false, false, , , true, COMPLETED, COMPLETED",
            "COMPLETED, COMPLETED, , 0, false, false, , , false, PROGRESSING, WAVE_GATE",            // a device unlocked
            "PROGRESSING, NONE, , 0, true, false, , , true, PAUSED, OPERATOR_PAUSED",
    })
    void transitions(RolloutState prevState, RolloutReason prevReason, Long heldSince, long desiredUpdatedAt, boolean paused,
                     boolean aborted, RolloutReason breach, String window, boolean complete, RolloutState state, RolloutReason reason) {
        RolloutPolicy policy = RolloutPolicy.newBuilder().setPaused(paused).setAborted(aborted).build();
        Optional<ThresholdCondition.Breach> crossed = Optional.ofNullable(breach)
                .map(code -> new ThresholdCondition.Breach(code, code.name(), code == RolloutReason.ABORT_CODE));
        Optional<MaintenanceWindows.Closed> closed = Optional.ofNullable(window).map(w -> new MaintenanceWindows.Closed(w.equals("invalid"), w));
        RolloutStateMachine.Decision decision = RolloutStateMachine.decide(new RolloutStateMachine.Inputs(
                new RolloutStateMachine.Previous(prevState, prevReason, null, heldSince), policy, desiredUpdatedAt, crossed, closed, complete,
                RolloutReason.WAVE_GATE, 200));
        assertThat(decision.state()).isEqualTo(state);
        assertThat(decision.reasonCode()).isEqualTo(reason);
        assertThat(decision.admits()).isEqualTo(state == RolloutState.PROGRESSING);
    }
}
