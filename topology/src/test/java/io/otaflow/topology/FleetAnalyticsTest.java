package io.otaflow.topology;

import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashOutcomes;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FleetVersions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.otaflow.topology.TopologyFixture.policy;
import static org.assertj.core.api.Assertions.assertThat;

class FleetAnalyticsTest {
    private final TopologyFixture f;

    FleetAnalyticsTest() throws Exception {
        f = new TopologyFixture();
    }

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void versionsPerConfigurationAndTypeFollowTheFleet() {
        f.device("a", "blink", "1.0.0", false);
        f.device("b", "blink", "1.0.0", false);
        f.device("c", "blink", "1.1.0", true);
        f.device("d", "camera", "2.0", false);
        Map<String, FleetVersions> versions = f.fleetVersions.readKeyValuesToMap();
        assertThat(versions.get(TopologyFixture.CONFIG + "|blink").getVersions()).containsExactlyInAnyOrderEntriesOf(Map.of("1.0.0", 2, "1.1.0", 1));
        assertThat(versions.get(TopologyFixture.CONFIG + "|blink").getDevices()).isEqualTo(3);
        assertThat(versions.get(TopologyFixture.CONFIG + "|camera").getVersions()).containsEntry("2.0", 1);

        f.desire("1.1.0", 1, policy().build());
        FlashCommand command = f.tick().get(0);
        f.finish(command, FlashPhase.SUCCEEDED, null, false);
        versions = f.fleetVersions.readKeyValuesToMap();
        assertThat(versions.get(TopologyFixture.CONFIG + "|blink").getVersions()).containsExactlyInAnyOrderEntriesOf(Map.of("1.0.0", 1, "1.1.0", 2));
    }

    @Test
    void flashOutcomesPerMinuteCountResultsCodesAndDurations() {
        f.device("a", "blink", "1.0.0", false);
        f.device("b", "blink", "1.0.0", false);
        f.device("c", "blink", "1.0.0", false);
        f.desire("1.1.0", 1, policy().setMaxAttempts(1).build());
        List<FlashCommand> commands = f.tick();
        assertThat(commands).hasSize(3);
        f.finish(commands.get(0), FlashPhase.SUCCEEDED, null, false);
        f.finish(commands.get(1), FlashPhase.SUCCEEDED, null, false);
        f.finish(commands.get(2), FlashPhase.FAILED, FlashErrorCode.WRITE_CRC_MISMATCH, false);
        Map<String, FlashOutcomes> outcomes = f.flashOutcomes.readKeyValuesToMap();
        FlashOutcomes latest = outcomes.values().stream().reduce((a, b) -> b.getWindowStart().isAfter(a.getWindowStart()) ? b : a).orElseThrow();
        int succeeded = outcomes.values().stream().mapToInt(FlashOutcomes::getSucceeded).sum();
        int failed = outcomes.values().stream().mapToInt(FlashOutcomes::getFailed).sum();
        assertThat(succeeded).isEqualTo(2);
        assertThat(failed).isEqualTo(1);
        assertThat(outcomes.values().stream().flatMap(o -> o.getFailuresByCode().keySet().stream())).contains("WRITE_CRC_MISMATCH");
        assertThat(latest.getDurationP50Ms()).isEqualTo(1000L);
        assertThat(latest.getWindowEnd()).isAfter(latest.getWindowStart());
        assertThat(FleetAnalytics.percentile(List.of(1L, 2L, 3L, 4L, 100L), 0.95)).isEqualTo(100L);
    }
}
