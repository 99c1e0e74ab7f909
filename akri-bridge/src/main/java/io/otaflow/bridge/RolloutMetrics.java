package io.otaflow.bridge;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;

/**
 * Every rollout's progress as gauges, for dashboards and alerts: the leading bridge already reads
 * the whole rollout-status table, so it is the one place that can show all rollouts at once.
 * {@code otaflow.rollout.devices{configuration,count}}, {@code otaflow.rollout.wave} (from 1),
 * {@code otaflow.rollout.wave.count} and {@code otaflow.rollout.state{state}} (1 for the current
 * state). A Configuration's gauges are registered once and read its latest status at scrape
 * time, so a status event costs a map update, however often they come.
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
        COUNTS.put("blocked", RolloutCounts::getBlocked);
    }

    private final MeterRegistry registry;
    private final Map<String, RolloutStatus> current = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> meters = new ConcurrentHashMap<>();

    RolloutMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** The Configuration's latest status; null (a tombstone) removes its gauges. */
    synchronized void update(String configuration, RolloutStatus status) {
        if (status == null) {
            current.remove(configuration);
            List<Meter> gone = meters.remove(configuration);
            if (gone != null) {
                gone.forEach(registry::remove);
            }
            return;
        }
        current.put(configuration, status);
        meters.computeIfAbsent(configuration, this::register);
    }

    private List<Meter> register(String configuration) {
        Tags tags = Tags.of("configuration", configuration);
        List<Meter> registered = new ArrayList<>();
        COUNTS.forEach((count, read) -> registered.add(gauge("otaflow.rollout.devices", "Devices of a rollout, by count",
                tags.and("count", count), configuration, s -> read.applyAsInt(s.getCounts()))));
        registered.add(gauge("otaflow.rollout.wave", "A rollout's current wave, from 1", tags, configuration, s -> s.getWave() + 1));
        registered.add(gauge("otaflow.rollout.wave.count", "A rollout's number of waves", tags, configuration, RolloutStatus::getWaveCount));
        for (RolloutState state : RolloutState.values()) {
            registered.add(gauge("otaflow.rollout.state", "1 for a rollout's current state", tags.and("state", state.name()), configuration,
                    s -> s.getState() == state ? 1 : 0));
        }
        return registered;
    }

    private Gauge gauge(String name, String description, Tags tags, String configuration, ToDoubleFunction<RolloutStatus> read) {
        return Gauge.builder(name, current, statuses -> {
            RolloutStatus status = statuses.get(configuration);
            return status == null ? Double.NaN : read.applyAsDouble(status);
        }).description(description).tags(tags).register(registry);
    }

    /** A replica that stops leading shows no rollouts, so sums across replicas stay right. */
    @Override
    public synchronized void close() {
        List.copyOf(meters.keySet()).forEach(configuration -> update(configuration, null));
    }
}
