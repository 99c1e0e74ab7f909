package io.otaflow.topology;

import io.otaflow.schemas.version.Versions;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.fold.FlashSummaries;

/**
 * The rules of DESIGN.md, one class per device, checked in this order: not targeted, in flight,
 * offline, unknown firmware, type mismatch (unless re-purposing is allowed), up to date, locked,
 * downgrade refused (unless allowed), failed (attempts for this generation exhausted, a failure no retry
 * mends, or rolled back by this generation), eligible.
 * Locked, mismatched and up-to-date devices are counted, never flashed.
 */
public final class Eligibility {
    private Eligibility() {
    }

    public static EligibilityClass classify(DeviceState device, DesiredFirmware desired) {
        if (desired == null || device.getConfiguration() == null || !device.getConfiguration().equals(desired.getConfiguration())) {
            return EligibilityClass.NOT_TARGETED;
        }
        if (inFlight(device.getCurrentFlash())) {
            return EligibilityClass.IN_FLIGHT;
        }
        return classifyIgnoringFlash(device, desired);
    }

    /** The class as if no flash ran on the device: for a flash the gate knows has given up (past its deadline and grace). */
    public static EligibilityClass classifyIgnoringFlash(DeviceState device, DesiredFirmware desired) {
        if (desired == null || device.getConfiguration() == null || !device.getConfiguration().equals(desired.getConfiguration())) {
            return EligibilityClass.NOT_TARGETED;
        }
        if (!device.getOnline() || device.getMode() != DeviceMode.APP) {
            return EligibilityClass.OFFLINE;
        }
        if (device.getFirmware() == null) {
            return EligibilityClass.UNKNOWN;
        }
        String type = device.getFirmware().getFirmwareType();
        String version = device.getFirmware().getFirmwareVersion();
        boolean sameType = type.equals(desired.getTarget().getFirmwareType());
        if (!sameType && !desired.getPolicy().getAllowRepurpose()) {
            return EligibilityClass.TYPE_MISMATCH;
        }
        Versions.Order order = Versions.compare(desired.getTarget().getFirmwareVersion(), version);
        if (sameType && order == Versions.Order.SAME) {
            return EligibilityClass.UP_TO_DATE;
        }
        if (device.getLocked()) {
            return EligibilityClass.LOCKED;
        }
        if (sameType && order == Versions.Order.OLDER && !desired.getPolicy().getAllowDowngrade()) {
            return EligibilityClass.DOWNGRADE_REFUSED;
        }
        Integer attempts = device.getAttemptsByGeneration().get(String.valueOf(desired.getGeneration()));
        if (attempts != null && attempts >= desired.getPolicy().getMaxAttempts() || failedForGood(device.getCurrentFlash(), desired)
                || rolledBack(device.getCurrentFlash(), desired)) {
            return EligibilityClass.FAILED;
        }
        return EligibilityClass.ELIGIBLE;
    }

    /**
     * This rollout's latest flash on the device failed in a way no retry mends (the image does not
     * boot, a rollback failed...): the gate will not try again, so the device is not pending. Its
     * last report may still say "app, online" while it waits in its bootloader.
     */
    private static boolean failedForGood(FlashSummary flash, DesiredFirmware desired) {
        return flash != null && flash.getPhase() == FlashPhase.FAILED && flash.getLastError() != null && !flash.getLastError().getRetryable()
                && desired.getConfiguration().equals(flash.getConfiguration()) && flash.getGeneration() == desired.getGeneration();
    }

    /** This rollout put the device back on its previous firmware: it gave up on the device, which is failed, not pending. */
    private static boolean rolledBack(FlashSummary flash, DesiredFirmware desired) {
        return flash != null && flash.getRollback() && flash.getPhase() == FlashPhase.SUCCEEDED
                && desired.getConfiguration().equals(flash.getConfiguration()) && flash.getGeneration() == desired.getGeneration();
    }

    public static boolean inFlight(FlashSummary flash) {
        return FlashSummaries.inFlight(flash);
    }

    public static boolean terminal(FlashPhase phase) {
        return FlashSummaries.terminal(phase);
    }
}
