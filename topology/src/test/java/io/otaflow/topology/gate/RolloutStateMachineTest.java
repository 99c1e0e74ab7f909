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
    @ParameterizedTest(name = "[{index}] was {0}/{1} since {2}, published {3}, paused={4} aborted={5} breach={6} window={7} complete={8} wave={9} -> {10}/{11}")
    @CsvSource({
            // prevState, prevReason, heldSince, desiredUpdatedAt, paused, aborted, breach, windowClosed, complete, wave, state, reason
            "PROGRESSING, NONE, , 0, false, false, , , false, WAVE_GATE, PROGRESSING, WAVE_GATE",
            "PROGRESSING, NONE, , 0, true, false, , , false, WAVE_GATE, PAUSED, OPERATOR_PAUSED",
            "PAUSED, OPERATOR_PAUSED, , 0, false, false, , , false, WAVE_GATE, PROGRESSING, WAVE_GATE",  // resume
            "PROGRESSING, NONE, , 0, false, true, , , false, WAVE_GATE, ABORTED, OPERATOR_ABORTED",
            "ABORTED, OPERATOR_ABORTED, , 0, false, false, , , false, WAVE_GATE, PROGRESSING, WAVE_GATE", // lifted
            "PROGRESSING, NONE, , 0, false, false, ERROR_THRESHOLD, , false, WAVE_GATE, PAUSED, ERROR_THRESHOLD",
            "PAUSED, ERROR_THRESHOLD, 100, 100, false, false, , , false, WAVE_GATE, PAUSED, ERROR_THRESHOLD",  // sticky
            "PAUSED, ERROR_THRESHOLD, 100, 101, false, false, , , false, WAVE_GATE, PROGRESSING, WAVE_GATE",   // republished
            "ABORTED, ABORT_CODE, 100, 101, false, false, , , false, WAVE_GATE, ABORTED, ABORT_CODE",          // for good
            "PROGRESSING, NONE, , 0, false, false, ABORT_CODE, , false, WAVE_GATE, ABORTED, ABORT_CODE",
            "PROGRESSING, NONE, , 0, true, false, ERROR_THRESHOLD, , false, WAVE_GATE, PAUSED, ERROR_THRESHOLD", // threshold first
            "PROGRESSING, NONE, , 0, false, false, , closed, false, WAVE_GATE, WAITING_FOR_WINDOW, WINDOW_CLOSED",
            "PROGRESSING, NONE, , 0, false, false, , invalid, false, WAVE_GATE, WAITING_FOR_WINDOW, INVALID_WINDOW",
            "PROGRESSING, NONE, , 0, false, false, , , true, WAVE_GATE, COMPLETED, COMPLETED",
            "COMPLETED, COMPLETED, , 0, false, false, , , false, WAVE_GATE, PROGRESSING, WAVE_GATE",            // a device unlocked
            "PROGRESSING, NONE, , 0, true, false, , , true, WAVE_GATE, PAUSED, OPERATOR_PAUSED",
            "PROGRESSING, WAVE_GATE, , 0, false, false, , , false, WAVE_MISSED, PAUSED, WAVE_MISSED",       // out of reach: pause, not wait forever
            "PAUSED, WAVE_MISSED, 100, 100, false, false, , , false, WAVE_GATE, PAUSED, WAVE_MISSED",       // sticky
            "PAUSED, WAVE_MISSED, 100, 101, false, false, , , false, SOAKING, PROGRESSING, SOAKING",        // resumed: the wave accepted
            "PROGRESSING, NONE, , 0, true, false, , , false, WAVE_MISSED, PAUSED, OPERATOR_PAUSED",          // the operator's pause first
            "PROGRESSING, NONE, , 0, false, false, , , true, WAVE_MISSED, COMPLETED, COMPLETED",             // nothing left to do anyway
            "PROGRESSING, NONE, , 0, false, false, ERROR_THRESHOLD, , false, WAVE_MISSED, PAUSED, ERROR_THRESHOLD",
    })
    void transitions(RolloutState prevState, RolloutReason prevReason, Long heldSince, long desiredUpdatedAt, boolean paused,
                     boolean aborted, RolloutReason breach, String window, boolean complete, RolloutReason wave, RolloutState state,
                     RolloutReason reason) {
        RolloutPolicy policy = RolloutPolicy.newBuilder().setPaused(paused).setAborted(aborted).build();
        Optional<ThresholdCondition.Breach> crossed = Optional.ofNullable(breach)
                .map(code -> new ThresholdCondition.Breach(code, code.name(), code == RolloutReason.ABORT_CODE));
        Optional<MaintenanceWindows.Closed> closed = Optional.ofNullable(window).map(w -> new MaintenanceWindows.Closed(w.equals("invalid"), w));
        RolloutStateMachine.Decision decision = RolloutStateMachine.decide(new RolloutStateMachine.Inputs(
                new RolloutStateMachine.Previous(prevState, prevReason, null, heldSince), policy, desiredUpdatedAt, crossed, closed, complete,
                wave, wave.name(), 200));
        assertThat(decision.state()).isEqualTo(state);
        assertThat(decision.reasonCode()).isEqualTo(reason);
        assertThat(decision.admits()).isEqualTo(state == RolloutState.PROGRESSING);
        if (reason == RolloutReason.WAVE_MISSED && prevReason != RolloutReason.WAVE_MISSED) {
            assertThat(decision.heldSince()).isEqualTo(200);
            assertThat(decision.reason()).isEqualTo("WAVE_MISSED");
        }
    }

    @ParameterizedTest(name = "[{index}] was {0}/{1} since {2}, published {3} -> accepts the wave: {4}")
    @CsvSource({
            "PAUSED, WAVE_MISSED, 100, 101, true",
            "PAUSED, WAVE_MISSED, 100, 100, false",         // not republished since the pause
            "PAUSED, ERROR_THRESHOLD, 100, 101, false",     // another pause: the wave still has to earn its threshold
            "PROGRESSING, WAVE_MISSED, 100, 101, false",
    })
    void onlyAResumeAfterAMissedWaveAcceptsIt(RolloutState prevState, RolloutReason prevReason, Long heldSince, long desiredUpdatedAt,
                                              boolean accepts) {
        assertThat(RolloutStateMachine.acceptsMissedWave(new RolloutStateMachine.Previous(prevState, prevReason, null, heldSince),
                desiredUpdatedAt)).isEqualTo(accepts);
    }
}
