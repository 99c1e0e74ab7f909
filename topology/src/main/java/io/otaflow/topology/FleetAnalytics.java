package io.otaflow.topology;

import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashOutcomes;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.FleetVersions;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroSerde;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fleet analytics for people and dashboards: devices per version (per Configuration and
 * firmware type, always current) and flash outcomes per Configuration and minute (results,
 * failures by code, duration percentiles), each on its own topic.
 */
final class FleetAnalytics {
    static final int MAX_DURATIONS = 10_000;
    static final Duration WINDOW = Duration.ofMinutes(1);

    private FleetAnalytics() {
    }

    static void build(KTable<String, DeviceState> classified, KStream<String, DeviceState> folded, TopicCatalog topics,
                      SchemaRegistry registry) {
        Serde<String> keys = Serdes.String();
        Serde<DeviceState> stateSerde = AvroSerde.forValue(registry, DeviceState.class);
        Serde<FleetVersions> versionsSerde = AvroSerde.forValue(registry, FleetVersions.class);
        Serde<FlashOutcomes> outcomesSerde = AvroSerde.forValue(registry, FlashOutcomes.class);

        classified
                .filter((id, device) -> device.getFirmware() != null, Named.as("devices-with-firmware"))
                .groupBy((id, device) -> KeyValue.pair(versionKey(device), device),
                        Grouped.<String, DeviceState>as("devices-by-configuration-and-type").withKeySerde(keys).withValueSerde(stateSerde))
                .aggregate(() -> null,
                        (key, device, total) -> count(total, key, device.getFirmware().getFirmwareVersion(), +1),
                        (key, device, total) -> count(total, key, device.getFirmware().getFirmwareVersion(), -1),
                        Named.as("fleet-versions"),
                        Materialized.<String, FleetVersions, KeyValueStore<Bytes, byte[]>>as("fleet-versions-store")
                                .withKeySerde(keys).withValueSerde(versionsSerde))
                .toStream(Named.as("fleet-versions-changes"))
                .to(topics.fleetVersions().name(), Produced.with(keys, versionsSerde).withName("fleet-versions-to-topic"));

        folded
                .filter((id, device) -> justEnded(device.getCurrentFlash()) && device.getCurrentFlash().getConfiguration() != null,
                        Named.as("flashes-just-ended"))
                .groupBy((id, device) -> device.getCurrentFlash().getConfiguration(),
                        Grouped.<String, DeviceState>as("ended-flashes-by-configuration").withKeySerde(keys).withValueSerde(stateSerde))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, WINDOW))
                .aggregate(() -> null, (configuration, device, outcomes) -> add(outcomes, configuration, device.getCurrentFlash()),
                        Named.as("flash-outcomes"),
                        Materialized.<String, FlashOutcomes, WindowStore<Bytes, byte[]>>as("flash-outcomes-store")
                                .withKeySerde(keys).withValueSerde(outcomesSerde))
                .toStream(Named.as("flash-outcomes-changes"))
                .map((window, outcomes) -> KeyValue.pair(window.key() + "@" + Instant.ofEpochMilli(window.window().start()),
                        withWindow(outcomes, window.window().start(), window.window().end())), Named.as("flash-outcomes-keyed"))
                .to(topics.flashOutcomes().name(), Produced.with(keys, outcomesSerde).withName("flash-outcomes-to-topic"));
    }

    static String versionKey(DeviceState device) {
        return (device.getConfiguration() == null ? "-" : device.getConfiguration()) + "|" + device.getFirmware().getFirmwareType();
    }

    private static FleetVersions count(FleetVersions total, String key, String version, int delta) {
        FleetVersions.Builder next = total == null
                ? FleetVersions.newBuilder().setConfiguration(key.substring(0, key.lastIndexOf('|')))
                .setFirmwareType(key.substring(key.lastIndexOf('|') + 1))
                : FleetVersions.newBuilder(total);
        Map<String, Integer> versions = total == null ? new HashMap<>() : new HashMap<>(total.getVersions());
        int n = versions.getOrDefault(version, 0) + delta;
        if (n <= 0) {
            versions.remove(version);
        } else {
            versions.put(version, n);
        }
        return next.setVersions(versions).setDevices(versions.values().stream().mapToInt(Integer::intValue).sum()).build();
    }

    /** The fold emits a device once per change, and a command's terminal event is final: this is true once per flash. */
    private static boolean justEnded(FlashSummary flash) {
        return flash != null && flash.getFinishedAt() != null && flash.getFinishedAt().equals(flash.getUpdatedAt());
    }

    private static FlashOutcomes add(FlashOutcomes outcomes, String configuration, FlashSummary flash) {
        FlashOutcomes.Builder next = outcomes == null
                ? FlashOutcomes.newBuilder().setConfiguration(configuration).setWindowStart(Instant.EPOCH).setWindowEnd(Instant.EPOCH)
                : FlashOutcomes.newBuilder(outcomes);
        if (flash.getPhase() == FlashPhase.SUCCEEDED) {
            next.setSucceeded(next.getSucceeded() + 1);
        } else if (flash.getPhase() == FlashPhase.SKIPPED) {
            next.setSkipped(next.getSkipped() + 1);
        } else {
            next.setFailed(next.getFailed() + 1);
            Map<String, Integer> codes = outcomes == null ? new HashMap<>() : new HashMap<>(outcomes.getFailuresByCode());
            codes.merge(flash.getLastError() == null ? "UNKNOWN" : flash.getLastError().getCode().name(), 1, Integer::sum);
            next.setFailuresByCode(codes);
        }
        List<Long> durations = outcomes == null ? new ArrayList<>() : new ArrayList<>(outcomes.getDurationsMs());
        if (durations.size() < MAX_DURATIONS) {
            durations.add(Duration.between(flash.getStartedAt(), flash.getFinishedAt()).toMillis());
        }
        List<Long> sorted = new ArrayList<>(durations);
        Collections.sort(sorted);
        return next.setDurationsMs(durations)
                .setDurationP50Ms(percentile(sorted, 0.50))
                .setDurationP95Ms(percentile(sorted, 0.95))
                .setDurationMaxMs(sorted.isEmpty() ? null : sorted.get(sorted.size() - 1))
                .build();
    }

    /** Nearest-rank percentile. */
    static Long percentile(List<Long> sorted, double p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    private static FlashOutcomes withWindow(FlashOutcomes outcomes, long start, long end) {
        return FlashOutcomes.newBuilder(outcomes).setWindowStart(Instant.ofEpochMilli(start)).setWindowEnd(Instant.ofEpochMilli(end)).build();
    }
}
