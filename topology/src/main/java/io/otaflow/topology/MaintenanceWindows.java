package io.otaflow.topology;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.otaflow.schemas.MaintenanceWindow;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Optional;

/**
 * Maintenance windows: a window opens at each time its 5-field Unix cron expression matches (in
 * its time zone) and stays open for its duration. No windows means always open. A window that
 * cannot be parsed never opens (and says why), so a typo cannot start a rollout at the wrong time.
 */
public final class MaintenanceWindows {
    private static final CronParser PARSER = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    private MaintenanceWindows() {
    }

    /** Why no window is open: {@code invalid} when no window can be read at all. */
    public record Closed(boolean invalid, String reason) {
    }

    /** Empty when a window is open now (or there are none); otherwise why not. */
    public static Optional<Closed> closed(List<MaintenanceWindow> windows, Instant now) {
        if (windows.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder reasons = new StringBuilder();
        int invalid = 0;
        for (MaintenanceWindow window : windows) {
            try {
                ZonedDateTime at = now.atZone(ZoneId.of(window.getTimeZone()));
                ExecutionTime execution = ExecutionTime.forCron(PARSER.parse(window.getCron()));
                Optional<ZonedDateTime> opened = execution.lastExecution(at.plusSeconds(1));
                if (opened.isPresent() && !at.isAfter(opened.get().plus(Duration.ofMillis(window.getDurationMs())))) {
                    return Optional.empty();
                }
                reasons.append(reasons.isEmpty() ? "" : "; ").append("outside window '").append(window.getCron()).append("' ")
                        .append(window.getTimeZone());
            } catch (RuntimeException e) {
                invalid++;
                reasons.append(reasons.isEmpty() ? "" : "; ").append("window '").append(window.getCron()).append("' is invalid: ")
                        .append(e.getMessage());
            }
        }
        return Optional.of(new Closed(invalid == windows.size(), reasons.toString()));
    }
}
