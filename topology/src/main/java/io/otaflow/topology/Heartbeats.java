package io.otaflow.topology;

import io.otaflow.schemas.DeviceState;
import org.apache.avro.Schema;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Which folded states are news for the rest of the topology. Most inputs are polls that say what
 * is already known (same firmware, same lock, same mode) and move only the device's clocks; the
 * folder stores them (the clocks order late events) but forwards them at most once per
 * {@link #PERIOD} of the device's own time, so an unchanged fleet costs one store write per poll,
 * not a pass through the join, the re-key and the gate. Downstream, {@code lastSeen} is therefore
 * at most one period old; every other field is current.
 */
public final class Heartbeats {
    /** How stale {@code lastSeen} may be on {@code device.state} and in the gate. */
    public static final Duration PERIOD = Duration.ofSeconds(60);

    private static final Schema SCHEMA = DeviceState.getClassSchema();
    private static final int LAST_SEEN = SCHEMA.getField("lastSeen").pos();
    private static final int LAST_REPORT_AT = SCHEMA.getField("lastReportAt").pos();
    private static final int PREVIOUS_CONFIGURATION = SCHEMA.getField("previousConfiguration").pos();

    private Heartbeats() {
    }

    /** True when {@code after} says something downstream does not know from {@code before}. */
    public static boolean isNews(DeviceState before, DeviceState after) {
        if (before == null) {
            return true;
        }
        if (after.getPreviousConfiguration() != null) {
            return true; // a move: the Configuration it left must hear of it
        }
        for (Schema.Field field : SCHEMA.getFields()) {
            int pos = field.pos();
            if (pos != LAST_SEEN && pos != LAST_REPORT_AT && pos != PREVIOUS_CONFIGURATION && !Objects.equals(before.get(pos), after.get(pos))) {
                return true;
            }
        }
        return period(before.getLastSeen()) != period(after.getLastSeen())
                || period(before.getLastReportAt()) != period(after.getLastReportAt());
    }

    private static long period(Instant at) {
        return at == null ? Long.MIN_VALUE : Math.floorDiv(at.toEpochMilli(), PERIOD.toMillis());
    }
}
