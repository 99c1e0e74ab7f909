package io.otaflow.topology;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutPolicy;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class EligibilityTest {
    private static final String CONFIG = "default/picow-blink";
    private static final DesiredFirmware DESIRED = DesiredFirmware.newBuilder().setConfiguration(CONFIG).setGeneration(2)
            .setTarget(new FirmwareRef("blink", "1.1.0"))
            .setImage(FirmwareImage.newBuilder().setUri("file:///blink.bin").setSha256("00".repeat(32)).setSize(4096).build())
            .setPolicy(RolloutPolicy.newBuilder().build()).setUpdatedAt(Instant.EPOCH).build();

    @ParameterizedTest(name = "last flash of generation {0}: {1} {2} retryable={3} rollback={4} -> {5}")
    @CsvSource({
            // generation, phase, code, retryable, rollback, class
            "0, , , false, false, ELIGIBLE",                        // never flashed
            "2, FAILED, BOOT_FAILED, false, false, FAILED",         // the image does not boot: no retry mends it, not pending
            "2, FAILED, CONNECTION_LOST, true, false, ELIGIBLE",    // a retry may still succeed
            "1, FAILED, BOOT_FAILED, false, false, ELIGIBLE",       // an older rollout's failure says nothing of this one
            "2, SKIPPED, DEVICE_LOCKED, false, false, ELIGIBLE",    // not a failure
            "2, SUCCEEDED, , false, true, FAILED",                  // rolled back: this rollout gave up on it
            "1, SUCCEEDED, , false, true, ELIGIBLE",                // an older rollout's rollback says nothing of this one
    })
    void aFailureThisRolloutWillNotRetryIsFailedNotPending(long generation, FlashPhase phase, FlashErrorCode code, boolean retryable,
                                                          boolean rollback, EligibilityClass expected) {
        DeviceState.Builder device = DeviceState.newBuilder().setDeviceId("pico-1").setConfiguration(CONFIG).setOnline(true)
                .setMode(DeviceMode.APP).setFirmware(new FirmwareRef("blink", "1.0.0")).setLocked(false).setLastSeen(Instant.EPOCH);
        if (phase != null) {
            device.setCurrentFlash(FlashSummary.newBuilder().setCommandId("c").setConfiguration(CONFIG).setGeneration(generation)
                    .setPhase(phase).setRollback(rollback).setTarget(new FirmwareRef("blink", rollback ? "1.0.0" : "1.1.0")).setStartedAt(Instant.EPOCH).setUpdatedAt(Instant.EPOCH)
                    .setFinishedAt(Instant.EPOCH)
                    .setLastError(code == null ? null : FlashError.newBuilder().setCode(code).setMessage(code.name()).setRetryable(retryable).build())
                    .build());
        }
        assertThat(Eligibility.classify(device.build(), DESIRED)).isEqualTo(expected);
    }
}
