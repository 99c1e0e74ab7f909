package io.otaflow.topology.gate;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.gate.AttemptOutcome;
import io.otaflow.schemas.gate.GateClass;
import io.otaflow.schemas.gate.GateDevice;
import io.otaflow.schemas.gate.RolloutLedger;
import io.otaflow.topology.MaintenanceWindows;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The rollout gate, one per Configuration (records arrive keyed by it): a thin processor over the
 * rules beside it ({@link DeviceAttempt}, {@link Tally}, {@link WaveCondition},
 * {@link ThresholdCondition}, {@link RolloutStateMachine}, {@link Admission}, {@link PriorityLane},
 * {@link PenaltyBox}, {@link CommandBuilder}) and five stores:
 * <ul>
 *   <li>{@code rollout-devices}: a {@link GateDevice} per Configuration and device;</li>
 *   <li>{@code rollout-ledger}: a {@link RolloutLedger} per Configuration, its tallies kept by
 *       transition;</li>
 *   <li>{@code rollout-queue}: the devices waiting for a command, by lane and wave rank;</li>
 *   <li>{@code rollout-timers}: deadlines, backoffs and blocks by time, so a tick reads only what
 *       expired;</li>
 *   <li>{@code rollout-status-store}: the status last published.</li>
 * </ul>
 * Work follows change: a device update moves one device between tallies and may issue commands at
 * once (the slot it freed, the device that became eligible); a tick fires expired timers and
 * evaluates each Configuration in O(1) plus what it admits. A full recount over a Configuration's
 * devices happens only when its rollout begins or its policy changes.
 */
public final class RolloutGate implements Processor<String, DeviceState, String, SpecificRecord> {
    private static final Logger log = LoggerFactory.getLogger(RolloutGate.class);
    public static final String DEVICES_STORE = "rollout-devices";
    public static final String LEDGER_STORE = "rollout-ledger";
    public static final String QUEUE_STORE = "rollout-queue";
    public static final String TIMERS_STORE = "rollout-timers";
    public static final String STATUS_STORE = "rollout-status-store";
    static final char SEP = '\u0000';
    /** What the first decision of an admission pass assumes of the wave: nothing holds it (it is read after). */
    private static final WaveCondition.Position NO_WAVE_HOLD = new WaveCondition.Position(0, null, RolloutReason.NONE);

    private final String desiredStoreName;
    private final Duration punctuateEvery;
    private final Duration passBudget;
    /** The budget of the pass under way: set when a device update or a tick begins. */
    private PassBudget budget;
    private ProcessorContext<String, SpecificRecord> context;
    private KeyValueStore<String, GateDevice> devices;
    private KeyValueStore<String, RolloutLedger> ledgers;
    private KeyValueStore<String, String> queue;
    private KeyValueStore<String, String> timers;
    private KeyValueStore<String, RolloutStatus> statuses;
    private TimestampedKeyValueStore<String, DesiredFirmware> desired;
    /** Per queue lane prefix, a key below which no entry exists: pops skip the deleted head of the queue. In memory only. */
    private final Map<String, String> queueCursors = new HashMap<>();
    private String timerCursor = "";

    public static final Duration DEFAULT_PASS_BUDGET = PassBudget.DEFAULT;

    public RolloutGate(String desiredStoreName, Duration punctuateEvery) {
        this(desiredStoreName, punctuateEvery, DEFAULT_PASS_BUDGET);
    }

    /** @param passBudget how long one pass may work before the rest waits for the next (at least one step is always made) */
    public RolloutGate(String desiredStoreName, Duration punctuateEvery, Duration passBudget) {
        this.desiredStoreName = desiredStoreName;
        this.punctuateEvery = punctuateEvery;
        this.passBudget = passBudget;
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.devices = context.getStateStore(DEVICES_STORE);
        this.ledgers = context.getStateStore(LEDGER_STORE);
        this.queue = context.getStateStore(QUEUE_STORE);
        this.timers = context.getStateStore(TIMERS_STORE);
        this.statuses = context.getStateStore(STATUS_STORE);
        this.desired = context.getStateStore(desiredStoreName);
        context.schedule(punctuateEvery, PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    // ------------------------------------------------------------------ device updates

    @Override
    public void process(Record<String, DeviceState> record) {
        String configuration = record.key();
        DeviceState state = record.value();
        if (configuration == null || state == null) {
            return;
        }
        long now = context.currentSystemTimeMs();
        budget = PassBudget.starting(passBudget);
        String key = deviceKey(configuration, state.getDeviceId());
        GateDevice previous = devices.get(key);
        if (!configuration.equals(state.getConfiguration())) {
            leave(configuration, key, previous, now); // it moved to another Configuration
            return;
        }
        DesiredFirmware wanted = desired(configuration);
        if (wanted == null) {
            GateDevice next = previous == null ? DeviceAttempt.fresh(state) : GateDevice.newBuilder(previous).setDevice(state).build();
            next.setCounted(GateClass.NONE);
            devices.put(key, next);
            return;
        }
        RolloutLedger ledger = ensureRollout(configuration, wanted, now);
        previous = devices.get(key); // a rollout that began just now may have recounted this device too
        if (previous == null) {
            previous = DeviceAttempt.fresh(state);
        }
        if (ledger.getRecountFrom() != null && key.compareTo(ledger.getRecountFrom()) >= 0) {
            // The recount under way has not reached it: keep what it reports, the recount counts it.
            devices.put(key, GateDevice.newBuilder(previous).setDevice(state).build());
            ledgers.put(configuration, ledger);
            return;
        }
        settle(configuration, ledger, wanted, previous, DeviceAttempt.update(previous, state, wanted, now), now);
        admit(configuration, ledger, wanted, now, false); // a slot it freed, or the device itself, is taken at once
        ledgers.put(configuration, ledger);
    }

    private void leave(String configuration, String key, GateDevice previous, long now) {
        if (previous == null) {
            return;
        }
        RolloutLedger ledger = ledgers.get(configuration);
        dequeue(ledger, previous);
        devices.delete(key);
        if (ledger != null) {
            if (ledger.getRecountFrom() == null || key.compareTo(ledger.getRecountFrom()) < 0) {
                Tally.move(ledger, previous, null); // a device the recount under way has not reached was not counted
            }
            DesiredFirmware wanted = desired(configuration);
            if (wanted != null && previous.getCounted() == GateClass.IN_FLIGHT) {
                admit(configuration, ledger, wanted, now, false);
            }
            ledgers.put(configuration, ledger);
        }
    }

    /**
     * Applies one device's new standing: counts a failure (and the penalty box), issues a rollback,
     * moves it in the queue and the tallies, and sets the timer of its next change by time.
     */
    private void settle(String configuration, RolloutLedger ledger, DesiredFirmware wanted, GateDevice previous,
                        DeviceAttempt.Result result, long now) {
        GateDevice next = result.device();
        RolloutPolicy policy = wanted.getPolicy();
        if (result.failed() != null) {
            ledger.setFailuresByCode(increment(ledger.getFailuresByCode(), result.failed().name()));
            PenaltyBox.failed(next, policy, now);
            DeviceAttempt.reclassify(next, wanted, now);
        }
        if (result.rollback()) {
            FlashCommand rollback = CommandBuilder.rollback(configuration, ledger.getCreatedAt(), wanted, next.getDevice(), next.getAttempts() + 1, now);
            next.setRollbackCommandId(rollback.getCommandId());
            next.setOutcome(AttemptOutcome.ROLLING_BACK);
            next.setDeadline(rollback.getDeadline().toEpochMilli());
            next.setRetryAt(null);
            next.setCounted(GateClass.IN_FLIGHT);
            ledger.setRolledBack(ledger.getRolledBack() + 1);
            log.info("Rollout({}) generation {}: rolling {} back to {} {} after {}", configuration, wanted.getGeneration(),
                    next.getDevice().getDeviceId(), wanted.getPreviousTarget().getFirmwareType(),
                    wanted.getPreviousTarget().getFirmwareVersion(), next.getLastError());
            context.forward(new Record<>(rollback.getDeviceId(), rollback, now));
        }
        boolean sameRollout = RolloutId.of(previous).equals(RolloutId.of(ledger));
        String wantedKey = DeviceAttempt.admissible(next, now) ? queueKey(configuration, PriorityLane.of(next, wanted), next) : null;
        String heldKey = sameRollout ? previous.getQueueKey() : null;
        if (!Objects.equals(heldKey, wantedKey)) {
            if (heldKey != null) {
                dequeue(ledger, previous);
            }
            if (wantedKey != null) {
                enqueue(ledger, wantedKey);
            }
        }
        next.setQueueKey(wantedKey);
        Long change = DeviceAttempt.nextChange(next);
        Long before = sameRollout ? DeviceAttempt.nextChange(previous) : null;
        if (!Objects.equals(change, before)) {
            if (before != null && before > now) {
                timers.delete(timerKey(before, configuration, next.getDevice().getDeviceId())); // one timer per device at most
            }
            if (change != null && change > now) {
                timers.put(timerKey(change, configuration, next.getDevice().getDeviceId()), "");
            }
        }
        Tally.move(ledger, previous, next);
        devices.put(deviceKey(configuration, next.getDevice().getDeviceId()), next);
    }

    // ------------------------------------------------------------------ rollouts

    private DesiredFirmware desired(String configuration) {
        ValueAndTimestamp<DesiredFirmware> value = desired.get(configuration);
        return value == null ? null : value.value();
    }

    /** The ledger of the wanted rollout: begun now if it is new (superseding the one before), recounted if its policy changed. */
    private RolloutLedger ensureRollout(String configuration, DesiredFirmware wanted, long now) {
        RolloutLedger ledger = ledgers.get(configuration);
        RolloutId id = RolloutId.of(wanted);
        if (ledger != null && RolloutId.of(ledger).equals(id)) {
            if (ledger.getDesiredUpdatedAt() != wanted.getUpdatedAt().toEpochMilli()) {
                recount(configuration, ledger, wanted, now);
            } else if (ledger.getRecountFrom() != null) {
                continueRecount(configuration, ledger, wanted, now);
            }
            return ledger;
        }
        if (ledger != null) {
            if (ledger.getState() != RolloutState.COMPLETED) {
                RolloutStatus superseded = status(ledger, wanted, now).setState(RolloutState.SUPERSEDED)
                        .setReasonCode(RolloutReason.SUPERSEDED)
                        .setReason("superseded by generation " + wanted.getGeneration() + (wanted.getEpoch() == ledger.getEpoch() ? "" : " of a new epoch"))
                        .setTarget(statuses.get(configuration) == null ? wanted.getTarget() : statuses.get(configuration).getTarget())
                        .build();
                context.forward(new Record<>(configuration, superseded, now));
            }
            clearQueue(configuration);
        }
        RolloutLedger fresh = RolloutLedger.newBuilder().setConfiguration(configuration).setEpoch(id.epoch()).setGeneration(id.generation())
                .setDesiredUpdatedAt(wanted.getUpdatedAt().toEpochMilli()).setCreatedAt(now).build();
        log.info("Rollout({}) generation {} (epoch {}) begins: {} {}", configuration, id.generation(), id.epoch(),
                wanted.getTarget().getFirmwareType(), wanted.getTarget().getFirmwareVersion());
        recount(configuration, fresh, wanted, now);
        ledgers.put(configuration, fresh);
        return fresh;
    }

    /**
     * The repair path: every device of the Configuration classified again against the wanted
     * firmware and its policy, the tallies and the queue rebuilt. Attempts of the same rollout
     * are kept; those of another start over.
     */
    private void recount(String configuration, RolloutLedger ledger, DesiredFirmware wanted, long now) {
        ledger.setClasses(new HashMap<>());
        ledger.setOutcomes(new HashMap<>());
        ledger.setWaves(new ArrayList<>());
        ledger.setQueuedFirst(0);
        ledger.setQueuedRetry(0);
        ledger.setQueuedPriority(0);
        ledger.setPriorityInFlight(0);
        ledger.setDesiredUpdatedAt(wanted.getUpdatedAt().toEpochMilli());
        ledger.setMaxAttempts(wanted.getPolicy().getMaxAttempts());
        clearQueue(configuration);
        ledger.setRecountFrom(configuration + SEP);
        continueRecount(configuration, ledger, wanted, now);
    }

    /**
     * Counts devices from where the recount stands until all are counted (recountFrom back to
     * null) or the pass's budget is spent; the next pass goes on from there.
     */
    private void continueRecount(String configuration, RolloutLedger ledger, DesiredFirmware wanted, long now) {
        String prefix = configuration + SEP;
        boolean[] finished = {true};
        StorePages.forEach(devices, ledger.getRecountFrom(), prefix + '\uffff', kv -> {
            GateDevice device = kv.value;
            GateDevice uncounted = GateDevice.newBuilder(device).setQueueKey(null).setCounted(GateClass.NONE).build();
            DeviceAttempt.Result result = DeviceAttempt.update(uncounted, device.getDevice(), wanted, now);
            settle(configuration, ledger, wanted, uncounted, new DeviceAttempt.Result(result.device(), null, false), now);
            ledger.setRecountFrom(kv.key + SEP); // the smallest key after this one
            if (budget.spent()) {
                finished[0] = false;
                return false;
            }
            return true;
        });
        if (finished[0]) {
            ledger.setRecountFrom(null);
        } else {
            log.info("Rollout({}) generation {}: recount goes on in the next pass, from {}", configuration, wanted.getGeneration(),
                    ledger.getRecountFrom().substring(prefix.length()));
        }
    }

    /** The key's desired firmware is gone (a tombstone): forget its rollout, so a key created again starts clean. */
    private void forget(String configuration, long now) {
        ledgers.delete(configuration);
        clearQueue(configuration);
        // Its devices forget their attempts too, even if the key comes back with a generation it had before.
        StorePages.forEachWithPrefix(devices, configuration + SEP, kv -> {
            devices.put(kv.key, GateDevice.newBuilder(kv.value).setGeneration(-1).setEpoch(0).setQueueKey(null)
                    .setCounted(GateClass.NONE).build());
            return true;
        });
        if (statuses.get(configuration) != null) {
            statuses.delete(configuration);
            context.forward(new Record<>(configuration, null, now));
        }
        log.info("Rollout({}) withdrawn: its ledger is forgotten", configuration);
    }

    // ------------------------------------------------------------------ ticks

    private void tick(long timestamp) {
        long now = timestamp;
        budget = PassBudget.starting(passBudget);
        fireTimers(now);
        Set<String> wanted = new HashSet<>();
        try (KeyValueIterator<String, ValueAndTimestamp<DesiredFirmware>> all = desired.all()) {
            all.forEachRemaining(kv -> {
                if (kv.value != null && kv.value.value() != null) {
                    wanted.add(kv.key);
                }
            });
        }
        List<String> withLedger = new ArrayList<>();
        try (KeyValueIterator<String, RolloutLedger> all = ledgers.all()) {
            all.forEachRemaining(kv -> withLedger.add(kv.key));
        }
        for (String configuration : withLedger) {
            if (!wanted.contains(configuration)) {
                forget(configuration, now);
            }
        }
        for (String configuration : wanted) {
            DesiredFirmware target = desired(configuration);
            RolloutLedger ledger = ensureRollout(configuration, target, now);
            admit(configuration, ledger, target, now, true);
            ledgers.put(configuration, ledger);
            publish(configuration, ledger, target, now);
        }
    }

    /** Deadlines, grace periods, backoffs and blocks that ended: only the timers due, whatever the fleet's size. */
    private void fireTimers(long now) {
        Map<String, RolloutLedger> changed = new HashMap<>();
        boolean[] stopped = {false};
        StorePages.forEach(timers, timerCursor, hex16(now) + SEP + '\uffff', timer -> {
            String key = timer.key;
            String[] parts = key.split(String.valueOf(SEP), 3);
            String configuration = parts[1];
            RolloutLedger ledger = changed.computeIfAbsent(configuration, ledgers::get);
            if (ledger != null && ledger.getRecountFrom() != null) {
                // Its rollout is being recounted: firing now could count the device twice. Wait here until it is done.
                timerCursor = key;
                stopped[0] = true;
                return false;
            }
            timers.delete(key);
            GateDevice device = devices.get(deviceKey(configuration, parts[2]));
            DesiredFirmware wanted = desired(configuration);
            if (device != null && wanted != null && ledger != null && RolloutId.of(device).equals(RolloutId.of(ledger))) {
                settle(configuration, ledger, wanted, device, DeviceAttempt.elapse(device, wanted, now), now);
            } // else a timer of a device or rollout that is gone
            if (budget.spent()) {
                timerCursor = key + SEP; // the rest is due still: the next pass fires it
                stopped[0] = true;
                return false;
            }
            return true;
        });
        changed.forEach((configuration, ledger) -> {
            if (ledger != null) {
                ledgers.put(configuration, ledger);
            }
        });
        if (!stopped[0]) {
            timerCursor = hex16(now + 1);
        }
    }

    // ------------------------------------------------------------------ admission

    /**
     * Decides the rollout's state and, while it progresses, issues commands into the free slots:
     * the priority lane, then retries, then first attempts in wave-rank order up to the open
     * wave's target. Maintenance windows are read on ticks; between them the last verdict holds.
     */
    private void admit(String configuration, RolloutLedger ledger, DesiredFirmware wanted, long now, boolean readWindows) {
        if (ledger.getRecountFrom() != null) {
            return; // nothing is decided or admitted on a partial count
        }
        RolloutPolicy policy = wanted.getPolicy();
        Optional<MaintenanceWindows.Closed> closed = readWindows
                ? MaintenanceWindows.closed(policy.getMaintenanceWindows(), Instant.ofEpochMilli(now))
                : previousWindowVerdict(ledger);
        if (RolloutStateMachine.acceptsMissedWave(previous(ledger), wanted.getUpdatedAt().toEpochMilli())) {
            ledger.setWavesAccepted(Math.max(ledger.getWavesAccepted(), ledger.getWave() + 1));
        }
        RolloutStateMachine.Decision decision = decide(ledger, wanted, closed, false, NO_WAVE_HOLD, now);
        int total = Tally.total(ledger);
        List<Integer> targets = WaveCondition.targets(policy, total);
        WaveCondition.Position position = WaveCondition.advance(policy, targets, ledger.getWaves(), ledger.getWave(), ledger.getWaveMetAt(),
                Tally.admittedFirst(ledger), ledger.getQueuedFirst(), ledger.getWavesAccepted(), Instant.ofEpochMilli(now));
        ledger.setWave(position.wave());
        ledger.setWaveMetAt(position.metAt());
        if (decision.admits()) {
            if (Admission.ratePerMinute(policy, Tally.succeeded(ledger)) != null) {
                ledger.setRecentIssues(new ArrayList<>(Admission.withinMinute(ledger.getRecentIssues(), now)));
            } else if (!ledger.getRecentIssues().isEmpty()) {
                ledger.setRecentIssues(new ArrayList<>());
            }
            Admission.Slots slots = Admission.slots(policy, Tally.of(ledger, GateClass.IN_FLIGHT), ledger.getPriorityInFlight(),
                    targets.get(position.wave()), Tally.admittedFirst(ledger), Tally.succeeded(ledger), ledger.getRecentIssues().size());
            int rate = slots.rate();
            // Between ticks a lane the ledger counts as empty is not read; a tick reads every lane, whatever the counts say.
            int priority = issue(configuration, ledger, wanted, PriorityLane.Lane.PRIORITY, Math.min(slots.priority(), rate), now, readWindows);
            rate -= priority;
            int retries = issue(configuration, ledger, wanted, PriorityLane.Lane.RETRY, Math.min(slots.main(), rate), now, readWindows);
            rate -= retries;
            issue(configuration, ledger, wanted, PriorityLane.Lane.NORMAL,
                    Math.min(Math.min(slots.main() - retries, slots.firstInWave()), rate), now, readWindows);
            position = WaveCondition.advance(policy, targets, ledger.getWaves(), ledger.getWave(), ledger.getWaveMetAt(),
                    Tally.admittedFirst(ledger), ledger.getQueuedFirst(), ledger.getWavesAccepted(), Instant.ofEpochMilli(now));
            ledger.setWave(position.wave());
            ledger.setWaveMetAt(position.metAt());
        }
        boolean complete = Tally.of(ledger, GateClass.ELIGIBLE) == 0 && Tally.of(ledger, GateClass.IN_FLIGHT) == 0;
        decision = decide(ledger, wanted, closed, complete, position, now);
        ledger.setState(decision.state());
        ledger.setReasonCode(decision.reasonCode());
        ledger.setReason(decision.reason());
        ledger.setHeldSince(decision.heldSince());
    }

    private static Optional<MaintenanceWindows.Closed> previousWindowVerdict(RolloutLedger ledger) {
        return switch (ledger.getReasonCode()) {
            case WINDOW_CLOSED -> Optional.of(new MaintenanceWindows.Closed(false, ledger.getReason()));
            case INVALID_WINDOW -> Optional.of(new MaintenanceWindows.Closed(true, ledger.getReason()));
            default -> Optional.empty();
        };
    }

    private static RolloutStateMachine.Decision decide(RolloutLedger ledger, DesiredFirmware wanted, Optional<MaintenanceWindows.Closed> closed,
                                                       boolean complete, WaveCondition.Position wave, long now) {
        return RolloutStateMachine.decide(new RolloutStateMachine.Inputs(previous(ledger), wanted.getPolicy(), wanted.getUpdatedAt().toEpochMilli(),
                ThresholdCondition.check(wanted.getPolicy(), Tally.succeeded(ledger), Tally.failed(ledger), ledger.getFailuresByCode()),
                closed, complete, wave.holding(), wave.detail(), now));
    }

    private static RolloutStateMachine.Previous previous(RolloutLedger ledger) {
        return new RolloutStateMachine.Previous(ledger.getState(), ledger.getReasonCode(), ledger.getReason(), ledger.getHeldSince());
    }

    /** Issues up to {@code slots} commands to the lane's head of the queue; how many it issued. */
    private int issue(String configuration, RolloutLedger ledger, DesiredFirmware wanted, PriorityLane.Lane lane, int slots, long now,
                      boolean evenIfCountedEmpty) {
        if (slots <= 0 || (!evenIfCountedEmpty && queued(ledger, lane) <= 0)) {
            return 0;
        }
        String prefix = configuration + SEP + lane.ordinal() + SEP;
        String from = queueCursors.getOrDefault(prefix, prefix);
        int[] issued = {0};
        // A page no larger than the free slots: an update that frees one slot reads one queue entry (a stale one costs another page).
        StorePages.forEach(queue, from, prefix + '\uffff', slots, entry -> {
            if (issueTo(configuration, ledger, wanted, lane, prefix, entry, now)) {
                issued[0]++;
            }
            return issued[0] < slots && !budget.spent();
        });
        return issued[0];
    }

    /** Pops one queue entry and issues its device's command; false for a stale entry (the device left the queue). */
    private boolean issueTo(String configuration, RolloutLedger ledger, DesiredFirmware wanted, PriorityLane.Lane lane, String prefix,
                            KeyValue<String, String> entry, long now) {
        queue.delete(entry.key);
        queueCursors.put(prefix, entry.key + SEP);
        String deviceKey = deviceKey(configuration, entry.value);
        GateDevice device = devices.get(deviceKey);
        countQueued(ledger, lane, -1);
        if (device == null || !entry.key.equals(device.getQueueKey())) {
            return false; // stale: the device left the queue without its entry
        }
        int attempt = device.getAttempts() + 1;
        FlashCommand command = CommandBuilder.attempt(configuration, ledger.getCreatedAt(), wanted, device.getDevice(), attempt, now);
        GateDevice next = GateDevice.newBuilder(device).setQueueKey(null).setAttempts(attempt).setCommandId(command.getCommandId())
                .setDeadline(command.getDeadline().toEpochMilli()).setOutcome(AttemptOutcome.RUNNING).setRetryable(false).setRetryAt(null)
                // Only first attempts of the normal lane join a wave: the priority lane stands beside the waves.
                .setWave(device.getWave() < 0 && lane == PriorityLane.Lane.NORMAL ? ledger.getWave() : device.getWave())
                .setPriority(lane == PriorityLane.Lane.PRIORITY)
                .setCounted(GateClass.IN_FLIGHT).build();
        Tally.move(ledger, device, next);
        devices.put(deviceKey, next);
        Long before = DeviceAttempt.nextChange(device);
        if (before != null && before > now) {
            timers.delete(timerKey(before, configuration, entry.value));
        }
        timers.put(timerKey(next.getDeadline(), configuration, entry.value), "");
        if (ledger.getStartedAt() == null) {
            ledger.setStartedAt(now);
        }
        if (Admission.ratePerMinute(wanted.getPolicy(), Tally.succeeded(ledger)) != null) {
            ledger.getRecentIssues().add(now);
        }
        log.debug("Rollout({}) generation {}: command {} for {} (attempt {}, {} lane)", configuration, wanted.getGeneration(),
                command.getCommandId(), entry.value, attempt, lane);
        context.forward(new Record<>(command.getDeviceId(), command, now));
        return true;
    }

    private void enqueue(RolloutLedger ledger, String key) {
        String[] parts = key.split(String.valueOf(SEP), 4);
        queue.put(key, parts[3]);
        String prefix = parts[0] + SEP + parts[1] + SEP;
        String cursor = queueCursors.get(prefix);
        if (cursor != null && key.compareTo(cursor) < 0) {
            queueCursors.put(prefix, key); // keep "nothing below the cursor" true
        }
        countQueued(ledger, PriorityLane.Lane.values()[Integer.parseInt(parts[1])], +1);
    }

    private void dequeue(RolloutLedger ledger, GateDevice device) {
        String key = device.getQueueKey();
        if (key == null || queue.get(key) == null) {
            return;
        }
        queue.delete(key);
        if (ledger != null && RolloutId.of(device).equals(RolloutId.of(ledger))) {
            countQueued(ledger, PriorityLane.Lane.values()[Integer.parseInt(key.split(String.valueOf(SEP), 4)[1])], -1);
        }
    }

    private static int queued(RolloutLedger ledger, PriorityLane.Lane lane) {
        return switch (lane) {
            case RETRY -> ledger.getQueuedRetry();
            case PRIORITY -> ledger.getQueuedPriority();
            case NORMAL -> ledger.getQueuedFirst();
        };
    }

    private static void countQueued(RolloutLedger ledger, PriorityLane.Lane lane, int delta) {
        switch (lane) {
            case RETRY -> ledger.setQueuedRetry(Math.max(0, ledger.getQueuedRetry() + delta));
            case PRIORITY -> ledger.setQueuedPriority(Math.max(0, ledger.getQueuedPriority() + delta));
            case NORMAL -> ledger.setQueuedFirst(Math.max(0, ledger.getQueuedFirst() + delta));
        }
    }

    private void clearQueue(String configuration) {
        StorePages.forEachWithPrefix(queue, configuration + SEP, kv -> {
            queue.delete(kv.key);
            return true;
        });
        queueCursors.keySet().removeIf(prefix -> prefix.startsWith(configuration + SEP));
    }

    // ------------------------------------------------------------------ status

    private void publish(String configuration, RolloutLedger ledger, DesiredFirmware wanted, long now) {
        RolloutStatus next = status(ledger, wanted, now).build();
        RolloutStatus previous = statuses.get(configuration);
        if (previous == null || !sameExceptTime(previous, next)) {
            statuses.put(configuration, next);
            context.forward(new Record<>(configuration, next, now));
        }
    }

    private static RolloutStatus.Builder status(RolloutLedger ledger, DesiredFirmware wanted, long now) {
        return RolloutStatus.newBuilder()
                .setConfiguration(ledger.getConfiguration())
                .setGeneration(ledger.getGeneration())
                .setEpoch(ledger.getEpoch())
                .setTarget(wanted.getTarget())
                .setCounts(Tally.counts(ledger))
                .setState(ledger.getState())
                .setReasonCode(ledger.getReasonCode())
                .setReason(ledger.getReason())
                .setWave(ledger.getWave())
                .setWaveCount(WaveCondition.targets(wanted.getPolicy(), Tally.total(ledger)).size())
                .setWaves(ledger.getWaves().stream().map(w -> new io.otaflow.schemas.WaveProgress(w.getAdmitted(), w.getSucceeded(),
                        w.getFailed(), w.getSkipped())).toList())
                .setFailuresByCode(new HashMap<>(ledger.getFailuresByCode()))
                .setStartedAt(ledger.getStartedAt() == null ? null : Instant.ofEpochMilli(ledger.getStartedAt()))
                .setUpdatedAt(Instant.ofEpochMilli(now));
    }

    private static boolean sameExceptTime(RolloutStatus a, RolloutStatus b) {
        return RolloutStatus.newBuilder(a).setUpdatedAt(b.getUpdatedAt()).build().equals(b);
    }

    // ------------------------------------------------------------------ keys

    static String deviceKey(String configuration, String deviceId) {
        return configuration + SEP + deviceId;
    }

    /** Lane, then wave rank, then id: the queue's order. */
    static String queueKey(String configuration, PriorityLane.Lane lane, GateDevice device) {
        return configuration + SEP + lane.ordinal() + SEP + hex16(device.getRank()) + SEP + device.getDevice().getDeviceId();
    }

    /** A non-negative number as 16 lowercase hex digits, so keys sort by it; on every update's path, hence no Formatter. */
    static String hex16(long value) {
        String hex = Long.toHexString(value);
        return "0000000000000000".substring(hex.length()) + hex;
    }

    static String timerKey(long at, String configuration, String deviceId) {
        return hex16(at) + SEP + configuration + SEP + deviceId;
    }

    private static Map<String, Integer> increment(Map<String, Integer> map, String key) {
        Map<String, Integer> next = new HashMap<>(map);
        next.merge(key, 1, Integer::sum);
        return next;
    }
}
