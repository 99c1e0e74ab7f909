package io.otaflow.topology.gate;

import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.gate.AttemptOutcome;
import io.otaflow.schemas.gate.GateDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceAttemptTest {
    @ParameterizedTest(name = "{0}, retryable {1}, attempt {2} of 3 -> for good: {3}")
    @CsvSource({
            "ROLLING_BACK, false, 1, true",   // the new image is bad for it: rolled back once, never retried
            "ROLLED_BACK,  false, 1, true",
            "FAILED,       false, 1, true",   // not retryable
            "FAILED,       true,  1, false",  // a retry may still succeed
            "FAILED,       true,  3, true",   // out of attempts
            "EXPIRED,      true,  2, false",  // its deadline passed: retried after the grace
            "EXPIRED,      true,  3, true",
            "SKIPPED,      false, 1, false",  // not a failure at all
            "RUNNING,      false, 1, false",
            "SUCCEEDED,    false, 1, false",
    })
    void aFailureIsFinalOnceThisRolloutTriesTheDeviceNoMore(AttemptOutcome outcome, boolean retryable, int attempts, boolean forGood) {
        GateDevice device = GateDevice.newBuilder().setDevice(DeviceState.newBuilder().setDeviceId("pico-1").setLastSeen(Instant.EPOCH).build())
                .setOutcome(outcome).setRetryable(retryable).setAttempts(attempts).build();
        assertThat(DeviceAttempt.failedForGood(device, 3)).isEqualTo(forGood);
    }
}
