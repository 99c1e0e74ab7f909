package io.otaflow.topology.gate;

import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.gate.GateDevice;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class PenaltyBoxTest {
    @ParameterizedTest(name = "failures at {0} (minutes) -> blocked={1}")
    @CsvSource({
            "'0', false",
            "'0,10', true",          // two within the hour
            "'0,61', false",         // the first fell out of the window
            "'0,61,122,183,244', true", // five over any time
    })
    void blockedAfterTooManyOrTooFastFailures(String minutes, boolean blocked) {
        RolloutPolicy policy = RolloutPolicy.newBuilder().setPenaltyBox(io.otaflow.schemas.PenaltyBox.newBuilder()
                .setMaxFailedAttempts(5).setMaxFailuresInWindow(2).setWindowMs(3_600_000).setBlockMs(86_400_000).build()).build();
        GateDevice device = GateDevice.newBuilder().setDevice(DeviceState.newBuilder().setDeviceId("d").setLastSeen(Instant.EPOCH).build()).build();
        long last = 0;
        for (String m : minutes.split(",")) {
            last = Long.parseLong(m) * 60_000;
            PenaltyBox.failed(device, policy, last);
        }
        assertThat(device.getBlockedUntil() != null).isEqualTo(blocked);
        if (blocked) {
            assertThat(device.getBlockedUntil()).isEqualTo(last + 86_400_000);
            PenaltyBox.unblock(device);
            assertThat(device.getBlockedUntil()).isNull();
        }
    }
}
