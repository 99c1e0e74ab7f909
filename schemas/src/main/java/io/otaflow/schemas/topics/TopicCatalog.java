package io.otaflow.schemas.topics;

import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceControl;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FleetVersions;
import io.otaflow.schemas.FlashOutcomes;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutStatus;

import java.time.Duration;
import java.util.List;

/**
 * Every topic otaflow reads or writes, named from one prefix (default {@code otaflow}) so that
 * several installations can share a Kafka cluster. Services take their topics from here, never
 * from string literals.
 */
public final class TopicCatalog {
    public static final String DEFAULT_PREFIX = "otaflow";
    /** Partitions per topic by default: enough for a few replicas of each service to share the work. */
    public static final int DEFAULT_PARTITIONS = 6;
    private static final long WEEK_MS = Duration.ofDays(7).toMillis();

    private final String prefix;
    private final Topic<DiscoveryEvent> deviceDiscovery;
    private final Topic<DeviceReport> deviceReports;
    private final Topic<DesiredFirmware> firmwareDesired;
    private final Topic<DeviceState> deviceState;
    private final Topic<FlashCommand> flashCommands;
    private final Topic<FlashProgress> flashProgress;
    private final Topic<RolloutStatus> rolloutStatus;
    private final Topic<DeadLetter> deadLetters;
    private final Topic<FleetVersions> fleetVersions;
    private final Topic<FlashOutcomes> flashOutcomes;
    private final Topic<DeviceControl> deviceControl;

    public TopicCatalog() {
        this(DEFAULT_PREFIX, DEFAULT_PARTITIONS);
    }

    public TopicCatalog(String prefix, int partitions) {
        if (prefix == null || !prefix.matches("[a-zA-Z0-9_-]+(\\.[a-zA-Z0-9_-]+)*")) {
            throw new IllegalArgumentException("topic prefix must be dot-separated words of letters, digits, '_' or '-': " + prefix);
        }
        this.prefix = prefix;
        deviceDiscovery = new Topic<>(name("device.discovery.v1"), DiscoveryEvent.class, partitions, false, WEEK_MS,
                "a device appeared, disappeared or changed mode (keyed by device id)");
        deviceReports = new Topic<>(name("device.reports.v1"), DeviceReport.class, partitions, false, WEEK_MS,
                "a device's reported firmware, lock and mode (keyed by device id)");
        firmwareDesired = new Topic<>(name("firmware.desired.v1"), DesiredFirmware.class, partitions, true, -1,
                "the firmware each Configuration wants, with its rollout policy (keyed by namespace/name)");
        deviceState = new Topic<>(name("device.state.v1"), DeviceState.class, partitions, true, -1,
                "everything known of each device, including its current flash (keyed by device id)");
        flashCommands = new Topic<>(name("flash.commands.v1"), FlashCommand.class, partitions, false, WEEK_MS,
                "one flash for one device (keyed by device id)");
        flashProgress = new Topic<>(name("flash.progress.v1"), FlashProgress.class, partitions, false, WEEK_MS,
                "phases and results of flashes (keyed by device id)");
        rolloutStatus = new Topic<>(name("rollout.status.v1"), RolloutStatus.class, partitions, true, -1,
                "each Configuration's rollout counts, state and wave (keyed by namespace/name)");
        deadLetters = new Topic<>(name("dlq.v1"), DeadLetter.class, partitions, false, Duration.ofDays(30).toMillis(),
                "records that could not be processed, with their origin and the error (keyed by the original key)");
        fleetVersions = new Topic<>(name("fleet.versions.v1"), FleetVersions.class, partitions, true, -1,
                "analytics: devices per version, per Configuration and firmware type (keyed by configuration|type)");
        deviceControl = new Topic<>(name("device.control.v1"), DeviceControl.class, partitions, false, WEEK_MS,
                "an operator's instruction about a device, e.g. unblock it from the penalty box (keyed by device id)");
        flashOutcomes = new Topic<>(name("flash.outcomes.v1"), FlashOutcomes.class, partitions, false, Duration.ofDays(30).toMillis(),
                "analytics: flash results, failures by code and durations per Configuration and minute (keyed by configuration@windowStart)");
    }

    private String name(String logical) {
        return prefix + "." + logical;
    }

    public String prefix() {
        return prefix;
    }

    public Topic<DiscoveryEvent> deviceDiscovery() {
        return deviceDiscovery;
    }

    public Topic<DeviceReport> deviceReports() {
        return deviceReports;
    }

    public Topic<DesiredFirmware> firmwareDesired() {
        return firmwareDesired;
    }

    public Topic<DeviceState> deviceState() {
        return deviceState;
    }

    public Topic<FlashCommand> flashCommands() {
        return flashCommands;
    }

    public Topic<FlashProgress> flashProgress() {
        return flashProgress;
    }

    public Topic<RolloutStatus> rolloutStatus() {
        return rolloutStatus;
    }

    public Topic<DeadLetter> deadLetters() {
        return deadLetters;
    }

    public Topic<FleetVersions> fleetVersions() {
        return fleetVersions;
    }

    public Topic<FlashOutcomes> flashOutcomes() {
        return flashOutcomes;
    }

    public Topic<DeviceControl> deviceControl() {
        return deviceControl;
    }

    public List<Topic<?>> all() {
        return List.of(deviceDiscovery, deviceReports, firmwareDesired, deviceState, flashCommands, flashProgress,
                rolloutStatus, deadLetters, fleetVersions, flashOutcomes, deviceControl);
    }
}
