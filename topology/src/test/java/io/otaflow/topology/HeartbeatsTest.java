package io.otaflow.topology;

import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FirmwareRef;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class HeartbeatsTest {
    private static final Instant T = Instant.parse("2026-12-03T10:00:05Z");
    private static final DeviceState BEFORE = DeviceState.newBuilder().setDeviceId("d").setOnline(true).setMode(DeviceMode.APP)
            .setConfiguration("ns/a").setFirmware(new FirmwareRef("blink", "1.0.0")).setLocked(false)
            .setLastSeen(T).setLastReportAt(T).build();

    private static DeviceState.Builder after() {
        return DeviceState.newBuilder(BEFORE);
    }

    @Test
    void aFirstStateIsNews() {
        assertThat(Heartbeats.isNews(null, BEFORE)).isTrue();
    }

    @Test
    void aPollThatOnlyMovesTheClocksWithinAPeriodIsNot() {
        Instant later = T.plusSeconds(30);
        assertThat(Heartbeats.isNews(BEFORE, after().setLastSeen(later).setLastReportAt(later).build())).isFalse();
    }

    @Test
    void aPollThatCrossesIntoTheNextPeriodIs() {
        Instant later = T.plus(Heartbeats.PERIOD);
        assertThat(Heartbeats.isNews(BEFORE, after().setLastSeen(later).setLastReportAt(later).build())).isTrue();
        assertThat(Heartbeats.isNews(BEFORE, after().setLastReportAt(later).build())).isTrue();
    }

    @Test
    void anyOtherChangeIsNewsAtOnce() {
        assertThat(Heartbeats.isNews(BEFORE, after().setLocked(true).build())).isTrue();
        assertThat(Heartbeats.isNews(BEFORE, after().setFirmware(new FirmwareRef("blink", "1.1.0")).build())).isTrue();
        assertThat(Heartbeats.isNews(BEFORE, after().setOnline(false).build())).isTrue();
        assertThat(Heartbeats.isNews(BEFORE, after().setUnblockRequestedAt(T).build())).isTrue();
    }

    @Test
    void aMoveIsNewsAndClearingItsMarkIsNot() {
        DeviceState moved = after().setConfiguration("ns/b").setPreviousConfiguration("ns/a").build();
        assertThat(Heartbeats.isNews(BEFORE, moved)).isTrue();
        assertThat(Heartbeats.isNews(moved, DeviceState.newBuilder(moved).setPreviousConfiguration(null).build())).isFalse();
    }
}
