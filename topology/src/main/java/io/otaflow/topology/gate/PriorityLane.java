package io.otaflow.topology.gate;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.gate.GateDevice;
import io.otaflow.schemas.version.Versions;

/**
 * Devices far behind the target take the priority lane: slots of their own on top of
 * max-in-flight, ahead of the wave order, so a long-neglected device is not left for the last
 * wave. Retries take the retry lane, ahead of every first attempt.
 */
public final class PriorityLane {
    /** Admission lanes, in the order slots are given. */
    public enum Lane { RETRY, PRIORITY, NORMAL }

    private PriorityLane() {
    }

    public static Lane of(GateDevice device, DesiredFirmware desired) {
        if (device.getAttempts() > 0) {
            return Lane.RETRY;
        }
        io.otaflow.schemas.PriorityLane lane = desired.getPolicy().getPriorityLane();
        DeviceState state = device.getDevice();
        if (lane != null && state.getFirmware() != null && state.getFirmware().getFirmwareType().equals(desired.getTarget().getFirmwareType())
                && Versions.minorsBehind(desired.getTarget().getFirmwareVersion(), state.getFirmware().getFirmwareVersion())
                >= lane.getMinVersionsBehind()) {
            return Lane.PRIORITY;
        }
        return Lane.NORMAL;
    }
}
