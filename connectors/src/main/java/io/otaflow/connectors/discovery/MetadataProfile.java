package io.otaflow.connectors.discovery;

/**
 * The JSON field names of a device's metadata: otaflow's ({@code deviceId, firmwareType,
 * firmwareVersion, locked, mode, uptimeMs, hardware}) or the paper authors' later shape
 * ({@code device, application, version}, with the lock optional).
 */
public record MetadataProfile(String name, String deviceId, String firmwareType, String firmwareVersion, String locked,
                              String mode, String uptimeMs, String hardware) {

    public static final MetadataProfile OTAFLOW = new MetadataProfile("otaflow", "deviceId", "firmwareType", "firmwareVersion",
            "locked", "mode", "uptimeMs", "hardware");
    public static final MetadataProfile AUTHORS = new MetadataProfile("authors", "device", "application", "version",
            "locked", "mode", "uptime", "hardware");

    public static MetadataProfile named(String name) {
        return switch (name) {
            case "otaflow" -> OTAFLOW;
            case "authors" -> AUTHORS;
            default -> throw new IllegalArgumentException("profile must be otaflow or authors, not " + name);
        };
    }
}
