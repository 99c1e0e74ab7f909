package io.otaflow.simulators.fleet;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FaultPlanTest {

    @Test
    void sharesBecomeDeviceCountsEachDeviceGettingAtMostOneFault() {
        FaultPlan plan = FaultPlan.parse("locked=10%, no-boot=3, slow-reboot:20s=5%, drop-after:100KiB=1%");
        List<FaultPlan.Assignment> assignments = plan.assign(200, 7);
        Map<String, Long> byLabel = assignments.stream().collect(Collectors.groupingBy(FaultPlan.Assignment::label, Collectors.counting()));
        assertThat(byLabel).containsEntry("locked", 20L).containsEntry("no-boot", 3L).containsEntry("slow-reboot", 10L)
                .containsEntry("drop-after", 2L).containsEntry("healthy", 165L);
        assertThat(assignments.stream().filter(a -> a.label().equals("slow-reboot")).findFirst().orElseThrow().faults().slowReboot())
                .isEqualTo(Duration.ofSeconds(20));
        assertThat(assignments.stream().filter(a -> a.label().equals("drop-after")).findFirst().orElseThrow().faults().dropAfterBytes())
                .isEqualTo(100 * 1024);
        assertThat(assignments.stream().filter(FaultPlan.Assignment::locked).count()).isEqualTo(20);
    }

    @Test
    void theSameSeedPicksTheSameDevices() {
        FaultPlan plan = FaultPlan.parse("locked=10%");
        Function<Long, List<Boolean>> lockedBySeed = seed -> plan.assign(100, seed).stream().map(FaultPlan.Assignment::locked).toList();
        assertThat(lockedBySeed.apply(1L)).isEqualTo(lockedBySeed.apply(1L)).isNotEqualTo(lockedBySeed.apply(2L));
    }

    @Test
    void badSpecsAreClearErrors() {
        assertThatThrownBy(() -> FaultPlan.parse("explode=5%")).hasMessageContaining("unknown fault 'explode'");
        assertThatThrownBy(() -> FaultPlan.parse("locked")).hasMessageContaining("needs a share");
        assertThatThrownBy(() -> FaultPlan.parse("slow-reboot:soon=1%")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> FaultPlan.parse("locked=150%")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> FaultPlan.parse("drop-after:lots=1%")).hasMessageContaining("not a size");
    }
}
