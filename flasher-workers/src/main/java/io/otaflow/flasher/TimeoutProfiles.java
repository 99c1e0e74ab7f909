package io.otaflow.flasher;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reboot and boot timeouts per firmware type, the device profile a discovery handler reads from
 * each device: a board that needs two minutes to reach its bootloader must not make every Pico W
 * wait two minutes for a verdict. A type not named takes the worker's defaults.
 */
public record TimeoutProfiles(Timeouts defaults, Map<String, Timeouts> byType) {
    static final Duration MIN = Duration.ofSeconds(1);
    static final Duration MAX = Duration.ofHours(1);
    private static final Pattern ENTRY = Pattern.compile("([^=/\\s]+)=(\\d{1,10})/(\\d{1,10})");

    /**
     * @param reboot how long the bootloader may take to answer after a reboot request
     * @param boot   how long the flashed app may take to answer after GOGO
     */
    public record Timeouts(Duration reboot, Duration boot) {
    }

    public TimeoutProfiles {
        byType = Map.copyOf(byType);
    }

    public static TimeoutProfiles of(Duration reboot, Duration boot) {
        return new TimeoutProfiles(new Timeouts(reboot, boot), Map.of());
    }

    /**
     * The defaults plus entries {@code TYPE=REBOOT_MS/BOOT_MS} (e.g. {@code sensor-hub=120000/45000}).
     *
     * @throws IllegalArgumentException naming the entry that is malformed, out of range or repeated
     */
    public TimeoutProfiles withEntries(List<String> entries) {
        Map<String, Timeouts> types = new HashMap<>(byType);
        for (String raw : entries) {
            String entry = raw.trim();
            if (entry.isEmpty()) {
                continue;
            }
            Matcher m = ENTRY.matcher(entry);
            if (!m.matches()) {
                throw new IllegalArgumentException("timeout profile '" + entry + "': expected FIRMWARE_TYPE=REBOOT_MS/BOOT_MS, e.g. sensor-hub=120000/45000");
            }
            Timeouts timeouts = new Timeouts(inRange(entry, m.group(2)), inRange(entry, m.group(3)));
            if (types.put(m.group(1), timeouts) != null) {
                throw new IllegalArgumentException("timeout profile '" + entry + "': firmware type " + m.group(1) + " is named twice");
            }
        }
        return new TimeoutProfiles(defaults, types);
    }

    public Timeouts forType(String firmwareType) {
        return byType.getOrDefault(firmwareType, defaults);
    }

    private static Duration inRange(String entry, String millis) {
        Duration d = Duration.ofMillis(Long.parseLong(millis));
        if (d.compareTo(MIN) < 0 || d.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("timeout profile '" + entry + "': " + millis + " ms is outside 1000–3600000 ms");
        }
        return d;
    }
}
