package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.ThresholdAction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ThresholdConditionTest {
    @ParameterizedTest(name = "{0} succeeded, {1} failed, {2} with code {3}, action {4} -> {5} abort={6}")
    @CsvSource({
            "10, 0, 0, CONNECTION_LOST, PAUSE, , false",
            "2,  2, 2, CONNECTION_LOST, PAUSE, , false",                    // 4 < minimum sample 5
            "3,  2, 2, CONNECTION_LOST, PAUSE, ERROR_THRESHOLD, false",     // 2/5 > 20 %
            "3,  2, 2, CONNECTION_LOST, ABORT, ERROR_THRESHOLD, true",
            "9,  1, 1, WRITE_CRC_MISMATCH, PAUSE, ERROR_CODE_THRESHOLD, false", // 1/10 > 5 % for that code
            "1,  1, 1, SEAL_REJECTED, PAUSE, ABORT_CODE, true",            // listed: at once, below the sample
    })
    void aBreachSaysWhichThresholdAndWhetherItAborts(int succeeded, int failed, int coded, String code, ThresholdAction action,
                                                     RolloutReason reason, boolean abort) {
        RolloutPolicy policy = RolloutPolicy.newBuilder().setMinSampleSize(5).setErrorThreshold(0.2).setErrorAction(action)
                .setPerErrorCodeThresholds(Map.of("WRITE_CRC_MISMATCH", 0.05)).setAbortOnErrorCodes(List.of("SEAL_REJECTED")).build();
        var breach = ThresholdCondition.check(policy, succeeded, failed, Map.of(code, coded));
        if (reason == null) {
            assertThat(breach).isEmpty();
        } else {
            assertThat(breach).hasValueSatisfying(b -> {
                assertThat(b.code()).isEqualTo(reason);
                assertThat(b.abort()).isEqualTo(abort);
            });
        }
    }
}
