package io.otaflow.connectors.discovery;

import io.otaflow.connectors.akri.v0.Device;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.Source;

import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns poll results into what others need to know, and nothing more: a {@code DiscoveryEvent}
 * when a device appears, disappears or changes mode; a {@code DeviceReport} when its metadata
 * changes and as a periodic heartbeat (not on every poll); a dead letter when it answers
 * garbage (once per distinct answer, not every poll). A device is absent after
 * {@code missesBeforeAbsent} polls without good metadata, unless it is being flashed.
 * Also keeps the Akri snapshot: every present device with its properties.
 */
public final class DeviceTracker {
    /** Broker properties on Akri Instances; named so they never clash with a Configuration's. */
    public static final String HOST_ENDPOINT = "HOST_ENDPOINT";
    public static final String OTA_ENDPOINT = "OTA_ENDPOINT";
    public static final String FW_TYPE = "FW_TYPE";
    public static final String FW_VERSION = "FW_VERSION";
    public static final String FW_LOCKED = "FW_LOCKED";
    public static final String DEVICE_ID = "DEVICE_ID";

    private final DiscoveryDetails details;
    private final String configuration;
    private final String node;
    private final FlashHolds holds;
    private final Map<URI, TargetState> targets = new LinkedHashMap<>();

    private static final class TargetState {
        DeviceMetadata last;
        Instant lastReport;
        int misses;
        boolean present;
        DeviceMode mode = DeviceMode.APP;
        byte[] lastBadBody;
        String lastBadReason;
    }

    public DeviceTracker(DiscoveryDetails details, String configuration, String node, FlashHolds holds) {
        this.details = details;
        this.configuration = configuration;
        this.node = node;
        this.holds = holds;
    }

    /** Applies one round of polls, sending what changed to the sink. */
    public synchronized void apply(List<PollResult> results, Instant now, EventSink sink) {
        for (PollResult result : results) {
            TargetState state = targets.computeIfAbsent(result.target(), t -> new TargetState());
            switch (result) {
                case PollResult.Answered answered -> answered(answered.target(), answered.metadata(), state, now, sink);
                case PollResult.Bad bad -> {
                    deadLetter(bad, state, now, sink);
                    missed(result.target(), state, now, sink);
                }
                case PollResult.Unreachable unreachable -> missed(unreachable.target(), state, now, sink);
            }
        }
    }

    private void answered(URI target, DeviceMetadata metadata, TargetState state, Instant now, EventSink sink) {
        state.lastBadBody = null;
        if (details.expectedType() != null && !details.expectedType().equals(metadata.firmwareType())) {
            // Not the kind of device this Configuration looks for.
            if (state.present) {
                disappear(target, state, now, sink);
            }
            state.last = null;
            return;
        }
        if (state.present && state.last != null && !state.last.deviceId().equals(metadata.deviceId())) {
            disappear(target, state, now, sink); // another device now answers at this address
        }
        state.misses = 0;
        boolean appeared = !state.present;
        boolean modeChanged = state.present && state.mode != DeviceMode.APP;
        boolean changed = !metadata.sameStateAs(state.last);
        state.present = true;
        state.mode = DeviceMode.APP;
        state.last = metadata;
        if (appeared || modeChanged) {
            sink.discovery(discovery(target, metadata.deviceId(), true, DeviceMode.APP, now, state));
        }
        if (appeared || changed || state.lastReport == null || !now.isBefore(state.lastReport.plus(details.heartbeatInterval()))) {
            sink.report(report(metadata, now));
            state.lastReport = now;
        }
    }

    private void missed(URI target, TargetState state, Instant now, EventSink sink) {
        if (!state.present) {
            return;
        }
        state.misses++;
        boolean held = state.last != null && holds.held(state.last.deviceId(), now);
        if (held) {
            if (state.mode != DeviceMode.BOOTLOADER) {
                state.mode = DeviceMode.BOOTLOADER; // silent while flashed: rebooting or in its bootloader
                sink.discovery(discovery(target, state.last.deviceId(), true, DeviceMode.BOOTLOADER, now, state));
            }
            return;
        }
        if (state.misses >= details.missesBeforeAbsent()) {
            disappear(target, state, now, sink);
        }
    }

    private void disappear(URI target, TargetState state, Instant now, EventSink sink) {
        state.present = false;
        state.misses = 0;
        if (state.last != null) {
            sink.discovery(discovery(target, state.last.deviceId(), false, state.mode, now, state));
        }
        state.mode = DeviceMode.APP;
    }

    private void deadLetter(PollResult.Bad bad, TargetState state, Instant now, EventSink sink) {
        if (Arrays.equals(bad.body(), state.lastBadBody) && bad.reason().equals(state.lastBadReason)) {
            return; // the same garbage as last poll: counted, not dead-lettered again
        }
        state.lastBadBody = bad.body();
        state.lastBadReason = bad.reason();
        byte[] body = bad.body().length > MetadataParser.MAX_BODY_BYTES ? Arrays.copyOf(bad.body(), MetadataParser.MAX_BODY_BYTES) : bad.body();
        DeadLetter letter = DeadLetter.newBuilder()
                .setOriginalTopic("http:" + bad.target() + details.metadataPath())
                .setPartition(-1).setOffset(-1)
                .setOriginalKey(ByteBuffer.wrap(bad.target().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .setOriginalValue(ByteBuffer.wrap(body))
                .setHeaders(Map.of("httpStatus", String.valueOf(bad.status()), "configuration", configuration == null ? "" : configuration))
                .setErrorClass("BadMetadata")
                .setErrorMessage(bad.reason())
                .setComponent("discovery")
                .setAt(now)
                .build();
        sink.deadLetter(bad.target().toString(), letter);
    }

    private DiscoveryEvent discovery(URI target, String deviceId, boolean present, DeviceMode mode, Instant now, TargetState state) {
        return DiscoveryEvent.newBuilder()
                .setDeviceId(deviceId)
                .setEndpoint(target.toString())
                .setOtaEndpoint(otaEndpoint(target))
                .setConfiguration(configuration)
                .setSource(Source.HTTP_SCAN)
                .setNode(node)
                .setPresent(present)
                .setMode(mode)
                .setObservedAt(now)
                .setProperties(state.last == null ? Map.of() : properties(target, state.last))
                .build();
    }

    private DeviceReport report(DeviceMetadata m, Instant now) {
        return DeviceReport.newBuilder()
                .setDeviceId(m.deviceId())
                .setFirmwareType(m.firmwareType())
                .setFirmwareVersion(m.firmwareVersion())
                .setLocked(m.locked())
                .setMode(m.mode().equals("bootloader") ? DeviceMode.BOOTLOADER : DeviceMode.APP)
                .setUptimeMs(m.uptimeMs())
                .setHardware(m.hardware())
                .setObservedAt(now)
                .setSource(Source.HTTP_SCAN)
                .setConfiguration(configuration)
                .build();
    }

    private String otaEndpoint(URI target) {
        return target.getHost() + ":" + details.otaPort();
    }

    private Map<String, String> properties(URI target, DeviceMetadata m) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(DEVICE_ID, m.deviceId());
        properties.put(HOST_ENDPOINT, target.toString());
        properties.put(OTA_ENDPOINT, otaEndpoint(target));
        properties.put(FW_TYPE, m.firmwareType());
        properties.put(FW_VERSION, m.firmwareVersion());
        properties.put(FW_LOCKED, String.valueOf(m.locked()));
        return properties;
    }

    /** Akri's view: every present device (held ones included), by its stable id. */
    public synchronized List<Device> snapshot() {
        List<Device> devices = new ArrayList<>();
        targets.forEach((target, state) -> {
            if (state.present && state.last != null) {
                devices.add(Device.newBuilder().setId(state.last.deviceId()).putAllProperties(properties(target, state.last)).build());
            }
        });
        return devices;
    }
}
