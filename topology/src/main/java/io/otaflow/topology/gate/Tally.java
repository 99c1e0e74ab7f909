package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.gate.AttemptOutcome;
import io.otaflow.schemas.gate.GateClass;
import io.otaflow.schemas.gate.GateDevice;
import io.otaflow.schemas.gate.RolloutLedger;
import io.otaflow.schemas.gate.WaveTally;

import java.util.HashMap;
import java.util.Map;

/**
 * A rollout's counts kept by transition: each device is in one current class and has one outcome
 * for its latest command, and a change of either moves one device from the old bucket to the new
 * one. So no tick recounts the fleet. SKIPPED is an outcome of its own: it never counts as a
 * success or a failure.
 */
public final class Tally {
    private Tally() {
    }

    /** Moves a device's contribution from {@code before} (null: not counted yet) to {@code after} (null: gone). */
    public static void move(RolloutLedger ledger, GateDevice before, GateDevice after) {
        if (before != null && counts(ledger, before)) {
            add(ledger, before, -1);
        }
        if (after != null && counts(ledger, after)) {
            add(ledger, after, +1);
        }
    }

    /** Only records of this ledger's rollout count in it. */
    private static boolean counts(RolloutLedger ledger, GateDevice device) {
        return device.getCounted() != GateClass.NONE && RolloutId.of(device).equals(RolloutId.of(ledger));
    }

    private static void add(RolloutLedger ledger, GateDevice device, int delta) {
        ledger.setClasses(bump(ledger.getClasses(), device.getCounted().name(), delta));
        if (device.getCounted() == GateClass.IN_FLIGHT && device.getPriority()) {
            ledger.setPriorityInFlight(ledger.getPriorityInFlight() + delta);
        }
        if (device.getOutcome() != AttemptOutcome.NONE) {
            ledger.setOutcomes(bump(ledger.getOutcomes(), device.getOutcome().name(), delta));
        }
        if (device.getWave() >= 0) {
            while (ledger.getWaves().size() <= device.getWave()) {
                ledger.getWaves().add(new WaveTally(0, 0, 0, 0, 0));
            }
            WaveTally wave = ledger.getWaves().get(device.getWave());
            wave.setAdmitted(wave.getAdmitted() + delta);
            switch (Outcomes.judged(device.getOutcome())) {
                case SUCCEEDED -> wave.setSucceeded(wave.getSucceeded() + delta);
                case FAILED -> wave.setFailed(wave.getFailed() + delta);
                case SKIPPED -> wave.setSkipped(wave.getSkipped() + delta);
                default -> {
                }
            }
            if (DeviceAttempt.failedForGood(device, ledger.getMaxAttempts())) {
                wave.setSettledFailed(wave.getSettledFailed() + delta);
            }
        }
    }

    private static Map<String, Integer> bump(Map<String, Integer> map, String key, int delta) {
        Map<String, Integer> next = map instanceof HashMap<String, Integer> mutable ? mutable : new HashMap<>(map);
        int value = next.getOrDefault(key, 0) + delta;
        if (value == 0) {
            next.remove(key);
        } else {
            next.put(key, value);
        }
        return next;
    }

    public static int of(RolloutLedger ledger, GateClass klass) {
        return ledger.getClasses().getOrDefault(klass.name(), 0);
    }

    public static int of(RolloutLedger ledger, AttemptOutcome outcome) {
        return ledger.getOutcomes().getOrDefault(outcome.name(), 0);
    }

    /** Devices whose latest command succeeded, and those whose latest one failed: the thresholds' sample. */
    public static int succeeded(RolloutLedger ledger) {
        return of(ledger, AttemptOutcome.SUCCEEDED);
    }

    public static int failed(RolloutLedger ledger) {
        return of(ledger, AttemptOutcome.FAILED) + of(ledger, AttemptOutcome.EXPIRED) + of(ledger, AttemptOutcome.ROLLING_BACK)
                + of(ledger, AttemptOutcome.ROLLED_BACK);
    }

    public static int total(RolloutLedger ledger) {
        int total = 0;
        for (int n : ledger.getClasses().values()) {
            total += n;
        }
        return total;
    }

    /** Devices admitted so far whose latest command did not end SKIPPED: what fills the waves (a skipped one is replaced). */
    public static int admittedFirst(RolloutLedger ledger) {
        int admitted = 0;
        for (WaveTally wave : ledger.getWaves()) {
            admitted += wave.getAdmitted() - wave.getSkipped();
        }
        return admitted;
    }

    /** The counts a RolloutStatus shows. */
    public static RolloutCounts counts(RolloutLedger ledger) {
        return RolloutCounts.newBuilder()
                .setTotal(total(ledger))
                .setUpToDate(of(ledger, GateClass.UP_TO_DATE))
                .setLocked(of(ledger, GateClass.LOCKED))
                .setEligible(of(ledger, GateClass.ELIGIBLE))
                .setInFlight(of(ledger, GateClass.IN_FLIGHT))
                .setFailed(of(ledger, GateClass.FAILED))
                .setTypeMismatch(of(ledger, GateClass.TYPE_MISMATCH))
                .setDowngradeRefused(of(ledger, GateClass.DOWNGRADE_REFUSED))
                .setOffline(of(ledger, GateClass.OFFLINE))
                .setBlocked(of(ledger, GateClass.BLOCKED))
                .setSucceeded(of(ledger, AttemptOutcome.SUCCEEDED))
                .setSkipped(of(ledger, AttemptOutcome.SKIPPED))
                .setRolledBack(ledger.getRolledBack())
                .build();
    }
}
