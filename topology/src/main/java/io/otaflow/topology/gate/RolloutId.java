package io.otaflow.topology.gate;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.gate.GateDevice;
import io.otaflow.schemas.gate.RolloutLedger;

/**
 * What identifies one rollout of a Configuration: the key's epoch (a new one each time the key is
 * created again after a tombstone) and the generation within it. Never reused for a key, so
 * ledgers, command ids and supersession can rely on it.
 */
public record RolloutId(long epoch, long generation) {
    public static RolloutId of(DesiredFirmware desired) {
        return new RolloutId(desired.getEpoch(), desired.getGeneration());
    }

    public static RolloutId of(RolloutLedger ledger) {
        return new RolloutId(ledger.getEpoch(), ledger.getGeneration());
    }

    public static RolloutId of(GateDevice device) {
        return new RolloutId(device.getEpoch(), device.getGeneration());
    }

    /** True when this rollout comes after {@code other}: a later epoch, or a higher generation in the same one. */
    public boolean after(RolloutId other) {
        return epoch != other.epoch ? epoch > other.epoch : generation > other.generation;
    }
}
