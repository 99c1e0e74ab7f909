package io.otaflow.bridge.desired;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import io.otaflow.schemas.ExponentialRate;
import io.otaflow.schemas.MaintenanceWindow;
import io.otaflow.schemas.RateIncreaseCriteria;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.ThresholdAction;
import io.otaflow.schemas.WaveSpec;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * A rollout policy from a Configuration's {@code otaflow.io/*} annotations. Every key is optional
 * (the record's defaults apply); a misspelt or malformed one is an error that names the key, so a
 * typo never silently rolls out with defaults.
 *
 * <pre>
 * otaflow.io/max-in-flight: "10"              otaflow.io/waves: "1,10%,50%,100%"
 * otaflow.io/wave-success-threshold: "0.9"    otaflow.io/wave-soak: "5m"
 * otaflow.io/error-threshold: "0.2" or "20%"  otaflow.io/min-sample-size: "10"
 * otaflow.io/error-action: pause | abort      otaflow.io/abort-on-error-codes: "SEAL_REJECTED,BOOT_FAILED"
 * otaflow.io/error-code-thresholds: "WRITE_FAILED=0.1,BOOT_FAILED=5%"
 * otaflow.io/rate-per-minute: "60"            otaflow.io/exponential-rate: "base=1,factor=2,succeeded=10"
 * otaflow.io/maintenance-windows: "0 2 * * * | 2h | Europe/Berlin; 0 14 * * 6 | 1h"
 * otaflow.io/device-timeout: "10m"            otaflow.io/max-attempts: "3"
 * otaflow.io/retry-backoff: "30s"             otaflow.io/rollback-on-failure: "true"
 * otaflow.io/allow-downgrade: "false"         otaflow.io/allow-repurpose: "false"
 * otaflow.io/paused: "false"                  otaflow.io/aborted: "false"
 * otaflow.io/resumed-at: "2026-12-03T12:00:00Z"  (otaflow rollout resume: lifts a pause the gate took itself)
 * otaflow.io/selector: "ring=canary,site=berlin"  (devices whose discovery properties match)
 * </pre>
 */
public final class RolloutPolicyAnnotations {
    public static final String PREFIX = "otaflow.io/";
    public static final String SELECTOR = PREFIX + "selector";
    /** What {@code otaflow rollout resume} stamps (an ISO instant): a resume always changes the Configuration. */
    public static final String RESUMED_AT = PREFIX + "resumed-at";
    private static final Pattern ERROR_CODE = Pattern.compile("[A-Z][A-Z0-9_]*");
    private static final CronParser CRON = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

    /** What each key does to the builder; the order is the order of the docs above. */
    private static final Map<String, BiConsumer<RolloutPolicy.Builder, String>> KEYS = new LinkedHashMap<>();

    static {
        KEYS.put("max-in-flight", (b, v) -> b.setMaxInFlight(positiveInt(v)));
        KEYS.put("waves", (b, v) -> b.setWaves(waves(v)));
        KEYS.put("wave-success-threshold", (b, v) -> { }); // applied to the waves afterwards
        KEYS.put("wave-soak", (b, v) -> { });
        KEYS.put("error-threshold", (b, v) -> b.setErrorThreshold(fraction(v)));
        KEYS.put("min-sample-size", (b, v) -> b.setMinSampleSize(nonNegativeInt(v)));
        KEYS.put("error-action", (b, v) -> b.setErrorAction(action(v)));
        KEYS.put("abort-on-error-codes", (b, v) -> b.setAbortOnErrorCodes(errorCodes(v)));
        KEYS.put("error-code-thresholds", (b, v) -> b.setPerErrorCodeThresholds(codeThresholds(v)));
        KEYS.put("rate-per-minute", (b, v) -> b.setRatePerMinute(positiveInt(v)));
        KEYS.put("exponential-rate", (b, v) -> b.setExponentialRate(exponentialRate(v)));
        KEYS.put("maintenance-windows", (b, v) -> b.setMaintenanceWindows(windows(v)));
        KEYS.put("device-timeout", (b, v) -> b.setDeviceTimeoutMs(positive(Durations.parse(v)).toMillis()));
        KEYS.put("max-attempts", (b, v) -> b.setMaxAttempts(positiveInt(v)));
        KEYS.put("retry-backoff", (b, v) -> b.setRetryBackoffMs(Durations.parse(v).toMillis()));
        KEYS.put("rollback-on-failure", (b, v) -> b.setRollbackOnFailure(bool(v)));
        KEYS.put("allow-downgrade", (b, v) -> b.setAllowDowngrade(bool(v)));
        KEYS.put("allow-repurpose", (b, v) -> b.setAllowRepurpose(bool(v)));
        KEYS.put("paused", (b, v) -> b.setPaused(bool(v)));
        KEYS.put("aborted", (b, v) -> b.setAborted(bool(v)));
        KEYS.put(RESUMED_AT.substring(PREFIX.length()), (b, v) -> b.setResumedAt(instant(v).toEpochMilli()));
        KEYS.put("selector", (b, v) -> selector(v));
    }

    private RolloutPolicyAnnotations() {
    }

    /** The keys this class reads, without the prefix, for docs and help. */
    public static Set<String> keys() {
        return KEYS.keySet();
    }

    public static RolloutPolicy policy(Map<String, String> annotations) throws InvalidFirmwareException {
        RolloutPolicy.Builder policy = RolloutPolicy.newBuilder();
        for (Map.Entry<String, String> annotation : annotations.entrySet()) {
            if (!annotation.getKey().startsWith(PREFIX)) {
                continue;
            }
            String key = annotation.getKey().substring(PREFIX.length());
            BiConsumer<RolloutPolicy.Builder, String> apply = KEYS.get(key);
            if (apply == null) {
                throw new InvalidFirmwareException("UnknownAnnotation", "unknown annotation " + annotation.getKey()
                        + "; otaflow reads " + String.join(", ", new TreeSet<>(KEYS.keySet()).stream().map(k -> PREFIX + k).toList()));
            }
            try {
                apply.accept(policy, annotation.getValue());
            } catch (IllegalArgumentException e) {
                throw new InvalidFirmwareException("InvalidPolicy", "annotation " + annotation.getKey() + ": " + e.getMessage());
            }
        }
        try {
            applyWaveSettings(policy, annotations);
        } catch (IllegalArgumentException e) {
            throw new InvalidFirmwareException("InvalidPolicy", e.getMessage());
        }
        return policy.build();
    }

    /** The device selector: {@code key=value} pairs, all of which a device's properties must have. */
    public static Map<String, String> selector(Map<String, String> annotations) throws InvalidFirmwareException {
        String text = annotations.get(SELECTOR);
        try {
            return text == null ? Map.of() : selector(text);
        } catch (IllegalArgumentException e) {
            throw new InvalidFirmwareException("InvalidPolicy", "annotation " + SELECTOR + ": " + e.getMessage());
        }
    }

    private static Map<String, String> selector(String text) {
        Map<String, String> selector = new LinkedHashMap<>();
        for (String pair : pairs(text)) {
            selector.put(pair.substring(0, pair.indexOf('=')).strip(), pair.substring(pair.indexOf('=') + 1).strip());
        }
        return selector;
    }

    private static void applyWaveSettings(RolloutPolicy.Builder policy, Map<String, String> annotations) {
        String threshold = annotations.get(PREFIX + "wave-success-threshold");
        String soak = annotations.get(PREFIX + "wave-soak");
        if (threshold == null && soak == null) {
            return;
        }
        if (!policy.hasWaves() || policy.getWaves().isEmpty()) {
            throw new IllegalArgumentException(PREFIX + "wave-success-threshold and " + PREFIX + "wave-soak need " + PREFIX + "waves");
        }
        List<WaveSpec> waves = new ArrayList<>();
        for (WaveSpec wave : policy.getWaves()) {
            WaveSpec.Builder next = WaveSpec.newBuilder(wave);
            if (threshold != null) {
                next.setSuccessThreshold(fraction(threshold));
            }
            if (soak != null) {
                next.setSoakMs(Durations.parse(soak).toMillis());
            }
            waves.add(next.build());
        }
        policy.setWaves(waves);
    }

    private static List<WaveSpec> waves(String text) {
        List<WaveSpec> waves = new ArrayList<>();
        double lastPercent = 0;
        int lastCount = 0;
        for (String item : text.split(",")) {
            String wave = item.strip();
            WaveSpec.Builder spec = WaveSpec.newBuilder();
            if (wave.endsWith("%")) {
                double percent = number(wave.substring(0, wave.length() - 1));
                if (percent <= 0 || percent > 100 || percent <= lastPercent) {
                    throw new IllegalArgumentException("wave '" + wave + "': percentages grow from wave to wave, within (0, 100]");
                }
                spec.setPercent(percent);
                lastPercent = percent;
            } else {
                int count = positiveInt(wave);
                if (count <= lastCount) {
                    throw new IllegalArgumentException("wave '" + wave + "': device counts grow from wave to wave");
                }
                spec.setCount(count);
                lastCount = count;
            }
            waves.add(spec.build());
        }
        return waves;
    }

    private static List<MaintenanceWindow> windows(String text) {
        List<MaintenanceWindow> windows = new ArrayList<>();
        for (String item : text.split(";")) {
            if (item.isBlank()) {
                continue;
            }
            String[] parts = item.split("\\|");
            if (parts.length < 2 || parts.length > 3) {
                throw new IllegalArgumentException("window '" + item.strip() + "' is not 'cron | duration [| time zone]'");
            }
            String cron = parts[0].strip();
            try {
                CRON.parse(cron).validate();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + cron + "' is not a 5-field cron expression: " + e.getMessage());
            }
            String zone = parts.length == 3 ? parts[2].strip() : "UTC";
            try {
                ZoneId.of(zone);
            } catch (DateTimeException e) {
                throw new IllegalArgumentException("'" + zone + "' is not a time zone");
            }
            windows.add(MaintenanceWindow.newBuilder().setCron(cron)
                    .setDurationMs(positive(Durations.parse(parts[1])).toMillis()).setTimeZone(zone).build());
        }
        return windows;
    }

    private static ExponentialRate exponentialRate(String text) {
        ExponentialRate.Builder rate = ExponentialRate.newBuilder();
        RateIncreaseCriteria.Builder criteria = RateIncreaseCriteria.newBuilder();
        for (String pair : pairs(text)) {
            String key = pair.substring(0, pair.indexOf('=')).strip();
            String value = pair.substring(pair.indexOf('=') + 1).strip();
            switch (key) {
                case "base" -> rate.setBaseRatePerMinute(positiveInt(value));
                case "factor" -> {
                    double factor = number(value);
                    if (factor <= 1) {
                        throw new IllegalArgumentException("factor must be above 1");
                    }
                    rate.setIncrementFactor(factor);
                }
                case "succeeded" -> criteria.setNumberOfSucceeded(positiveInt(value));
                default -> throw new IllegalArgumentException("unknown key '" + key + "' (base, factor, succeeded)");
            }
        }
        return rate.setRateIncreaseCriteria(criteria.build()).build();
    }

    private static Map<String, Double> codeThresholds(String text) {
        Map<String, Double> thresholds = new LinkedHashMap<>();
        for (String pair : pairs(text)) {
            String code = pair.substring(0, pair.indexOf('=')).strip();
            checkCode(code);
            thresholds.put(code, fraction(pair.substring(pair.indexOf('=') + 1)));
        }
        return thresholds;
    }

    private static List<String> errorCodes(String text) {
        List<String> codes = new ArrayList<>();
        for (String item : text.split(",")) {
            String code = item.strip();
            checkCode(code);
            codes.add(code);
        }
        return codes;
    }

    private static void checkCode(String code) {
        if (!ERROR_CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("'" + code + "' is not an error code such as WRITE_FAILED");
        }
    }

    private static List<String> pairs(String text) {
        List<String> pairs = new ArrayList<>();
        for (String item : text.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            if (item.indexOf('=') <= 0) {
                throw new IllegalArgumentException("'" + item.strip() + "' is not key=value");
            }
            pairs.add(item.strip());
        }
        return pairs;
    }

    private static ThresholdAction action(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "pause" -> ThresholdAction.PAUSE;
            case "abort" -> ThresholdAction.ABORT;
            default -> throw new IllegalArgumentException("'" + text + "' is neither pause nor abort");
        };
    }

    /** A fraction in [0, 1], written as {@code 0.2} or {@code 20%}. */
    private static double fraction(String text) {
        String value = text.strip();
        double fraction = value.endsWith("%") ? number(value.substring(0, value.length() - 1)) / 100 : number(value);
        if (fraction < 0 || fraction > 1) {
            throw new IllegalArgumentException("'" + text + "' is not a fraction between 0 and 1 (or 0% and 100%)");
        }
        return fraction;
    }

    private static Instant instant(String text) {
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + text + "' is not a UTC time such as 2026-12-03T12:00:00Z");
        }
    }

    private static boolean bool(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true", "yes" -> true;
            case "false", "no" -> false;
            default -> throw new IllegalArgumentException("'" + text + "' is neither true nor false");
        };
    }

    private static double number(String text) {
        try {
            return Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number");
        }
    }

    private static int nonNegativeInt(String text) {
        try {
            int n = Integer.parseInt(text.strip());
            if (n < 0) {
                throw new IllegalArgumentException("'" + text + "' is negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number");
        }
    }

    private static int positiveInt(String text) {
        int n = nonNegativeInt(text);
        if (n == 0) {
            throw new IllegalArgumentException("'" + text + "' must be at least 1");
        }
        return n;
    }

    private static Duration positive(Duration duration) {
        if (duration.isZero() || duration.isNegative()) {
            throw new IllegalArgumentException(duration + " must be positive");
        }
        return duration;
    }
}
