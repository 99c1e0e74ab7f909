package io.otaflow.connectors.discovery;

/** What a device's app says about itself, checked. {@code uptimeMs} and {@code hardware} may be null. */
public record DeviceMetadata(String deviceId, String firmwareType, String firmwareVersion, boolean locked, String mode,
                             Long uptimeMs, String hardware) {

    /** The same device state (uptime aside): a change here is worth a report. */
    public boolean sameStateAs(DeviceMetadata other) {
        return other != null && deviceId.equals(other.deviceId) && firmwareType.equals(other.firmwareType)
                && firmwareVersion.equals(other.firmwareVersion) && locked == other.locked && mode.equals(other.mode)
                && java.util.Objects.equals(hardware, other.hardware);
    }
}
