package io.otaflow.bridge;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * Every rollout's progress as gauges, for dashboards and alerts: the leading bridge already reads
 * the whole rollout-status table, so it is the one place that can show all rollouts at once.
 * {@code otaflow.rollout.devices{configuration,count}}, {@code otaflow.rollout.wave},
 * {@code otaflow.rollout.wave.count} and {@code otaflow.rollout.state{state}} (1 for the current state).
 */
final class RolloutMetrics implements AutoCloseable {
    private static final Map<String, ToIntFunction<RolloutCounts>> COUNTS = new LinkedHashMap<>();

    static {
        COUNTS.put("total", RolloutCounts::getTotal);
        COUNTS.put("up_to_date", RolloutCounts::getUpToDate);
        COUNTS.put("locked", RolloutCounts::getLocked);
        COUNTS.put("eligible", RolloutCounts::getEligible);
        COUNTS.put("in_flight", RolloutCounts::getInFlight);
        COUNTS.put("succeeded", RolloutCounts::getSucceeded);
        COUNTS.put("failed", RolloutCounts::getFailed);
        COUNTS.put("skipped", RolloutCounts::getSkipped);
        COUNTS.put("offline", RolloutCounts::getOffline);
        COUNTS.put("rolled_back", RolloutCounts::getRolledBack);
    }

    private final MultiGauge devices;
    private final MultiGauge wave;
    private final MultiGauge waveCount;
    private final MultiGauge state;

    RolloutMetrics(MeterRegistry registry) {
        devices = MultiGauge.builder("otaflow.rollout.devices").description("Devices of a rollout, by count").register(registry);
        wave = MultiGauge.builder("otaflow.rollout.wave").description("A rollout's current wave, from 1").register(registry);
        waveCount = MultiGauge.builder("otaflow.rollout.wave.count").description("A rollout's number of waves").register(registry);
        state = MultiGauge.builder("otaflow.rollout.state").description("1 for a rollout's current state").register(registry);
    }

    /** Replaces every row with the rollouts as they are now (a handful of Configurations, so rebuilding is cheap). */
    synchronized void update(Map<String, RolloutStatus> rollouts) {
        List<MultiGauge.Row<?>> deviceRows = new ArrayList<>();
        List<MultiGauge.Row<?>> waveRows = new ArrayList<>();
        List<MultiGauge.Row<?>> waveCountRows = new ArrayList<>();
        List<MultiGauge.Row<?>> stateRows = new ArrayList<>();
        rollouts.forEach((configuration, status) -> {
            Tags tags = Tags.of("configuration", configuration);
            COUNTS.forEach((count, read) -> deviceRows.add(MultiGauge.Row.of(tags.and("count", count), read.applyAsInt(status.getCounts()))));
            waveRows.add(MultiGauge.Row.of(tags, status.getWave() + 1));
            waveCountRows.add(MultiGauge.Row.of(tags, status.getWaveCount()));
            for (RolloutState each : RolloutState.values()) {
                stateRows.add(MultiGauge.Row.of(tags.and("state", each.name()), each == status.getState() ? 1 : 0));
            }
        });
        devices.register(deviceRows, true);
        wave.register(waveRows, true);
        waveCount.register(waveCountRows, true);
        state.register(stateRows, true);
    }

    /** A replica that stops leading shows no rollouts, so sums across replicas stay right. */
    @Override
    public synchronized void close() {
        update(Map.of());
    }
}
