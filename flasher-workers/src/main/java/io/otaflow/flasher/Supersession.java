package io.otaflow.flasher;

import io.otaflow.schemas.FlashCommand;

/**
 * Whether a command belongs to a rollout that is no longer wanted. Rollouts of a key are ordered
 * by (epoch, generation): a command of an earlier epoch, or of an earlier generation in the same
 * epoch, is superseded; so is one issued before the key was withdrawn (a tombstone), even when
 * compaction has left the worker nothing but the tombstone. A command of a later epoch than the
 * worker knows, issued after the withdrawal, is not: the key was created again and the worker has
 * not read it yet. Rollbacks are never superseded: they put a device back the way it was.
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
        if (command.getRollback() || known == null) {
            return false;
        }
        if (known.withdrawnAt() != null && command.getIssuedAt().toEpochMilli() <= known.withdrawnAt()) {
            return true;
        }
        if (command.getEpoch() != known.epoch()) {
            return command.getEpoch() < known.epoch();
        }
        return known.generation() > command.getGeneration();
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
