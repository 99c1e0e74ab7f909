package io.otaflow.topology.gate;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.gate.AttemptOutcome;
import io.otaflow.schemas.gate.GateClass;
import io.otaflow.schemas.gate.GateDevice;
import io.otaflow.topology.Eligibility;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;

/**
 * One device's standing in a rollout: what its latest command came to (from the folded flash
 * progress, or its deadline passing), which class it counts in, and whether it waits for
 * admission. A result is taken from a device's state only for the command the gate issued last,
 * so a late event of an older command changes nothing.
 *
 * <p>An attempt past its deadline with no result is counted as a failure at once
 * (DEADLINE_EXCEEDED) but keeps its in-flight slot for {@link #DEADLINE_GRACE}, since the worker
 * may still be on it: a retry never runs beside the attempt it replaces, and max-in-flight holds.
 */
public final class DeviceAttempt {
    /** How long an attempt past its deadline still holds its slot: the worker stops at the deadline and reports. */
    public static final Duration DEADLINE_GRACE = Duration.ofSeconds(30);

    private DeviceAttempt() {
    }

    /** The device's new record, the failure its latest attempt just ended in (counted once), and whether it must be rolled back. */
    public record Result(GateDevice device, FlashErrorCode failed, boolean rollback) {
    }

    /** The gate's record of a device seen for the first time. */
    public static GateDevice fresh(DeviceState device) {
        return GateDevice.newBuilder().setDevice(device).build();
    }

    /** After the device's state changed, or the rollout did ({@code desired} null: none). */
    public static Result update(GateDevice previous, DeviceState device, DesiredFirmware desired, long now) {
        GateDevice.Builder next = GateDevice.newBuilder(previous).setDevice(device);
        if (desired == null) {
            return new Result(next.setCounted(GateClass.NONE).build(), null, false);
        }
        RolloutId rollout = RolloutId.of(desired);
        if (!new RolloutId(next.getEpoch(), next.getGeneration()).equals(rollout)) {
            startOver(next, rollout);
        }
        RolloutPolicy policy = desired.getPolicy();
        FlashErrorCode failed = null;
        boolean rollback = false;
        FlashSummary flash = device.getCurrentFlash();
        boolean running = next.getOutcome() == AttemptOutcome.RUNNING || next.getOutcome() == AttemptOutcome.EXPIRED;
        if (running && ours(flash, next.getCommandId())) {
            long finished = flash.getFinishedAt() == null ? now : flash.getFinishedAt().toEpochMilli();
            switch (flash.getPhase()) {
                case SUCCEEDED -> next.setOutcome(AttemptOutcome.SUCCEEDED).setRetryable(false).setLastError(null).setRetryAt(null);
                case SKIPPED -> next.setOutcome(AttemptOutcome.SKIPPED).setRetryable(true).setLastError(null)
                        .setRetryAt(finished + backoff(policy, next.getAttempts()));
                default -> {
                    boolean counted = next.getOutcome() == AttemptOutcome.EXPIRED;
                    FlashErrorCode code = flash.getLastError() == null ? FlashErrorCode.UNKNOWN : flash.getLastError().getCode();
                    boolean retryable = flash.getLastError() != null && flash.getLastError().getRetryable();
                    next.setOutcome(AttemptOutcome.FAILED).setLastError(code).setRetryable(retryable)
                            .setRetryAt(retryable ? finished + backoff(policy, next.getAttempts()) : null);
                    if (!counted) {
                        failed = code;
                    }
                    rollback = RollbackCondition.rollsBack(flash.getLastError(),
                            !retryable || next.getAttempts() >= policy.getMaxAttempts(),
                            policy.getRollbackOnFailure() && desired.getPreviousImage() != null && desired.getPreviousTarget() != null
                                    && next.getRollbackCommandId() == null);
                }
            }
        } else if (next.getOutcome() == AttemptOutcome.ROLLING_BACK && ours(flash, next.getRollbackCommandId())) {
            next.setOutcome(AttemptOutcome.ROLLED_BACK).setRetryAt(null);
        }
        GateDevice built = next.build();
        Instant unblock = device.getUnblockRequestedAt();
        if (unblock != null && (built.getUnblockApplied() == null || unblock.toEpochMilli() > built.getUnblockApplied())) {
            PenaltyBox.unblock(built); // an operator let it out
            built.setUnblockApplied(unblock.toEpochMilli());
        }
        built.setCounted(classify(built, device, desired, now));
        return new Result(built, failed, rollback);
    }

    /** Time passed: a deadline, a grace period, a backoff or a block may have ended. */
    public static Result elapse(GateDevice previous, DesiredFirmware desired, long now) {
        GateDevice.Builder next = GateDevice.newBuilder(previous);
        FlashErrorCode failed = null;
        if (desired != null && new RolloutId(next.getEpoch(), next.getGeneration()).equals(RolloutId.of(desired)) && now >= next.getDeadline()) {
            if (next.getOutcome() == AttemptOutcome.RUNNING) {
                next.setOutcome(AttemptOutcome.EXPIRED).setLastError(FlashErrorCode.DEADLINE_EXCEEDED).setRetryable(true)
                        .setRetryAt(next.getDeadline() + Math.max(DEADLINE_GRACE.toMillis(), backoff(desired.getPolicy(), next.getAttempts())));
                failed = FlashErrorCode.DEADLINE_EXCEEDED;
            } else if (next.getOutcome() == AttemptOutcome.ROLLING_BACK) {
                next.setOutcome(AttemptOutcome.ROLLED_BACK).setRetryAt(null);
            }
        }
        GateDevice built = next.build();
        if (desired != null) {
            built.setCounted(classify(built, built.getDevice(), desired, now));
        }
        return new Result(built, failed, false);
    }

    /** The class after something other than its state changed it (a block, a policy). */
    public static GateDevice reclassify(GateDevice device, DesiredFirmware desired, long now) {
        device.setCounted(desired == null ? GateClass.NONE : classify(device, device.getDevice(), desired, now));
        return device;
    }

    /** True when the device waits for a command now (a first one, or a retry whose wait is over). */
    public static boolean admissible(GateDevice device, long now) {
        return device.getCounted() == GateClass.ELIGIBLE
                && (device.getOutcome() == AttemptOutcome.NONE || (device.getRetryAt() != null && now >= device.getRetryAt()));
    }

    /** The next moment this device's standing changes by time alone, or null. */
    public static Long nextChange(GateDevice device) {
        Long at = null;
        if (device.getOutcome() == AttemptOutcome.RUNNING || device.getOutcome() == AttemptOutcome.ROLLING_BACK) {
            at = device.getDeadline();
        } else if (device.getRetryAt() != null && (device.getCounted() == GateClass.ELIGIBLE || device.getCounted() == GateClass.IN_FLIGHT)) {
            at = device.getRetryAt();
        }
        if (device.getBlockedUntil() != null && device.getCounted() == GateClass.BLOCKED) {
            at = at == null ? device.getBlockedUntil() : Math.min(at, device.getBlockedUntil());
        }
        return at;
    }

    private static GateClass classify(GateDevice next, DeviceState device, DesiredFirmware desired, long now) {
        AttemptOutcome outcome = next.getOutcome();
        if (outcome == AttemptOutcome.RUNNING || outcome == AttemptOutcome.ROLLING_BACK
                || (outcome == AttemptOutcome.EXPIRED && next.getRetryAt() != null && now < next.getRetryAt())) {
            return GateClass.IN_FLIGHT;
        }
        EligibilityClass eligibility = Eligibility.classify(device, desired);
        if (eligibility == EligibilityClass.IN_FLIGHT && !stillRunning(device.getCurrentFlash(), next.getCommandId(), now)) {
            eligibility = Eligibility.classifyIgnoringFlash(device, desired);
        }
        switch (eligibility) {
            case NOT_TARGETED:
                return GateClass.NONE;
            case UNKNOWN:
                return GateClass.UNKNOWN_FIRMWARE;
            case IN_FLIGHT:
                return GateClass.IN_FLIGHT; // another command's flash (an older rollout's) still runs on it
            case UP_TO_DATE:
                return GateClass.UP_TO_DATE;
            case LOCKED:
                return GateClass.LOCKED;
            case TYPE_MISMATCH:
                return GateClass.TYPE_MISMATCH;
            case DOWNGRADE_REFUSED:
                return GateClass.DOWNGRADE_REFUSED;
            case OFFLINE:
                return GateClass.OFFLINE;
            default:
                break; // ELIGIBLE, or FAILED by the device's own attempt count: the gate counts this rollout's attempts itself
        }
        switch (outcome) {
            case ROLLED_BACK:
                return GateClass.FAILED;
            case SUCCEEDED:
                return GateClass.SETTLED; // verified at the target, though a report since says otherwise: not flashed again
            case FAILED, EXPIRED, SKIPPED:
                if (triedForGood(next, desired.getPolicy().getMaxAttempts())) {
                    return outcome == AttemptOutcome.SKIPPED ? GateClass.SETTLED : GateClass.FAILED;
                }
                break;
            default:
                break;
        }
        if (next.getBlockedUntil() != null && now < next.getBlockedUntil()) {
            return GateClass.BLOCKED;
        }
        return GateClass.ELIGIBLE;
    }

    /** True when this rollout tries the device no more after its latest outcome: not retryable, or out of attempts. */
    static boolean triedForGood(GateDevice device, int maxAttempts) {
        return !device.getRetryable() || device.getAttempts() >= maxAttempts;
    }

    /**
     * True when the device's latest command failed and this rollout tries it no more: it is being
     * (or was) rolled back, or its failure is final. Such a member can never succeed in its wave,
     * whatever its class (it may be offline meanwhile).
     */
    static boolean failedForGood(GateDevice device, int maxAttempts) {
        return switch (device.getOutcome()) {
            case ROLLING_BACK, ROLLED_BACK -> true;
            case FAILED, EXPIRED -> triedForGood(device, maxAttempts);
            default -> false;
        };
    }

    private static boolean stillRunning(FlashSummary flash, String ourCommand, long now) {
        if (flash.getCommandId().equals(ourCommand)) {
            return false; // our attempt: its standing is the outcome above (expired, its grace over)
        }
        return flash.getDeadline() == null || now < flash.getDeadline().toEpochMilli() + DEADLINE_GRACE.toMillis();
    }

    private static void startOver(GateDevice.Builder next, RolloutId rollout) {
        next.setEpoch(rollout.epoch()).setGeneration(rollout.generation())
                .setRank(WaveRank.of(next.getDevice().getDeviceId(), rollout))
                .setQueueKey(null).setPriority(false).setWave(-1).setAttempts(0).setCommandId(null).setDeadline(0)
                .setOutcome(AttemptOutcome.NONE).setRetryable(false).setLastError(null).setRetryAt(null).setRollbackCommandId(null)
                .setRecentFailures(new ArrayList<>(next.getRecentFailures()));
    }

    private static boolean ours(FlashSummary flash, String commandId) {
        return flash != null && commandId != null && flash.getCommandId().equals(commandId) && Eligibility.terminal(flash.getPhase());
    }

    /** Exponential backoff after the n-th attempt. */
    static long backoff(RolloutPolicy policy, int attempts) {
        return policy.getRetryBackoffMs() * (1L << Math.min(20, Math.max(0, attempts - 1)));
    }
}
