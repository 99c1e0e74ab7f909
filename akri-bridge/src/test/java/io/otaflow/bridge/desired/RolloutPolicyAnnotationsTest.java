package io.otaflow.bridge.desired;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.ThresholdAction;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutPolicyAnnotationsTest {
    @Test
    void noAnnotationsMeanTheRecordsDefaults() throws Exception {
        assertThat(RolloutPolicyAnnotations.policy(Map.of("kubectl.kubernetes.io/last-applied-configuration", "{}")))
                .isEqualTo(RolloutPolicy.newBuilder().build());
    }

    @Test
    void everyKeyLandsInThePolicy() throws Exception {
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("otaflow.io/max-in-flight", "5");
        annotations.put("otaflow.io/waves", "1, 10%, 50%, 100%");
        annotations.put("otaflow.io/wave-success-threshold", "95%");
        annotations.put("otaflow.io/wave-soak", "2m");
        annotations.put("otaflow.io/error-threshold", "0.2");
        annotations.put("otaflow.io/min-sample-size", "4");
        annotations.put("otaflow.io/error-action", "Abort");
        annotations.put("otaflow.io/abort-on-error-codes", "SEAL_REJECTED, BOOT_FAILED");
        annotations.put("otaflow.io/error-code-thresholds", "WRITE_FAILED=10%");
        annotations.put("otaflow.io/rate-per-minute", "60");
        annotations.put("otaflow.io/exponential-rate", "base=2,factor=1.5,succeeded=20");
        annotations.put("otaflow.io/maintenance-windows", "0 2 * * * | 2h | Europe/Berlin; 30 14 * * 6 | 45m");
        annotations.put("otaflow.io/device-timeout", "5m");
        annotations.put("otaflow.io/max-attempts", "2");
        annotations.put("otaflow.io/retry-backoff", "PT10S");
        annotations.put("otaflow.io/rollback-on-failure", "false");
        annotations.put("otaflow.io/allow-downgrade", "yes");
        annotations.put("otaflow.io/allow-repurpose", "true");
        annotations.put("otaflow.io/paused", "true");
        annotations.put("otaflow.io/aborted", "false");
        annotations.put("otaflow.io/resumed-at", "2026-12-03T12:00:00Z");
        annotations.put("otaflow.io/selector", "ring=canary, site=berlin");
        RolloutPolicy policy = RolloutPolicyAnnotations.policy(annotations);
        assertThat(policy.getMaxInFlight()).isEqualTo(5);
        assertThat(policy.getWaves()).hasSize(4);
        assertThat(policy.getWaves().get(0).getCount()).isEqualTo(1);
        assertThat(policy.getWaves().get(2).getPercent()).isEqualTo(50.0);
        assertThat(policy.getWaves()).allSatisfy(w -> {
            assertThat(w.getSuccessThreshold()).isEqualTo(0.95);
            assertThat(w.getSoakMs()).isEqualTo(120_000);
        });
        assertThat(policy.getErrorThreshold()).isEqualTo(0.2);
        assertThat(policy.getMinSampleSize()).isEqualTo(4);
        assertThat(policy.getErrorAction()).isEqualTo(ThresholdAction.ABORT);
        assertThat(policy.getAbortOnErrorCodes()).containsExactly("SEAL_REJECTED", "BOOT_FAILED");
        assertThat(policy.getPerErrorCodeThresholds()).containsEntry("WRITE_FAILED", 0.1);
        assertThat(policy.getRatePerMinute()).isEqualTo(60);
        assertThat(policy.getExponentialRate().getBaseRatePerMinute()).isEqualTo(2);
        assertThat(policy.getExponentialRate().getIncrementFactor()).isEqualTo(1.5);
        assertThat(policy.getExponentialRate().getRateIncreaseCriteria().getNumberOfSucceeded()).isEqualTo(20);
        assertThat(policy.getMaintenanceWindows()).hasSize(2);
        assertThat(policy.getMaintenanceWindows().get(0).getTimeZone()).isEqualTo("Europe/Berlin");
        assertThat(policy.getMaintenanceWindows().get(0).getDurationMs()).isEqualTo(7_200_000);
        assertThat(policy.getMaintenanceWindows().get(1).getTimeZone()).isEqualTo("UTC");
        assertThat(policy.getDeviceTimeoutMs()).isEqualTo(300_000);
        assertThat(policy.getMaxAttempts()).isEqualTo(2);
        assertThat(policy.getRetryBackoffMs()).isEqualTo(10_000);
        assertThat(policy.getRollbackOnFailure()).isFalse();
        assertThat(policy.getAllowDowngrade()).isTrue();
        assertThat(policy.getAllowRepurpose()).isTrue();
        assertThat(policy.getPaused()).isTrue();
        assertThat(policy.getAborted()).isFalse();
        assertThat(policy.getResumedAt()).isEqualTo(java.time.Instant.parse("2026-12-03T12:00:00Z").toEpochMilli());
        assertThat(RolloutPolicyAnnotations.selector(annotations)).isEqualTo(Map.of("ring", "canary", "site", "berlin"));
    }

    @Test
    void aTypoOrABadValueIsAnErrorThatNamesTheKey() {
        for (var bad : List.of(
                Map.entry("otaflow.io/max-inflight", "UnknownAnnotation"),
                Map.entry("otaflow.io/max-in-flight=0", "InvalidPolicy"),
                Map.entry("otaflow.io/waves=50%,10%", "InvalidPolicy"),
                Map.entry("otaflow.io/error-threshold=1.5", "InvalidPolicy"),
                Map.entry("otaflow.io/error-action=stop", "InvalidPolicy"),
                Map.entry("otaflow.io/abort-on-error-codes=boot failed", "InvalidPolicy"),
                Map.entry("otaflow.io/maintenance-windows=0 2 * * | 2h", "InvalidPolicy"),
                Map.entry("otaflow.io/maintenance-windows=0 2 * * * | 2h | Mars/Olympus", "InvalidPolicy"),
                Map.entry("otaflow.io/device-timeout=soon", "InvalidPolicy"),
                Map.entry("otaflow.io/paused=maybe", "InvalidPolicy"),
                Map.entry("otaflow.io/resumed-at=yesterday", "InvalidPolicy"),
                Map.entry("otaflow.io/wave-soak=1m", "InvalidPolicy"))) {
            String[] keyValue = bad.getKey().split("=", 2);
            Map<String, String> annotations = Map.of(keyValue[0], keyValue.length > 1 ? keyValue[1] : "1");
            assertThatThrownBy(() -> RolloutPolicyAnnotations.policy(annotations))
                    .as(bad.getKey())
                    .isInstanceOf(InvalidFirmwareException.class)
                    .hasMessageContaining("otaflow.io/")
                    .satisfies(e -> assertThat(((InvalidFirmwareException) e).reason()).isEqualTo(bad.getValue()));
        }
    }
}
