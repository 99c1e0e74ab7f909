package io.otaflow.flasher;

import io.otaflow.schemas.FlashCommand;

/**
 * Whether a command belongs to a rollout that is no longer wanted. Rollouts of a key are ordered
 * by (epoch, generation): a command of an earlier epoch, or of an earlier generation in the same
 * epoch, is superseded; so is one issued before the key was withdrawn (a tombstone), even when
 * compaction has left the worker nothing but the tombstone. A command of a later epoch than the
 * worker knows, issued after the withdrawal, is not: the key was created again and the worker has
 * not read it yet. A rollback is superseded only by a later rollout (whose commands take the
 * device from there), not by a withdrawal: it puts a device back the way it was, and a stale one
 * redelivered after a newer generation flashed the device must not undo that.
 */
public final class Supersession {
    /**
     * What a worker knows of a key's desired firmware: its newest epoch and generation
     * ({@link Long#MIN_VALUE} when unknown) and when it was last withdrawn (null if it was not since).
     */
    public record Known(long epoch, long generation, Long withdrawnAt) {
        public static final Known NOTHING = new Known(Long.MIN_VALUE, Long.MIN_VALUE, null);
    }

    private Supersession() {
    }

    public static boolean superseded(FlashCommand command, Known known) {
        if (known == null) {
            return false;
        }
        if (command.getRollback()) {
            return newer(known, command); // a withdrawal does not stop it: it puts the device back the way it was
        }
        if (known.withdrawnAt() != null && command.getIssuedAt().toEpochMilli() <= known.withdrawnAt()) {
            return true;
        }
        if (command.getEpoch() != known.epoch()) {
            return command.getEpoch() < known.epoch();
        }
        return known.generation() > command.getGeneration();
    }

    /** A rollout after the command's is known: a later epoch, or a later generation of its epoch. */
    private static boolean newer(Known known, FlashCommand command) {
        return known.epoch() != command.getEpoch() ? known.epoch() > command.getEpoch() : known.generation() > command.getGeneration();
    }

    /** What is known after a value of the key was read. */
    public static Known published(Known before, long epoch, long generation) {
        if (before == null || epoch > before.epoch()) {
            return new Known(epoch, generation, before == null ? null : before.withdrawnAt());
        }
        if (epoch < before.epoch()) {
            return before;
        }
        return new Known(epoch, Math.max(generation, before.generation()), before.withdrawnAt());
    }

    /** What is known after a tombstone of the key, written at {@code at}. */
    public static Known withdrawn(Known before, long at) {
        Known known = before == null ? Known.NOTHING : before;
        return new Known(known.epoch(), known.generation(), at);
    }
}
