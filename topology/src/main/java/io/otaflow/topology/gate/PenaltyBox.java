package io.otaflow.topology.gate;

import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.gate.GateDevice;

import java.util.ArrayList;
import java.util.List;

/**
 * A device that keeps failing is left alone for a while: after {@code maxFailedAttempts} failed
 * attempts over every rollout, or {@code maxFailuresInWindow} within {@code windowMs}, it is
 * blocked for {@code blockMs} and counted as blocked instead of being flashed again and again.
 */
public final class PenaltyBox {
    private PenaltyBox() {
    }

    /** Records one failed attempt of the device at {@code now}, blocking it when the policy says so. */
    public static void failed(GateDevice device, RolloutPolicy policy, long now) {
        io.otaflow.schemas.PenaltyBox box = policy.getPenaltyBox();
        device.setFailedAttempts(device.getFailedAttempts() + 1);
        if (box == null) {
            return;
        }
        List<Long> recent = new ArrayList<>();
        for (long at : device.getRecentFailures()) {
            if (at > now - box.getWindowMs()) {
                recent.add(at);
            }
        }
        recent.add(now);
        device.setRecentFailures(recent);
        boolean tooMany = box.getMaxFailedAttempts() > 0 && device.getFailedAttempts() >= box.getMaxFailedAttempts();
        boolean tooFast = box.getMaxFailuresInWindow() > 0 && recent.size() >= box.getMaxFailuresInWindow();
        if (tooMany || tooFast) {
            device.setBlockedUntil(now + box.getBlockMs());
            device.setFailedAttempts(0); // a fresh count after the block
            device.setRecentFailures(new ArrayList<>());
        }
    }

    /** An operator lets the device back in at once. */
    public static void unblock(GateDevice device) {
        device.setBlockedUntil(null);
        device.setFailedAttempts(0);
        device.setRecentFailures(new ArrayList<>());
    }
}
