package io.otaflow.simulators.fleet;

import io.otaflow.simulators.device.Faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Which devices of a fleet get which fault, from a spec such as
 * {@code "locked=5%,ignore-reboot=2%,slow-reboot:20s=3%,never-returns=1%,drop-after:100KiB=2%,
 * corrupt-page:10=1%,no-boot=2%,unreachable:30s=1%"}. Each entry names a fault, its optional
 * parameter after ':', and the share of devices (a percentage, or a count without '%'). Devices
 * are picked deterministically from a seed, each device getting at most one fault, so a run can
 * be repeated.
 */
public final class FaultPlan {
    /** One entry of the spec. */
    public record Entry(String fault, String parameter, double share, boolean percent) {
    }

    /** What one device gets. */
    public record Assignment(Faults faults, boolean locked, String label) {
        static final Assignment HEALTHY = new Assignment(Faults.NONE, false, "healthy");
    }

    private final List<Entry> entries;

    private FaultPlan(List<Entry> entries) {
        this.entries = entries;
    }

    public static FaultPlan none() {
        return new FaultPlan(List.of());
    }

    public static FaultPlan parse(String spec) {
        List<Entry> entries = new ArrayList<>();
        if (spec == null || spec.isBlank()) {
            return new FaultPlan(entries);
        }
        for (String part : spec.split(",")) {
            String item = part.trim();
            int eq = item.lastIndexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("fault '" + item + "' needs a share, e.g. " + item + "=5%");
            }
            String name = item.substring(0, eq).trim();
            String share = item.substring(eq + 1).trim();
            String parameter = null;
            int colon = name.indexOf(':');
            if (colon >= 0) {
                parameter = name.substring(colon + 1);
                name = name.substring(0, colon);
            }
            name = name.toLowerCase(Locale.ROOT);
            boolean percent = share.endsWith("%");
            double value;
            try {
                value = Double.parseDouble(percent ? share.substring(0, share.length() - 1) : share);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("fault '" + item + "': share '" + share + "' is not a number or percentage");
            }
            if (value < 0 || (percent && value > 100)) {
                throw new IllegalArgumentException("fault '" + item + "': share out of range");
            }
            Entry entry = new Entry(name, parameter, value, percent);
            apply(entry); // validates name and parameter
            entries.add(entry);
        }
        return new FaultPlan(entries);
    }

    /** Assignments for a fleet of {@code devices}, reproducible for a seed. */
    public List<Assignment> assign(int devices, long seed) {
        List<Assignment> result = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            result.add(Assignment.HEALTHY);
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < devices; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, new java.util.Random(new SplittableRandom(seed).nextLong()));
        int next = 0;
        for (Entry entry : entries) {
            int count = (int) Math.round(entry.percent() ? devices * entry.share() / 100.0 : entry.share());
            for (int k = 0; k < count && next < devices; k++) {
                result.set(order.get(next++), apply(entry));
            }
        }
        return result;
    }

    private static Assignment apply(Entry entry) {
        String p = entry.parameter();
        return switch (entry.fault()) {
            case "locked" -> new Assignment(Faults.NONE, true, "locked");
            case "ignore-reboot" -> new Assignment(Faults.NONE.withIgnoreReboot(), false, "ignore-reboot");
            case "slow-reboot" -> new Assignment(Faults.NONE.withSlowReboot(duration(p, "30s")), false, "slow-reboot");
            case "never-returns" -> new Assignment(Faults.NONE.withNeverReturns(), false, "never-returns");
            case "drop-after" -> new Assignment(Faults.NONE.withDropAfterBytes(bytes(p, "64KiB")), false, "drop-after");
            case "corrupt-page" -> new Assignment(Faults.NONE.withCorruptPage(p == null ? 10 : Integer.parseInt(p)), false, "corrupt-page");
            case "no-boot" -> new Assignment(Faults.NONE.withNewFirmwareNoBoot(), false, "no-boot");
            case "unreachable" -> new Assignment(Faults.NONE.withUnreachableFor(duration(p, "60s")), false, "unreachable");
            default -> throw new IllegalArgumentException("unknown fault '" + entry.fault() + "' (locked, ignore-reboot, "
                    + "slow-reboot:DURATION, never-returns, drop-after:BYTES, corrupt-page:N, no-boot, unreachable:DURATION)");
        };
    }

    /** "30s", "500ms", "2m" or an ISO-8601 duration. */
    public static Duration duration(String text, String fallback) {
        String t = (text == null ? fallback : text).trim().toLowerCase(Locale.ROOT);
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            }
            if (t.endsWith("m")) {
                return Duration.ofSeconds(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60));
            }
            return Duration.parse(t.toUpperCase(Locale.ROOT));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not a duration (e.g. 500ms, 30s, 2m)");
        }
    }

    /** "600KiB", "1MiB", "4096". */
    public static long bytes(String text, String fallback) {
        String t = (text == null ? fallback : text).trim().toUpperCase(Locale.ROOT);
        try {
            if (t.endsWith("KIB")) {
                return (long) (Double.parseDouble(t.substring(0, t.length() - 3)) * 1024);
            }
            if (t.endsWith("MIB")) {
                return (long) (Double.parseDouble(t.substring(0, t.length() - 3)) * 1024 * 1024);
            }
            if (t.endsWith("KB")) {
                return (long) (Double.parseDouble(t.substring(0, t.length() - 2)) * 1000);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size (e.g. 600KiB, 1MiB, 4096)");
        }
    }
}
