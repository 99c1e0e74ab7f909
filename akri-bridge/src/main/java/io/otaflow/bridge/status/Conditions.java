package io.otaflow.bridge.status;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * metav1.Condition maps. A condition keeps its {@code lastTransitionTime} while its status stays
 * the same (the Kubernetes convention), so recomputing an unchanged condition yields an equal map
 * and costs no API call.
 */
public final class Conditions {
    private Conditions() {
    }

    public static Map<String, Object> condition(String type, String status, String reason, String message, long observedGeneration,
                                                List<Map<String, Object>> current, Instant now) {
        String since = now.truncatedTo(ChronoUnit.SECONDS).toString();
        if (current != null) {
            for (Map<String, Object> existing : current) {
                if (type.equals(existing.get("type")) && status.equals(existing.get("status")) && existing.get("lastTransitionTime") != null) {
                    since = existing.get("lastTransitionTime").toString();
                }
            }
        }
        Map<String, Object> condition = new LinkedHashMap<>();
        condition.put("type", type);
        condition.put("status", status);
        condition.put("reason", reason);
        condition.put("message", message);
        condition.put("lastTransitionTime", since);
        condition.put("observedGeneration", observedGeneration);
        return condition;
    }

    /** The conditions of a status map, or null. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> of(Map<String, Object> status) {
        Object conditions = status == null ? null : status.get("conditions");
        return conditions instanceof List<?> list ? (List<Map<String, Object>>) list : null;
    }

    /** The status ("True", "False", "Unknown") of one condition type, or null. */
    public static String statusOf(Map<String, Object> status, String type) {
        List<Map<String, Object>> conditions = of(status);
        if (conditions != null) {
            for (Map<String, Object> condition : conditions) {
                if (type.equals(condition.get("type"))) {
                    return String.valueOf(condition.get("status"));
                }
            }
        }
        return null;
    }
}
