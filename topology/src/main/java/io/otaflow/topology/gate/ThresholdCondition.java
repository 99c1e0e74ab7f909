package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.ThresholdAction;

import java.util.Map;
import java.util.Optional;

/**
 * Whether a rollout's failures cross its policy: at once for a listed abort code; otherwise, once
 * the finished sample (devices whose latest command SUCCEEDED or FAILED; SKIPPED never counts)
 * reaches the minimum, an overall error rate or a per-code rate above its threshold.
 */
public final class ThresholdCondition {
    private ThresholdCondition() {
    }

    /** A crossed threshold: which, in words, and whether it aborts (else it pauses). */
    public record Breach(RolloutReason code, String text, boolean abort) {
    }

    public static Optional<Breach> check(RolloutPolicy policy, int succeeded, int failed, Map<String, Integer> failuresByCode) {
        for (String code : policy.getAbortOnErrorCodes()) {
            if (failuresByCode.getOrDefault(code, 0) > 0) {
                return Optional.of(new Breach(RolloutReason.ABORT_CODE, "failure code " + code + " aborts this rollout", true));
            }
        }
        int sample = succeeded + failed;
        if (sample < policy.getMinSampleSize()) {
            return Optional.empty();
        }
        boolean abort = policy.getErrorAction() == ThresholdAction.ABORT;
        if (policy.getErrorThreshold() != null && failed > policy.getErrorThreshold() * sample) {
            return Optional.of(new Breach(RolloutReason.ERROR_THRESHOLD,
                    String.format("error rate %d/%d exceeds %.0f%%", failed, sample, policy.getErrorThreshold() * 100), abort));
        }
        for (Map.Entry<String, Double> threshold : policy.getPerErrorCodeThresholds().entrySet()) {
            int n = failuresByCode.getOrDefault(threshold.getKey(), 0);
            if (n > threshold.getValue() * sample) {
                return Optional.of(new Breach(RolloutReason.ERROR_CODE_THRESHOLD,
                        String.format("%s rate %d/%d exceeds %.0f%%", threshold.getKey(), n, sample, threshold.getValue() * 100), abort));
            }
        }
        return Optional.empty();
    }
}
