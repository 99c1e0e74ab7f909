package io.otaflow.topology.gate;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashCommand;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The flash commands a rollout issues: an attempt towards the target, or a rollback to the
 * previous image. Command ids are derived from (configuration, the ledger's creation time, epoch,
 * generation, device, attempt), so a replay issues the same id and no two rollouts ever share one,
 * even when a publisher reuses a generation after deleting its key.
 */
public final class CommandBuilder {
    private CommandBuilder() {
    }

    public static FlashCommand attempt(String configuration, long salt, DesiredFirmware target, DeviceState device, int attempt, long now) {
        return common(configuration, target, device, id(configuration, salt, target, device.getDeviceId(), "attempt-" + attempt), attempt, now)
                .setFrom(device.getFirmware())
                .setTo(target.getTarget())
                .setImage(target.getImage())
                .setAllowDowngrade(target.getPolicy().getAllowDowngrade())
                .setAllowRepurpose(target.getPolicy().getAllowRepurpose())
                .build();
    }

    /** Re-flashes the previous image after the target failed on the device (downgrade and type checks waived). */
    public static FlashCommand rollback(String configuration, long salt, DesiredFirmware target, DeviceState device, int attempt, long now) {
        return common(configuration, target, device, id(configuration, salt, target, device.getDeviceId(), "rollback"), attempt, now)
                .setFrom(target.getTarget())
                .setTo(target.getPreviousTarget())
                .setImage(target.getPreviousImage())
                .setRollback(true)
                .setAllowDowngrade(true)
                .setAllowRepurpose(true)
                .build();
    }

    private static FlashCommand.Builder common(String configuration, DesiredFirmware target, DeviceState device, String commandId,
                                               int attempt, long now) {
        return FlashCommand.newBuilder()
                .setCommandId(commandId)
                .setDeviceId(device.getDeviceId())
                .setEndpoint(device.getEndpoint() == null ? "" : device.getEndpoint())
                .setOtaEndpoint(device.getOtaEndpoint())
                .setConfiguration(configuration)
                .setGeneration(target.getGeneration())
                .setEpoch(target.getEpoch())
                .setAttempt(attempt)
                .setDeadline(java.time.Instant.ofEpochMilli(now + target.getPolicy().getDeviceTimeoutMs()))
                .setIssuedAt(java.time.Instant.ofEpochMilli(now));
    }

    static String id(String configuration, long salt, DesiredFirmware target, String deviceId, String what) {
        String name = String.join("\u0000", configuration, Long.toString(salt), Long.toString(target.getEpoch()), Long.toString(target.getGeneration()), deviceId, what);
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
