package io.otaflow.bridge;

import io.otaflow.bridge.status.ConfigurationStatus.Validity;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.fold.FlashSummaries;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * What the leading bridge knows, from Kafka and from the informers, and who to tell when it
 * changes: a device's news marks its Instance for a status write, a rollout's news its
 * Configuration. Device state is kept for every device (not only those with an Instance yet),
 * because the topology may know a device before Akri's agent has created its Instance.
 */
final class FleetKnowledge implements TopicFollower.Handler {
    final Map<String, DesiredFirmware> desired = new ConcurrentHashMap<>();
    final Map<String, DeviceState> devices = new ConcurrentHashMap<>();
    final Map<String, FlashSummary> liveFlashes = new ConcurrentHashMap<>();
    final Map<String, RolloutStatus> rollouts = new ConcurrentHashMap<>();
    final Map<String, Validity> validity = new ConcurrentHashMap<>();
    /** Device id to the key ({@code namespace/name}) of its Instance, and back. */
    final Map<String, String> instanceOfDevice = new ConcurrentHashMap<>();
    final Map<String, String> deviceOfInstance = new ConcurrentHashMap<>();

    private final Consumer<String> instanceChanged;
    private final Consumer<String> configurationChanged;

    FleetKnowledge(Consumer<String> instanceChanged, Consumer<String> configurationChanged) {
        this.instanceChanged = instanceChanged;
        this.configurationChanged = configurationChanged;
    }

    @Override
    public void desired(String configuration, DesiredFirmware value) {
        if (value == null) {
            desired.remove(configuration);
        } else {
            desired.put(configuration, value);
        }
    }

    @Override
    public void deviceState(String deviceId, DeviceState state) {
        if (state == null) {
            devices.remove(deviceId);
        } else {
            devices.put(deviceId, state);
        }
        touchDevice(deviceId);
    }

    @Override
    public void rollout(String configuration, RolloutStatus status) {
        if (status == null) {
            rollouts.remove(configuration);
        } else {
            rollouts.put(configuration, status);
        }
        configurationChanged.accept(configuration);
    }

    @Override
    public void progress(String deviceId, FlashProgress progress) {
        FlashSummary before = liveFlashes.get(deviceId);
        FlashSummary after = FlashSummaries.fold(before, progress);
        if (after != before) {
            liveFlashes.put(deviceId, after);
            touchDevice(deviceId);
        }
    }

    void validity(String configuration, Validity value) {
        Validity before = value == null ? validity.remove(configuration) : validity.put(configuration, value);
        if (before == null ? value != null : !before.equals(value)) {
            configurationChanged.accept(configuration);
        }
    }

    void index(String instanceKey, String deviceId) {
        String before = deviceOfInstance.put(instanceKey, deviceId);
        if (before != null && !before.equals(deviceId)) {
            instanceOfDevice.remove(before, instanceKey);
        }
        instanceOfDevice.put(deviceId, instanceKey);
    }

    /** Forgets an Instance; returns the device it stood for, or null. */
    String unindex(String instanceKey) {
        String deviceId = deviceOfInstance.remove(instanceKey);
        if (deviceId != null) {
            instanceOfDevice.remove(deviceId, instanceKey);
        }
        return deviceId;
    }

    private void touchDevice(String deviceId) {
        String instance = instanceOfDevice.get(deviceId);
        if (instance != null) {
            instanceChanged.accept(instance);
        }
    }
}
