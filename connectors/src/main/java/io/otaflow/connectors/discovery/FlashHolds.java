package io.otaflow.connectors.discovery;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Devices being flashed, learned from the flash progress topic. A device that stops answering
 * HTTP while it is held is rebooting into or sitting in its bootloader: discovery keeps reporting
 * it, so that Akri does not delete its Instance (and the Job owned by it) mid-flash. A hold lasts
 * until a terminal phase plus a grace period, or the grace period after the last progress event.
 */
public final class FlashHolds {
    private final Map<String, Instant> heldUntil = new ConcurrentHashMap<>();
    private final Duration grace;

    public FlashHolds(Duration grace) {
        this.grace = grace;
    }

    /** A progress event for a device: any phase extends the hold by the grace period from {@code at}. */
    public void progress(String deviceId, boolean terminal, Instant at) {
        Instant until = at.plus(grace);
        heldUntil.merge(deviceId, until, (a, b) -> terminal ? b : (a.isAfter(b) ? a : b));
    }

    public boolean held(String deviceId, Instant now) {
        Instant until = heldUntil.get(deviceId);
        if (until == null) {
            return false;
        }
        if (now.isAfter(until)) {
            heldUntil.remove(deviceId, until);
            return false;
        }
        return true;
    }
}
