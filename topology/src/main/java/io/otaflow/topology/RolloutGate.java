package io.otaflow.topology;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.WaveSpec;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The rollout gate, one per Configuration (records arrive keyed by it): decides which eligible
 * devices get a flash command, under the policy: max in flight, cumulative waves advancing on a
 * success threshold (after a soak), pause or abort on an error threshold after a minimum sample
 * (overall, per failure code, or at once for listed codes), a rate per minute, a deadline per
 * device with retries and exponential backoff, manual pause, and supersession (a new generation
 * starts afresh; the old one issues nothing more). Runs on device updates and on a wall-clock
 * punctuation, so time-based rules (deadlines, backoff, rate, soak) move without new input.
 *
 * <p>Every command issued is recorded in the {@code rollout-meta} store under
 * {@code I|config|device|generation|attempt}, checked before issuing: with exactly-once
 * processing, no device ever gets two commands for one generation and attempt.
 */
public final class RolloutGate implements Processor<String, DeviceState, String, SpecificRecord> {
    private static final Logger log = LoggerFactory.getLogger(RolloutGate.class);
    public static final String DEVICES_STORE = "rollout-devices";
    public static final String META_STORE = "rollout-meta";
    public static final String STATUS_STORE = "rollout-status-store";
    static final char SEP = '\u0000';

    private final String desiredStoreName;
    private final Duration punctuateEvery;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, DeviceState> devices;
    private KeyValueStore<String, String> meta;
    private KeyValueStore<String, RolloutStatus> statuses;
    private TimestampedKeyValueStore<String, DesiredFirmware> desired;
    private final Set<String> dirty = new HashSet<>();

    public RolloutGate(String desiredStoreName, Duration punctuateEvery) {
        this.desiredStoreName = desiredStoreName;
        this.punctuateEvery = punctuateEvery;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.devices = context.getStateStore(DEVICES_STORE);
        this.meta = context.getStateStore(META_STORE);
        this.statuses = context.getStateStore(STATUS_STORE);
        this.desired = context.getStateStore(desiredStoreName);
        context.schedule(punctuateEvery, PunctuationType.WALL_CLOCK_TIME, this::evaluateAll);
    }

    @Override
    public void process(Record<String, DeviceState> record) {
        DeviceState device = record.value();
        if (record.key() == null || device == null) {
            return;
        }
        devices.put(record.key() + SEP + device.getDeviceId(), device);
        dirty.add(record.key());
    }

    private void evaluateAll(long timestamp) {
        Instant now = Instant.ofEpochMilli(timestamp);
        Set<String> configurations = new HashSet<>(dirty);
        dirty.clear();
        try (KeyValueIterator<String, ValueAndTimestamp<DesiredFirmware>> all = desired.all()) {
            all.forEachRemaining(kv -> configurations.add(kv.key));
        }
        try (KeyValueIterator<String, RolloutStatus> all = statuses.all()) {
            all.forEachRemaining(kv -> configurations.add(kv.key));
        }
        for (String configuration : configurations) {
            evaluate(configuration, now);
        }
    }

    /** Everything known of one device in this generation's rollout. */
    private record Tracked(DeviceState device, EligibilityClass eligibility, int issued, String lastCommandId, Instant lastDeadline,
                           boolean lastTerminal, boolean lastSucceeded, boolean lastFailed, boolean lastRetryable,
                           FlashErrorCode lastError, Instant lastFinished, boolean rolledBack) {
        boolean attempted() {
            return issued > 0;
        }

        boolean inFlight() {
            return attempted() && !lastTerminal;
        }
    }

    void evaluate(String configuration, Instant now) {
        ValueAndTimestamp<DesiredFirmware> wanted = desired.get(configuration);
        RolloutStatus previous = statuses.get(configuration);
        if (wanted == null || wanted.value() == null) {
            if (previous != null) {
                statuses.delete(configuration); // a tombstone stops the rollout
                context.forward(new Record<>(configuration, null, now.toEpochMilli()));
            }
            return;
        }
        DesiredFirmware target = wanted.value();
        RolloutPolicy policy = target.getPolicy();
        long generation = target.getGeneration();
        boolean newGeneration = previous == null || previous.getGeneration() != generation;

        List<Tracked> tracked = track(configuration, target, now);
        RolloutCounts counts = new RolloutCounts();
        Map<String, Integer> failuresByCode = new TreeMap<>();
        int succeeded = 0;
        int failed = 0;
        int inFlight = 0;
        int attempted = 0;
        for (Tracked t : tracked) {
            if (t.eligibility() == EligibilityClass.NOT_TARGETED) {
                continue;
            }
            counts.setTotal(counts.getTotal() + 1);
            switch (t.eligibility()) {
                case UP_TO_DATE -> counts.setUpToDate(counts.getUpToDate() + 1);
                case LOCKED -> counts.setLocked(counts.getLocked() + 1);
                case TYPE_MISMATCH -> counts.setTypeMismatch(counts.getTypeMismatch() + 1);
                case DOWNGRADE_REFUSED -> counts.setDowngradeRefused(counts.getDowngradeRefused() + 1);
                case OFFLINE -> counts.setOffline(counts.getOffline() + 1);
                case ELIGIBLE -> counts.setEligible(counts.getEligible() + 1);
                default -> {
                }
            }
            if (t.attempted()) {
                attempted++;
            }
            if (t.inFlight()) {
                inFlight++;
            } else if (t.lastSucceeded()) {
                succeeded++;
            } else if (t.lastFailed()) {
                failed++;
                if (t.lastError() != null) {
                    failuresByCode.merge(t.lastError().name(), 1, Integer::sum);
                }
            }
        }
        counts.setInFlight(inFlight);
        counts.setSucceeded(succeeded);
        counts.setFailed((int) tracked.stream().filter(t -> t.eligibility() == EligibilityClass.FAILED).count());

        // State: manual pause, sticky abort, error thresholds, completion.
        RolloutState state = RolloutState.PROGRESSING;
        String reason = null;
        if (!newGeneration && previous.getState() == RolloutState.ABORTED && !"aborted by an operator".equals(previous.getReason())) {
            state = RolloutState.ABORTED;
            reason = previous.getReason();
        } else if (!newGeneration && previous.getState() == RolloutState.PAUSED && previous.getReason() != null
                && !previous.getReason().startsWith("paused by policy") && !target.getUpdatedAt().isAfter(previous.getUpdatedAt())) {
            state = RolloutState.PAUSED; // an automatic pause lasts until the desired firmware is published again
            reason = previous.getReason();
        } else if (policy.getAborted()) {
            state = RolloutState.ABORTED;
            reason = "aborted by an operator";
        } else {
            String breach = thresholdBreach(policy, succeeded, failed, failuresByCode);
            if (breach != null) {
                boolean abort = breach.startsWith("abort:") || policy.getErrorAction() == io.otaflow.schemas.ThresholdAction.ABORT;
                state = abort ? RolloutState.ABORTED : RolloutState.PAUSED;
                reason = breach.replaceFirst("^abort:", "");
            } else if (policy.getPaused()) {
                state = RolloutState.PAUSED;
                reason = "paused by policy";
            } else {
                java.util.Optional<String> closed = MaintenanceWindows.closed(policy.getMaintenanceWindows(), now);
                if (closed.isPresent()) {
                    state = RolloutState.WAITING_FOR_WINDOW;
                    reason = closed.get();
                }
            }
        }

        // Waves.
        List<Integer> waveTargets = waveTargets(policy, counts.getTotal());
        int wave = newGeneration ? 0 : Math.min(previous.getWave(), waveTargets.size() - 1);
        while (wave < waveTargets.size() - 1 && waveDone(configuration, generation, wave, waveTargets.get(wave), attempted, inFlight,
                succeeded, failed, policy, now)) {
            wave++;
        }

        List<FlashCommand> commands = new ArrayList<>();
        int rolledBack = (int) tracked.stream().filter(Tracked::rolledBack).count();
        if (policy.getRollbackOnFailure() && target.getPreviousImage() != null && target.getPreviousTarget() != null
                && state != RolloutState.ABORTED) {
            for (Tracked t : tracked) {
                if (!t.rolledBack() && t.lastFailed() && t.lastError() != null && ROLLBACK_CODES.contains(t.lastError())) {
                    FlashCommand rollback = rollback(configuration, target, t, now);
                    meta.put(rollbackKey(configuration, t.device().getDeviceId(), generation), rollback.getCommandId());
                    commands.add(rollback);
                    rolledBack++;
                }
            }
        }
        counts.setRolledBack(rolledBack);
        if (state == RolloutState.PROGRESSING) {
            int slots = Math.max(0, policy.getMaxInFlight() - inFlight - commands.size());
            slots = Math.min(slots, rateRoom(configuration, generation, policy, succeeded, now));
            int capacity = Math.max(0, waveTargets.get(wave) - attempted);
            List<Tracked> candidates = tracked.stream()
                    .filter(t -> t.eligibility() == EligibilityClass.ELIGIBLE && !t.inFlight())
                    .sorted(java.util.Comparator.comparing(t -> t.device().getDeviceId()))
                    .toList();
            Set<String> rollingBack = new HashSet<>();
            for (FlashCommand c : commands) {
                rollingBack.add(c.getDeviceId());
            }
            for (Tracked t : candidates) {
                if (rollingBack.contains(t.device().getDeviceId()) || t.rolledBack()) {
                    continue; // rolled back: not retried towards this generation's target
                }
                if (slots == 0) {
                    break;
                }
                boolean retry = t.attempted();
                if (retry) {
                    if (!t.lastRetryable() || t.issued() >= policy.getMaxAttempts() || !backoffElapsed(t, policy, now)) {
                        continue;
                    }
                } else if (capacity == 0) {
                    continue;
                } else {
                    capacity--;
                }
                commands.add(issue(configuration, target, t, t.issued() + 1, now));
                slots--;
            }
        }
        if (state == RolloutState.PROGRESSING && commands.isEmpty() && inFlight == 0 && counts.getEligible() == 0
                && wave == waveTargets.size() - 1) {
            state = RolloutState.COMPLETED;
        }

        RolloutStatus status = RolloutStatus.newBuilder()
                .setConfiguration(configuration)
                .setGeneration(generation)
                .setTarget(target.getTarget())
                .setCounts(counts)
                .setState(state)
                .setWave(wave)
                .setWaveCount(waveTargets.size())
                .setFailuresByCode(failuresByCode)
                .setReason(reason)
                .setStartedAt(newGeneration ? now : previous.getStartedAt())
                .setUpdatedAt(now)
                .build();
        for (FlashCommand command : commands) {
            context.forward(new Record<>(command.getDeviceId(), command, now.toEpochMilli()));
        }
        if (previous == null || !sameStatus(previous, status)) {
            statuses.put(configuration, status);
            context.forward(new Record<>(configuration, status, now.toEpochMilli()));
        }
    }

    private List<Tracked> track(String configuration, DesiredFirmware target, Instant now) {
        List<Tracked> tracked = new ArrayList<>();
        long generation = target.getGeneration();
        try (KeyValueIterator<String, DeviceState> range = devices.prefixScan(configuration + SEP,
                new org.apache.kafka.common.serialization.StringSerializer())) {
            while (range.hasNext()) {
                KeyValue<String, DeviceState> kv = range.next();
                DeviceState device = kv.value;
                if (!configuration.equals(device.getConfiguration())) {
                    continue; // moved to another Configuration
                }
                EligibilityClass eligibility = Eligibility.classify(device, target);
                int issued = 0;
                String lastCommand = null;
                Instant lastDeadline = null;
                for (int attempt = 1; ; attempt++) {
                    String entry = meta.get(issuedKey(configuration, device.getDeviceId(), generation, attempt));
                    if (entry == null) {
                        break;
                    }
                    issued = attempt;
                    String[] parts = entry.split("\\|");
                    lastCommand = parts[0];
                    lastDeadline = Instant.ofEpochMilli(Long.parseLong(parts[2]));
                }
                FlashSummary flash = device.getCurrentFlash();
                boolean ours = flash != null && lastCommand != null && flash.getCommandId().equals(lastCommand);
                boolean terminal = ours && Eligibility.terminal(flash.getPhase());
                boolean succeeded = terminal && flash.getPhase() != FlashPhase.FAILED;
                boolean failed = terminal && flash.getPhase() == FlashPhase.FAILED;
                boolean retryable = failed && flash.getLastError() != null && flash.getLastError().getRetryable();
                FlashErrorCode error = failed && flash.getLastError() != null ? flash.getLastError().getCode() : null;
                Instant finished = terminal ? flash.getFinishedAt() : null;
                if (issued > 0 && !terminal && lastDeadline != null && now.isAfter(lastDeadline)) {
                    // No terminal result by the deadline: a failure that may be retried.
                    terminal = true;
                    failed = true;
                    retryable = true;
                    error = FlashErrorCode.DEADLINE_EXCEEDED;
                    finished = lastDeadline;
                }
                if (eligibility == EligibilityClass.IN_FLIGHT && terminal) {
                    eligibility = EligibilityClass.ELIGIBLE; // our command timed out; the device may be retried
                }
                if (issued >= target.getPolicy().getMaxAttempts() && failed && eligibility == EligibilityClass.ELIGIBLE) {
                    eligibility = EligibilityClass.FAILED;
                }
                String rollbackId = meta.get(rollbackKey(configuration, device.getDeviceId(), generation));
                boolean rolledBack = rollbackId != null;
                if (rolledBack) {
                    // This generation failed on the device and the previous image goes back: done with, once the rollback ends.
                    boolean rollbackRunning = flash != null && flash.getCommandId().equals(rollbackId) && !Eligibility.terminal(flash.getPhase());
                    terminal = !rollbackRunning;
                    failed = true;
                    succeeded = false;
                    retryable = false;
                    if (eligibility != EligibilityClass.IN_FLIGHT) {
                        eligibility = EligibilityClass.FAILED;
                    }
                }
                tracked.add(new Tracked(device, eligibility, issued, lastCommand, lastDeadline, terminal, succeeded, failed,
                        retryable, error, finished, rolledBack));
            }
        }
        return tracked;
    }

    private FlashCommand issue(String configuration, DesiredFirmware target, Tracked t, int attempt, Instant now) {
        DeviceState device = t.device();
        String commandId = UUID.nameUUIDFromBytes((configuration + SEP + device.getDeviceId() + SEP + target.getGeneration() + SEP + attempt)
                .getBytes(StandardCharsets.UTF_8)).toString();
        Instant deadline = now.plusMillis(target.getPolicy().getDeviceTimeoutMs());
        meta.put(issuedKey(configuration, device.getDeviceId(), target.getGeneration(), attempt),
                commandId + "|" + now.toEpochMilli() + "|" + deadline.toEpochMilli());
        meta.put(issuedAtKey(configuration, target.getGeneration(), now.toEpochMilli(), device.getDeviceId()), "");
        log.info("Rollout({}) generation {}: command {} for {} (attempt {}) to {} {}", configuration, target.getGeneration(), commandId,
                device.getDeviceId(), attempt, target.getTarget().getFirmwareType(), target.getTarget().getFirmwareVersion());
        return command(configuration, target, device, commandId, attempt, now)
                .setFrom(device.getFirmware())
                .setTo(target.getTarget())
                .setImage(target.getImage())
                .setAllowDowngrade(target.getPolicy().getAllowDowngrade())
                .setAllowRepurpose(target.getPolicy().getAllowRepurpose())
                .build();
    }

    /** What every command of this rollout shares: ids, the device's endpoints, generation, attempt, deadline. */
    private static FlashCommand.Builder command(String configuration, DesiredFirmware target, DeviceState device, String commandId,
                                                int attempt, Instant now) {
        return FlashCommand.newBuilder()
                .setCommandId(commandId)
                .setDeviceId(device.getDeviceId())
                .setEndpoint(device.getEndpoint() == null ? "" : device.getEndpoint())
                .setOtaEndpoint(device.getOtaEndpoint())
                .setConfiguration(configuration)
                .setGeneration(target.getGeneration())
                .setAttempt(attempt)
                .setDeadline(now.plusMillis(target.getPolicy().getDeviceTimeoutMs()))
                .setIssuedAt(now);
    }

    /** Failures that mean the new image is bad for this device: put the previous one back. */
    static final Set<FlashErrorCode> ROLLBACK_CODES = Set.of(FlashErrorCode.VERIFY_MISMATCH, FlashErrorCode.BOOT_FAILED);

    private FlashCommand rollback(String configuration, DesiredFirmware target, Tracked t, Instant now) {
        DeviceState device = t.device();
        int attempt = t.issued() + 1;
        String commandId = UUID.nameUUIDFromBytes(("rollback" + SEP + configuration + SEP + device.getDeviceId() + SEP
                + target.getGeneration()).getBytes(StandardCharsets.UTF_8)).toString();
        log.info("Rollout({}) generation {}: rolling {} back to {} {} after {}", configuration, target.getGeneration(),
                device.getDeviceId(), target.getPreviousTarget().getFirmwareType(), target.getPreviousTarget().getFirmwareVersion(), t.lastError());
        return command(configuration, target, device, commandId, attempt, now)
                .setFrom(target.getTarget())
                .setTo(target.getPreviousTarget())
                .setImage(target.getPreviousImage())
                .setRollback(true)
                .setAllowDowngrade(true)
                .setAllowRepurpose(true)
                .build();
    }

    static String rollbackKey(String configuration, String deviceId, long generation) {
        return "R" + SEP + configuration + SEP + deviceId + SEP + generation;
    }

    static String issuedKey(String configuration, String deviceId, long generation, int attempt) {
        return "I" + SEP + configuration + SEP + deviceId + SEP + generation + SEP + attempt;
    }

    private static String issuedAtKey(String configuration, long generation, long at, String deviceId) {
        return "T" + SEP + configuration + SEP + generation + SEP + String.format("%020d", at) + SEP + deviceId;
    }

    /** Commands still allowed this minute (ratePerMinute, or the exponential rate, whichever applies). */
    private int rateRoom(String configuration, long generation, RolloutPolicy policy, int succeeded, Instant now) {
        Integer limit = policy.getRatePerMinute();
        if (policy.getExponentialRate() != null) {
            var exp = policy.getExponentialRate();
            int steps = exp.getRateIncreaseCriteria().getNumberOfSucceeded() <= 0 ? 0
                    : succeeded / exp.getRateIncreaseCriteria().getNumberOfSucceeded();
            double rate = exp.getBaseRatePerMinute() * Math.pow(exp.getIncrementFactor(), steps);
            int exponential = (int) Math.min(Integer.MAX_VALUE, Math.floor(rate));
            limit = limit == null ? exponential : Math.min(limit, exponential);
        }
        if (limit == null) {
            return Integer.MAX_VALUE;
        }
        String prefix = "T" + SEP + configuration + SEP + generation + SEP;
        String from = prefix + String.format("%020d", now.minusSeconds(60).toEpochMilli() + 1);
        int used = 0;
        try (KeyValueIterator<String, String> range = meta.range(from, prefix + "\uffff")) {
            while (range.hasNext()) {
                range.next();
                used++;
            }
        }
        return Math.max(0, limit - used);
    }

    private static boolean backoffElapsed(Tracked t, RolloutPolicy policy, Instant now) {
        long backoff = policy.getRetryBackoffMs() * (1L << Math.min(20, Math.max(0, t.issued() - 1)));
        return t.lastFinished() == null || !now.isBefore(t.lastFinished().plusMillis(backoff));
    }

    /** Null while within thresholds; otherwise why (prefixed "abort:" when a listed code forces an abort). */
    static String thresholdBreach(RolloutPolicy policy, int succeeded, int failed, Map<String, Integer> failuresByCode) {
        for (String code : policy.getAbortOnErrorCodes()) {
            if (failuresByCode.getOrDefault(code, 0) > 0) {
                return "abort:failure code " + code + " aborts this rollout";
            }
        }
        int sample = succeeded + failed;
        if (sample < policy.getMinSampleSize()) {
            return null;
        }
        if (policy.getErrorThreshold() != null && failed > policy.getErrorThreshold() * sample) {
            return String.format("error rate %d/%d exceeds %.0f%%", failed, sample, policy.getErrorThreshold() * 100);
        }
        for (Map.Entry<String, Double> threshold : policy.getPerErrorCodeThresholds().entrySet()) {
            int n = failuresByCode.getOrDefault(threshold.getKey(), 0);
            if (n > threshold.getValue() * sample) {
                return String.format("%s rate %d/%d exceeds %.0f%%", threshold.getKey(), n, sample, threshold.getValue() * 100);
            }
        }
        return null;
    }

    /** Cumulative device counts per wave; no waves is one wave of everyone. */
    static List<Integer> waveTargets(RolloutPolicy policy, int total) {
        List<Integer> targets = new ArrayList<>();
        for (WaveSpec wave : policy.getWaves()) {
            int size;
            if (wave.getCount() != null) {
                size = wave.getCount();
            } else if (wave.getPercent() != null) {
                size = (int) Math.ceil(total * wave.getPercent() / 100.0);
            } else {
                size = total;
            }
            int previous = targets.isEmpty() ? 0 : targets.get(targets.size() - 1);
            targets.add(Math.min(total, Math.max(previous, size)));
        }
        if (targets.isEmpty() || targets.get(targets.size() - 1) < total) {
            targets.add(total);
        }
        return targets;
    }

    private boolean waveDone(String configuration, long generation, int wave, int waveTarget, int attempted, int inFlight,
                             int succeeded, int failed, RolloutPolicy policy, Instant now) {
        if (attempted < waveTarget || inFlight > 0) {
            return false;
        }
        WaveSpec spec = wave < policy.getWaves().size() ? policy.getWaves().get(wave) : null;
        double threshold = spec == null ? 0 : spec.getSuccessThreshold();
        int sample = succeeded + failed;
        if (sample > 0 && succeeded < threshold * sample) {
            return false;
        }
        String key = "W" + SEP + configuration + SEP + generation + SEP + wave;
        String doneAt = meta.get(key);
        if (doneAt == null) {
            meta.put(key, String.valueOf(now.toEpochMilli()));
            doneAt = String.valueOf(now.toEpochMilli());
        }
        long soak = spec == null ? 0 : spec.getSoakMs();
        return !now.isBefore(Instant.ofEpochMilli(Long.parseLong(doneAt)).plusMillis(soak));
    }

    private static boolean sameStatus(RolloutStatus a, RolloutStatus b) {
        return a.getGeneration() == b.getGeneration() && a.getCounts().equals(b.getCounts()) && a.getState() == b.getState()
                && a.getWave() == b.getWave() && a.getWaveCount() == b.getWaveCount()
                && a.getFailuresByCode().equals(b.getFailuresByCode()) && java.util.Objects.equals(a.getReason(), b.getReason())
                && a.getTarget().equals(b.getTarget());
    }

    static Map<String, Integer> copy(Map<String, Integer> map) {
        return new HashMap<>(map);
    }
}
