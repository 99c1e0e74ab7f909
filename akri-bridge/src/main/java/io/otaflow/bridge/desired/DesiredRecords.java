package io.otaflow.bridge.desired;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.RolloutPolicy;

import java.time.Instant;
import java.util.Map;

/**
 * The next desired-firmware record for a key, given what the topic holds: one rule for every
 * publisher (the bridge for Configurations, {@code otaflow firmware publish} and the rollout
 * commands for operators). The generation stays while target and image stay, so a policy change
 * such as a pause keeps the rollout's attempts; it moves past both the old one and
 * {@code minimumGeneration} when they change, and the replaced firmware becomes
 * {@code previousTarget}/{@code previousImage}, what a rollback re-flashes.
 */
public final class DesiredRecords {
    private DesiredRecords() {
    }

    public static DesiredFirmware next(String key, FirmwareRef target, FirmwareImage image, RolloutPolicy policy, Map<String, String> selector,
                                       DesiredFirmware published, long minimumGeneration, String source, Instant now) {
        DesiredFirmware.Builder next = DesiredFirmware.newBuilder()
                .setConfiguration(key).setSelector(selector).setTarget(target).setImage(image).setPolicy(policy)
                .setUpdatedAt(now).setSource(source);
        boolean sameFirmware = published != null && published.getTarget().equals(target) && published.getImage().equals(image);
        // A key's first record (or its first after a tombstone) starts an epoch; later generations keep it, so a
        // Configuration deleted and created again never reuses (epoch, generation), whatever its metadata.generation.
        next.setEpoch(published == null ? now.toEpochMilli() : published.getEpoch());
        if (sameFirmware) {
            return next.setGeneration(published.getGeneration())
                    .setPreviousTarget(published.getPreviousTarget()).setPreviousImage(published.getPreviousImage()).build();
        }
        return next.setGeneration(Math.max(minimumGeneration, published == null ? 1 : published.getGeneration() + 1))
                .setPreviousTarget(published == null ? null : published.getTarget())
                .setPreviousImage(published == null ? null : published.getImage())
                .build();
    }

    /** True when the two records differ only in when they were made: publishing again would say nothing new. */
    public static boolean sameExceptTime(DesiredFirmware a, DesiredFirmware b) {
        return DesiredFirmware.newBuilder(a).setUpdatedAt(b.getUpdatedAt()).build().equals(b);
    }
}
