package io.otaflow.bridge.status;

import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigurationStatusTest {
    private static final Instant NOW = Instant.parse("2026-11-28T10:00:00Z");

    private static RolloutStatus completed(long generation) {
        return RolloutStatus.newBuilder().setConfiguration("default/picow-blink").setGeneration(generation)
                .setTarget(new FirmwareRef("blink", "1.0.0")).setState(RolloutState.COMPLETED).setUpdatedAt(NOW)
                .setCounts(RolloutCounts.newBuilder().setTotal(3).setUpToDate(3).setLocked(0).setEligible(0).setInFlight(0)
                        .setSucceeded(0).setFailed(0).setSkipped(0).setTypeMismatch(0).setDowngradeRefused(0).setOffline(0).setRolledBack(0).build())
                .build();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> condition(Map<String, Object> status, String type) {
        return ((List<Map<String, Object>>) status.get("conditions")).stream().filter(c -> type.equals(c.get("type"))).findFirst().orElseThrow();
    }

    @Test
    void anOldGenerationsCompletedRolloutDoesNotCompleteTheNewOne() {
        ConfigurationStatus.Validity valid = new ConfigurationStatus.Validity(true, "Published", "blink 1.1.0");
        Map<String, Object> current = ConfigurationStatus.of(valid, completed(2), 2, 5, null, NOW);
        assertThat(condition(current, "RolloutComplete")).containsEntry("status", "True").containsEntry("reason", "Completed");
        Map<String, Object> justPublished = ConfigurationStatus.of(valid, completed(2), 3, 6, current, NOW);
        assertThat(condition(justPublished, "RolloutComplete")).containsEntry("status", "False").containsEntry("reason", "Pending");
    }

    @Test
    void anInvalidConfigurationShowsNoRollout_andAnOrdinaryOneNoStatus() {
        Map<String, Object> invalid = ConfigurationStatus.of(new ConfigurationStatus.Validity(false, "DigestMismatch", "wrong"),
                completed(2), 2, 5, null, NOW);
        assertThat(invalid).doesNotContainKeys("state", "counts", "target");
        assertThat(condition(invalid, "FirmwareValid")).containsEntry("status", "False");
        assertThat(ConfigurationStatus.of(null, null, 0, 1, null, NOW)).isNull();
    }
}
