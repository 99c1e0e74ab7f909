package io.otaflow.bridge.status;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.fold.FlashSummaries;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An Instance's {@code status}: the firmware the device reports, its current (or last) update and
 * two conditions, {@code UpToDate} (from the topology's eligibility class) and {@code Updating}.
 * A pure function of what the bridge knows, so the same knowledge always yields the same map.
 */
public final class InstanceStatus {
    public static final String UP_TO_DATE = "UpToDate";
    public static final String UPDATING = "Updating";

    private InstanceStatus() {
    }

    /**
     * @param state   the device's state from {@code device.state}; null if the topology has none yet
     * @param live    the device's flash folded from {@code flash.progress}, which may be ahead of {@code state}
     * @param desired the desired firmware of the device's Configuration, for messages; may be null
     * @return the status, or null when there is nothing to say yet
     */
    public static Map<String, Object> of(DeviceState state, FlashSummary live, DesiredFirmware desired, long generation,
                                         Map<String, Object> currentStatus, Instant now) {
        FlashSummary flash = newer(state == null ? null : state.getCurrentFlash(), live);
        if (state == null && flash == null) {
            return null;
        }
        List<Map<String, Object>> conditions = Conditions.of(currentStatus);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("observedGeneration", generation);
        if (state != null && state.getFirmware() != null) {
            Map<String, Object> firmware = new LinkedHashMap<>();
            firmware.put("type", state.getFirmware().getFirmwareType());
            firmware.put("version", state.getFirmware().getFirmwareVersion());
            firmware.put("locked", state.getLocked());
            firmware.put("mode", state.getMode().name());
            status.put("firmware", firmware);
        }
        if (flash != null) {
            status.put("update", update(flash));
        }
        status.put("conditions", List.of(
                upToDate(state, flash, desired, generation, conditions, now),
                updating(flash, generation, conditions, now)));
        return status;
    }

    /** Of the topology's summary and the one folded from progress, the one that tells more recent news. */
    static FlashSummary newer(FlashSummary fromState, FlashSummary live) {
        if (live == null) {
            return fromState;
        }
        if (fromState == null) {
            return live;
        }
        if (fromState.getCommandId().equals(live.getCommandId())) {
            if (FlashSummaries.terminal(fromState.getPhase())) {
                return fromState;
            }
            if (FlashSummaries.terminal(live.getPhase())) {
                return live;
            }
            return live.getUpdatedAt().isAfter(fromState.getUpdatedAt()) ? live : fromState;
        }
        return live.getStartedAt().isAfter(fromState.getStartedAt()) ? live : fromState;
    }

    private static Map<String, Object> update(FlashSummary flash) {
        Map<String, Object> update = new LinkedHashMap<>();
        update.put("phase", flash.getPhase().name());
        update.put("commandId", flash.getCommandId());
        update.put("targetVersion", flash.getTarget().getFirmwareVersion());
        long total = flash.getBytesTotal();
        int percent = flash.getPhase() == FlashPhase.SUCCEEDED ? 100
                : total <= 0 ? 0 : (int) Math.min(100, flash.getBytesWritten() * 100 / total);
        update.put("progress", percent);
        update.put("bytesWritten", flash.getBytesWritten());
        update.put("bytesTotal", total);
        update.put("attempt", flash.getAttempt());
        FlashError error = flash.getLastError();
        if (error != null) {
            Map<String, Object> lastError = new LinkedHashMap<>();
            lastError.put("code", error.getCode().name());
            lastError.put("message", error.getMessage());
            lastError.put("retryable", error.getRetryable());
            update.put("lastError", lastError);
        }
        update.put("startedAt", time(flash.getStartedAt()));
        if (flash.getFinishedAt() != null) {
            update.put("finishedAt", time(flash.getFinishedAt()));
        }
        return update;
    }

    private static Map<String, Object> upToDate(DeviceState state, FlashSummary flash, DesiredFirmware desired, long generation,
                                                List<Map<String, Object>> conditions, Instant now) {
        EligibilityClass eligibility = state == null || state.getEligibility() == null ? EligibilityClass.UNKNOWN : state.getEligibility();
        if (FlashSummaries.inFlight(flash)) {
            eligibility = EligibilityClass.IN_FLIGHT;
        }
        String runs = state == null || state.getFirmware() == null ? "unknown firmware" : describe(state.getFirmware());
        String target = desired == null ? "no desired firmware" : "target " + describe(desired.getTarget());
        String[] condition = switch (eligibility) {
            case UP_TO_DATE -> new String[]{"True", "RunningTarget", "runs " + runs};
            case ELIGIBLE -> new String[]{"False", "UpdatePending", "runs " + runs + "; " + target + ", waiting for the rollout to admit it"};
            case IN_FLIGHT -> new String[]{"False", "Updating", "runs " + runs + "; " + target + ", flash in progress"};
            case LOCKED -> new String[]{"False", "Locked", "runs " + runs + "; the device is locked, otaflow will not flash it"};
            case TYPE_MISMATCH -> new String[]{"False", "TypeMismatch", "runs " + runs + "; " + target + " is another firmware type"};
            case DOWNGRADE_REFUSED -> new String[]{"False", "DowngradeRefused", "runs " + runs + ", newer than the " + target};
            case FAILED -> new String[]{"False", "UpdateFailed", "runs " + runs + "; " + target + " failed"
                    + (flash != null && flash.getLastError() != null ? ": " + flash.getLastError().getCode() + " " + flash.getLastError().getMessage()
                    : flash != null && flash.getRollback() ? ", the device was rolled back" : "")};
            case OFFLINE -> new String[]{"Unknown", "Offline", "the device is not online in app mode"};
            case NOT_TARGETED -> new String[]{"Unknown", "NotTargeted", "runs " + runs + "; no desired firmware applies to it"};
            default -> new String[]{"Unknown", "Unknown", "runs " + runs};
        };
        return Conditions.condition(UP_TO_DATE, condition[0], condition[1], condition[2], generation, conditions, now);
    }

    private static Map<String, Object> updating(FlashSummary flash, long generation, List<Map<String, Object>> conditions, Instant now) {
        if (flash == null) {
            return Conditions.condition(UPDATING, "False", "NoUpdate", "no firmware update so far", generation, conditions, now);
        }
        String subject = (flash.getRollback() ? "rollback to " : "update to ") + describe(flash.getTarget())
                + " (command " + flash.getCommandId() + ", attempt " + flash.getAttempt() + ")";
        return switch (flash.getPhase()) {
            case SUCCEEDED -> Conditions.condition(UPDATING, "False", "Succeeded", subject + " succeeded", generation, conditions, now);
            case FAILED -> Conditions.condition(UPDATING, "False", "Failed", subject + " failed"
                    + (flash.getLastError() == null ? "" : ": " + flash.getLastError().getCode()), generation, conditions, now);
            case SKIPPED -> Conditions.condition(UPDATING, "False", "Skipped", subject + " skipped"
                    + (flash.getLastError() == null ? "" : ": " + flash.getLastError().getMessage()), generation, conditions, now);
            default -> Conditions.condition(UPDATING, "True", "Flashing", subject + " is " + flash.getPhase(), generation, conditions, now);
        };
    }

    private static String describe(FirmwareRef firmware) {
        return firmware.getFirmwareType() + " " + firmware.getFirmwareVersion();
    }

    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
