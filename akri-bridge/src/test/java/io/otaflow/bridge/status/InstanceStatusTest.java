package io.otaflow.bridge.status;

import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class InstanceStatusTest {
    private static final Instant T0 = Instant.parse("2026-11-28T10:00:00Z");

    private static FlashSummary flash(String id, FlashPhase phase, Instant started, Instant updated) {
        return FlashSummary.newBuilder().setCommandId(id).setGeneration(2).setAttempt(1).setPhase(phase)
                .setTarget(new FirmwareRef("blink", "1.1.0")).setBytesWritten(300).setBytesTotal(1200)
                .setStartedAt(started).setUpdatedAt(updated)
                .setFinishedAt(phase == FlashPhase.FAILED || phase == FlashPhase.SUCCEEDED ? updated : null)
                .setLastError(phase == FlashPhase.FAILED ? new FlashError(FlashErrorCode.BOOT_FAILED, "no app after reboot", false, FlashPhase.BOOTING, true) : null)
                .build();
    }

    private static DeviceState state(EligibilityClass eligibility, FlashSummary flash) {
        return DeviceState.newBuilder().setDeviceId("pico-1").setOnline(true).setMode(DeviceMode.APP)
                .setFirmware(new FirmwareRef("blink", "1.0.0")).setLocked(eligibility == EligibilityClass.LOCKED)
                .setLastSeen(T0).setEligibility(eligibility).setCurrentFlash(flash).build();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> condition(Map<String, Object> status, String type) {
        return ((List<Map<String, Object>>) status.get("conditions")).stream().filter(c -> c.get("type").equals(type)).findFirst().orElseThrow();
    }

    @Test
    void nothingKnownMeansNothingToWrite() {
        assertThat(InstanceStatus.of(null, null, null, 1, null, T0)).isNull();
    }

    @Test
    void aFlashInProgressShowsPhaseProgressAndConditions() {
        Map<String, Object> status = InstanceStatus.of(state(EligibilityClass.IN_FLIGHT, flash("c1", FlashPhase.WRITING, T0, T0.plusSeconds(3))),
                null, null, 4, null, T0.plusSeconds(5));
        assertThat(status).containsEntry("observedGeneration", 4L);
        assertThat((Map<String, Object>) status.get("firmware")).containsEntry("version", "1.0.0").containsEntry("mode", "APP");
        @SuppressWarnings("unchecked") Map<String, Object> update = (Map<String, Object>) status.get("update");
        assertThat(update).containsEntry("phase", "WRITING").containsEntry("progress", 25).containsEntry("targetVersion", "1.1.0")
                .containsEntry("startedAt", "2026-11-28T10:00:00Z").doesNotContainKey("finishedAt");
        assertThat(condition(status, "UpToDate")).containsEntry("status", "False").containsEntry("reason", "Updating");
        assertThat(condition(status, "Updating")).containsEntry("status", "True").containsEntry("reason", "Flashing");
    }

    @Test
    void progressAheadOfTheTopologyWins_butATerminalResultIsFinal() {
        FlashSummary writing = flash("c1", FlashPhase.WRITING, T0, T0.plusSeconds(3));
        FlashSummary failed = flash("c1", FlashPhase.FAILED, T0, T0.plusSeconds(9));
        assertThat(InstanceStatus.newer(writing, failed)).isSameAs(failed);
        assertThat(InstanceStatus.newer(failed, flash("c1", FlashPhase.VERIFYING, T0, T0.plusSeconds(20)))).isSameAs(failed);
        FlashSummary retry = flash("c2", FlashPhase.ACCEPTED, T0.plusSeconds(60), T0.plusSeconds(60));
        assertThat(InstanceStatus.newer(failed, retry)).isSameAs(retry);
        assertThat(InstanceStatus.newer(retry, failed)).isSameAs(retry);

        Map<String, Object> status = InstanceStatus.of(state(EligibilityClass.IN_FLIGHT, writing), failed, null, 1, null, T0);
        assertThat(condition(status, "Updating")).containsEntry("status", "False").containsEntry("reason", "Failed");
        assertThat(condition(status, "Updating").get("message").toString()).contains("BOOT_FAILED");
    }

    @Test
    void eachEligibilityClassHasItsOwnReason() {
        Map<EligibilityClass, String> reasons = Map.of(EligibilityClass.UP_TO_DATE, "RunningTarget", EligibilityClass.ELIGIBLE, "UpdatePending",
                EligibilityClass.LOCKED, "Locked", EligibilityClass.TYPE_MISMATCH, "TypeMismatch",
                EligibilityClass.DOWNGRADE_REFUSED, "DowngradeRefused", EligibilityClass.FAILED, "UpdateFailed",
                EligibilityClass.OFFLINE, "Offline", EligibilityClass.NOT_TARGETED, "NotTargeted");
        reasons.forEach((eligibility, reason) -> {
            Map<String, Object> status = InstanceStatus.of(state(eligibility, null), null, null, 1, null, T0);
            assertThat(condition(status, "UpToDate")).as(eligibility.name()).containsEntry("reason", reason)
                    .containsEntry("status", eligibility == EligibilityClass.UP_TO_DATE ? "True"
                            : eligibility == EligibilityClass.OFFLINE || eligibility == EligibilityClass.NOT_TARGETED ? "Unknown" : "False");
        });
    }

    @Test
    void anUnchangedConditionKeepsItsTransitionTime_soRecomputingCostsNoWrite() {
        DeviceState locked = state(EligibilityClass.LOCKED, null);
        Map<String, Object> first = InstanceStatus.of(locked, null, null, 1, null, T0);
        Map<String, Object> again = InstanceStatus.of(locked, null, null, 1, first, T0.plusSeconds(600));
        assertThat(again).isEqualTo(first);
        Map<String, Object> unlocked = InstanceStatus.of(state(EligibilityClass.ELIGIBLE, null), null, null, 1, first, T0.plusSeconds(600));
        assertThat(condition(unlocked, "UpToDate")).containsEntry("reason", "UpdatePending")
                .containsEntry("lastTransitionTime", "2026-11-28T10:00:00Z"); // still False: no transition
        Map<String, Object> updated = InstanceStatus.of(state(EligibilityClass.UP_TO_DATE, null), null, null, 1, unlocked, T0.plusSeconds(900));
        assertThat(condition(updated, "UpToDate")).containsEntry("status", "True").containsEntry("lastTransitionTime", "2026-11-28T10:15:00Z");
    }
}
