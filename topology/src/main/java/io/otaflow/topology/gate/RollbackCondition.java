package io.otaflow.topology.gate;

import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;

import java.util.Set;

/**
 * Whether a failed attempt puts the previous image back. Either the new image is bad for this
 * device (it came back with other firmware, did not boot, or its bootloader refused the image at
 * SEAL after the erase), or the worker left the device waiting in its bootloader and this
 * rollout will not try it again: a device is never left without an app while its old image is
 * known. The policy must allow rollbacks, and a device is rolled back once per attempt.
 */
public final class RollbackCondition {
    /** Failures that mean the new image is bad for this device. */
    static final Set<FlashErrorCode> BAD_IMAGE = Set.of(FlashErrorCode.VERIFY_MISMATCH, FlashErrorCode.BOOT_FAILED,
            FlashErrorCode.SEAL_REJECTED);

    private RollbackCondition() {
    }

    /**
     * @param error         the attempt's terminal error (null: not known)
     * @param triedForGood  this rollout will not try the device again
     * @param allowed       the policy rolls back, the previous image is known, and this attempt was not rolled back yet
     */
    public static boolean rollsBack(FlashError error, boolean triedForGood, boolean allowed) {
        if (!allowed || error == null) {
            return false;
        }
        return BAD_IMAGE.contains(error.getCode()) || error.getInBootloader() && triedForGood;
    }
}
