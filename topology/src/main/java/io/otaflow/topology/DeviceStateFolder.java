package io.otaflow.topology;

import io.otaflow.schemas.DeviceAction;
import io.otaflow.schemas.DeviceControl;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.fold.FlashSummaries;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Folds discovery events, device reports and flash progress into one {@link DeviceState} per
 * device, stores it when it changed and forwards it when it is news ({@link Heartbeats}: more
 * than a poll moving the clocks). Late and duplicate inputs are harmless: presence and mode follow
 * the newest discovery, firmware and lock the newest report (by their own timestamps), a flash the
 * newest event of the newest command; replaying an event changes nothing.
 */
public final class DeviceStateFolder implements Processor<String, SpecificRecord, String, DeviceState> {
    public static final String STORE = "device-state-store";

    private ProcessorContext<String, DeviceState> context;
    private KeyValueStore<String, DeviceState> store;

    @Override
    public void init(ProcessorContext<String, DeviceState> context) {
        this.context = context;
        this.store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, SpecificRecord> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        DeviceState current = store.get(record.key());
        DeviceState next = fold(current, record.key(), record.value());
        if (next != null && !next.equals(current)) {
            store.put(record.key(), next);
            if (Heartbeats.isNews(current, next)) {
                context.forward(record.withValue(next));
            }
        }
    }

    /** The new state, or null when the event changes nothing. Pure, for tests. */
    static DeviceState fold(DeviceState current, String deviceId, SpecificRecord event) {
        DeviceState.Builder state = current == null
                ? DeviceState.newBuilder().setDeviceId(deviceId).setLastSeen(Instant.EPOCH)
                : DeviceState.newBuilder(current).setPreviousConfiguration(null);
        switch (event) {
            case DiscoveryEvent e -> {
                if (current != null && e.getObservedAt().isBefore(current.getLastSeen())) {
                    return current; // an older discovery than what we know: late, ignored
                }
                state.setOnline(e.getPresent() && e.getMode() == DeviceMode.APP)
                        .setMode(e.getPresent() ? e.getMode() : DeviceMode.UNKNOWN)
                        .setEndpoint(e.getEndpoint())
                        .setSource(e.getSource())
                        .setLastSeen(e.getObservedAt());
                if (e.getOtaEndpoint() != null) {
                    state.setOtaEndpoint(e.getOtaEndpoint());
                }
                moveTo(current, state, e.getConfiguration());
                if (e.getNode() != null) {
                    state.setNode(e.getNode());
                }
                if (!e.getProperties().isEmpty()) {
                    state.setProperties(e.getProperties());
                }
            }
            case DeviceReport r -> {
                if (current != null && current.getLastReportAt() != null && r.getObservedAt().isBefore(current.getLastReportAt())) {
                    return current;
                }
                FirmwareRef firmware = new FirmwareRef(r.getFirmwareType(), r.getFirmwareVersion());
                if (current != null && current.getFirmware() != null && !current.getFirmware().equals(firmware)) {
                    state.setPreviousFirmware(current.getFirmware());
                }
                state.setFirmware(firmware).setLocked(r.getLocked()).setHardware(r.getHardware())
                        .setLastReportAt(r.getObservedAt())
                        .setOnline(r.getMode() == DeviceMode.APP).setMode(r.getMode());
                if (current == null || r.getObservedAt().isAfter(current.getLastSeen())) {
                    state.setLastSeen(r.getObservedAt());
                }
                moveTo(current, state, r.getConfiguration());
            }
            case FlashProgress p -> foldProgress(current, state, p);
            case DeviceControl c -> {
                if (current == null || c.getAction() != DeviceAction.UNBLOCK
                        || (current.getUnblockRequestedAt() != null && !c.getAt().isAfter(current.getUnblockRequestedAt()))) {
                    return null; // an unknown device, an unknown action, or an older request: nothing to say
                }
                state.setUnblockRequestedAt(c.getAt());
            }
            default -> {
                return null;
            }
        }
        return state.build();
    }

    /** Sets the configuration and, when it changes, says which one the device leaves (for that rollout's gate). */
    private static void moveTo(DeviceState current, DeviceState.Builder state, String configuration) {
        if (configuration == null) {
            return;
        }
        if (current != null && current.getConfiguration() != null && !current.getConfiguration().equals(configuration)) {
            state.setPreviousConfiguration(current.getConfiguration());
        }
        state.setConfiguration(configuration);
    }

    private static void foldProgress(DeviceState current, DeviceState.Builder state, FlashProgress p) {
        FlashSummary before = current == null ? null : current.getCurrentFlash();
        FlashSummary flash = FlashSummaries.fold(before, p);
        if (flash == before) {
            return;
        }
        state.setCurrentFlash(flash);
        Map<String, Integer> attempts = new HashMap<>(current == null ? Map.of() : current.getAttemptsByGeneration());
        attempts.merge(String.valueOf(flash.getGeneration()), p.getAttempt(), Math::max);
        state.setAttemptsByGeneration(attempts);
        if (p.getPhase() == FlashPhase.SUCCEEDED && p.getObservedFirmware() != null) {
            if (current != null && current.getFirmware() != null && !current.getFirmware().equals(p.getObservedFirmware())) {
                state.setPreviousFirmware(current.getFirmware());
            }
            state.setFirmware(p.getObservedFirmware());
        }
    }
}
