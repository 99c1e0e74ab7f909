package io.otaflow.topology.gate;

import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class RollbackConditionTest {
    @ParameterizedTest(name = "{0}, in its bootloader {1}, tried for good {2}, allowed {3} -> rolls back: {4}")
    @CsvSource({
            "VERIFY_MISMATCH,    false, true,  true,  true",   // it came back with other firmware
            "BOOT_FAILED,        true,  true,  true,  true",   // the new image does not boot
            "SEAL_REJECTED,      true,  true,  true,  true",   // refused after the erase: no app left
            "SEAL_REJECTED,      true,  true,  false, false",  // the policy (or a missing previous image) forbids it
            "CONNECTION_LOST,    true,  true,  true,  true",   // erased, out of attempts: the old image brings it back
            "CONNECTION_LOST,    true,  false, true,  false",  // erased, but a retry of the new image comes first
            "CONNECTION_LOST,    false, true,  true,  false",  // its app runs (booted back): nothing to repair
            "IMAGE_TOO_LARGE,    false, true,  true,  false",  // never touched the device's flash
            "DEADLINE_EXCEEDED,  true,  true,  true,  true",
            "DEVICE_LOCKED,      false, true,  true,  false",
    })
    void anAttemptIsRolledBackWhenItsImageIsBadOrItLeftTheDeviceWithoutAnApp(FlashErrorCode code, boolean inBootloader,
                                                                            boolean triedForGood, boolean allowed, boolean rollsBack) {
        FlashError error = FlashError.newBuilder().setCode(code).setMessage(code.name()).setRetryable(!triedForGood)
                .setPhase(FlashPhase.WRITING).setInBootloader(inBootloader).build();
        assertThat(RollbackCondition.rollsBack(error, triedForGood, allowed)).isEqualTo(rollsBack);
    }

    @Test
    void anAttemptWithNoKnownErrorIsNotRolledBack() {
        assertThat(RollbackCondition.rollsBack(null, true, true)).isFalse();
    }
}
