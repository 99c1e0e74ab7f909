package io.otaflow.flasher;

import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.version.Versions;

/**
 * A command never takes a device to an older version of its firmware unless it says it may
 * ({@code allowDowngrade}) or it is a rollback: a stale command redelivered after a newer
 * generation flashed the device must not undo it. Versions compare by the same rules as the
 * topology's eligibility ({@link Versions}); unordered versions are not a downgrade.
 */
final class DowngradeGuard {
    private DowngradeGuard() {
    }

    static boolean refuses(FlashCommand command, String runningType, String runningVersion) {
        if (command.getRollback() || command.getAllowDowngrade() || !runningType.equals(command.getTo().getFirmwareType())) {
            return false;
        }
        return Versions.compare(command.getTo().getFirmwareVersion(), runningVersion) == Versions.Order.OLDER;
    }
}
