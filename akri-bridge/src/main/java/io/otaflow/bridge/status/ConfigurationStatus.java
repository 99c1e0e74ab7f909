package io.otaflow.bridge.status;

import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Configuration's {@code status}: the rollout from {@code rollout.status} (generation, target,
 * state, wave, counts) and the conditions {@code FirmwareValid} (set by the bridge when it reads the
 * Configuration) and {@code RolloutComplete}.
 */
public final class ConfigurationStatus {
    public static final String FIRMWARE_VALID = "FirmwareValid";
    public static final String ROLLOUT_COMPLETE = "RolloutComplete";

    /** The outcome of reading a Configuration's firmware keys, for its FirmwareValid condition. */
    public record Validity(boolean valid, String reason, String message) {
    }

    private ConfigurationStatus() {
    }

    /** The status, or null when the bridge has nothing to say (an ordinary Akri Configuration). */
    /**
     * @param desiredGeneration the generation of the desired firmware the bridge published for this
     *                          Configuration, or 0; a rollout status of an older generation is old news
     */
    public static Map<String, Object> of(Validity validity, RolloutStatus rollout, long desiredGeneration, long generation,
                                         Map<String, Object> currentStatus, Instant now) {
        if (validity == null && rollout == null) {
            return null;
        }
        List<Map<String, Object>> current = Conditions.of(currentStatus);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("observedGeneration", generation);
        List<Map<String, Object>> conditions = new ArrayList<>();
        if (validity != null) {
            conditions.add(Conditions.condition(FIRMWARE_VALID, validity.valid() ? "True" : "False", validity.reason(),
                    validity.message(), generation, current, now));
        }
        boolean showRollout = rollout != null && (validity == null || validity.valid());
        if (showRollout) {
            status.put("generation", rollout.getGeneration());
            Map<String, Object> target = new LinkedHashMap<>();
            target.put("type", rollout.getTarget().getFirmwareType());
            target.put("version", rollout.getTarget().getFirmwareVersion());
            status.put("target", target);
            status.put("state", rollout.getState().name());
            status.put("reason", rollout.getReasonCode().name());
            status.put("wave", rollout.getWave());
            status.put("waveCount", rollout.getWaveCount());
            status.put("counts", counts(rollout.getCounts()));
            boolean stale = rollout.getGeneration() < desiredGeneration;
            boolean complete = !stale && rollout.getState() == RolloutState.COMPLETED;
            conditions.add(Conditions.condition(ROLLOUT_COMPLETE, complete ? "True" : "False",
                    stale ? "Pending" : reason(rollout.getState()),
                    stale ? "generation " + desiredGeneration + " is published; the rollout has not started it yet" : message(rollout),
                    generation, current, now));
            status.put("lastUpdated", rollout.getUpdatedAt().truncatedTo(ChronoUnit.SECONDS).toString());
        }
        status.put("conditions", conditions);
        return status;
    }

    private static Map<String, Object> counts(RolloutCounts counts) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("total", counts.getTotal());
        map.put("upToDate", counts.getUpToDate());
        map.put("locked", counts.getLocked());
        map.put("eligible", counts.getEligible());
        map.put("inFlight", counts.getInFlight());
        map.put("succeeded", counts.getSucceeded());
        map.put("failed", counts.getFailed());
        map.put("skipped", counts.getSkipped());
        map.put("typeMismatch", counts.getTypeMismatch());
        map.put("downgradeRefused", counts.getDowngradeRefused());
        map.put("offline", counts.getOffline());
        map.put("rolledBack", counts.getRolledBack());
        map.put("blocked", counts.getBlocked());
        return map;
    }

    private static String reason(RolloutState state) {
        return switch (state) {
            case PROGRESSING -> "Progressing";
            case PAUSED -> "Paused";
            case ABORTED -> "Aborted";
            case COMPLETED -> "Completed";
            case SUPERSEDED -> "Superseded";
            case WAITING_FOR_WINDOW -> "WaitingForWindow";
            default -> "Unknown";
        };
    }

    private static String message(RolloutStatus rollout) {
        RolloutCounts c = rollout.getCounts();
        String text = rollout.getTarget().getFirmwareType() + " " + rollout.getTarget().getFirmwareVersion()
                + " (generation " + rollout.getGeneration() + "): " + c.getUpToDate() + "/" + c.getTotal() + " up to date, "
                + c.getInFlight() + " in flight, " + c.getFailed() + " failed, " + c.getLocked() + " locked";
        return rollout.getReason() == null ? text : text + "; " + rollout.getReason();
    }
}
