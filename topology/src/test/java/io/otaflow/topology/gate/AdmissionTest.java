package io.otaflow.topology.gate;

import io.otaflow.schemas.ExponentialRate;
import io.otaflow.schemas.PriorityLane;
import io.otaflow.schemas.RateIncreaseCriteria;
import io.otaflow.schemas.RolloutPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AdmissionTest {
    @ParameterizedTest(name = "in flight {0} ({1} priority), wave target {2}, admitted {3}, {4} this minute -> {5} {6} {7} {8}")
    @CsvSource({
            "0,  0, 100, 0,  0, 1, 10, 100, 2147483647",
            "10, 0, 100, 10, 0, 1, 0,  90,  2147483647",
            "11, 1, 100, 10, 0, 0, 0,  90,  2147483647", // the lane's slot is on top of max-in-flight
            "3,  0, 5,   5,  0, 1, 7,  0,   2147483647", // wave full: retries only
    })
    void slotsPerLane(int inFlight, int priorityInFlight, int waveTarget, int admitted, int recent, int priority, int main, int wave, int rate) {
        RolloutPolicy policy = RolloutPolicy.newBuilder().setMaxInFlight(10)
                .setPriorityLane(PriorityLane.newBuilder().setMaxInFlight(1).build()).build();
        assertThat(Admission.slots(policy, inFlight, priorityInFlight, waveTarget, admitted, 0, recent))
                .isEqualTo(new Admission.Slots(priority, main, wave, rate));
    }

    @ParameterizedTest
    @CsvSource({"0, 2", "1, 2", "2, 4", "4, 8", "40, 10"})
    void anExponentialRateGrowsWithSuccessesUpToTheFixedOne(int succeeded, int perMinute) {
        RolloutPolicy policy = RolloutPolicy.newBuilder().setRatePerMinute(10).setExponentialRate(ExponentialRate.newBuilder()
                .setBaseRatePerMinute(2).setIncrementFactor(2.0).setRateIncreaseCriteria(new RateIncreaseCriteria(2)).build()).build();
        assertThat(Admission.ratePerMinute(policy, succeeded)).isEqualTo(perMinute);
    }

    @ParameterizedTest
    @CsvSource({"59999, 1", "60000, 0"})
    void theRateWindowIsTheLastMinute(long ago, int kept) {
        assertThat(Admission.withinMinute(List.of(1_000_000L - ago), 1_000_000L)).hasSize(kept);
    }
}
