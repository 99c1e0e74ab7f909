package io.otaflow.bridge;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's rollout panels: the latest status of each Configuration, gone with its tombstone or the lost lead. */
class RolloutMetricsTest {
    private static RolloutStatus status(RolloutState state, int succeeded, int wave) {
        return RolloutStatus.newBuilder().setConfiguration("iot/picow-blink").setGeneration(2)
                .setTarget(new FirmwareRef("blink", "1.1.0")).setState(state).setWave(wave).setWaveCount(3).setUpdatedAt(Instant.now())
                .setCounts(RolloutCounts.newBuilder().setTotal(10).setUpToDate(0).setLocked(1).setEligible(9).setInFlight(2)
                        .setSucceeded(succeeded).setFailed(0).setSkipped(0).setTypeMismatch(0).setDowngradeRefused(0).setOffline(0)
                        .setRolledBack(0).build())
                .build();
    }

    private static double value(SimpleMeterRegistry registry, String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void gaugesShowTheLatestStatusAndVanishWithTheConfiguration() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        RolloutMetrics metrics = new RolloutMetrics(registry);
        metrics.update("iot/picow-blink", status(RolloutState.PROGRESSING, 3, 0));
        metrics.update("iot/picow-blink", status(RolloutState.PROGRESSING, 7, 1));
        assertThat(value(registry, "otaflow.rollout.devices", "configuration", "iot/picow-blink", "count", "succeeded")).isEqualTo(7);
        assertThat(value(registry, "otaflow.rollout.devices", "configuration", "iot/picow-blink", "count", "total")).isEqualTo(10);
        assertThat(value(registry, "otaflow.rollout.wave", "configuration", "iot/picow-blink")).isEqualTo(2);
        assertThat(value(registry, "otaflow.rollout.wave.count", "configuration", "iot/picow-blink")).isEqualTo(3);
        assertThat(value(registry, "otaflow.rollout.state", "configuration", "iot/picow-blink", "state", "PROGRESSING")).isEqualTo(1);
        assertThat(value(registry, "otaflow.rollout.state", "configuration", "iot/picow-blink", "state", "COMPLETED")).isZero();

        metrics.update("iot/picow-blink", null);
        assertThat(registry.find("otaflow.rollout.devices").meters()).isEmpty();

        metrics.update("iot/other", status(RolloutState.COMPLETED, 10, 2));
        metrics.close();
        assertThat(registry.getMeters()).as("a replica that stops leading shows no rollouts").isEmpty();
    }
}
