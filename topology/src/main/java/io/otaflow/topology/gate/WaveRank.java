package io.otaflow.topology.gate;

import java.nio.charset.StandardCharsets;

/**
 * A device's place in a rollout's admission order: a hash of its id salted by the rollout, so
 * each wave is a stable pseudo-random sample of the fleet (a canary of 1 % is representative,
 * not the alphabetically first ids), the same on every replay and different in every rollout.
 */
public final class WaveRank {
    private WaveRank() {
    }

    /** A non-negative rank; equal ranks are ordered by device id. */
    public static long of(String deviceId, RolloutId rollout) {
        long h = 0xcbf29ce484222325L; // FNV-1a, then a SplitMix64 finaliser to spread the bits
        h = mix(h, rollout.epoch());
        h = mix(h, rollout.generation());
        for (byte b : deviceId.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        h ^= h >>> 30;
        h *= 0xbf58476d1ce4e5b9L;
        h ^= h >>> 27;
        h *= 0x94d049bb133111ebL;
        h ^= h >>> 31;
        return h >>> 1;
    }

    private static long mix(long h, long value) {
        for (int i = 0; i < 8; i++) {
            h = (h ^ ((value >>> (8 * i)) & 0xff)) * 0x100000001b3L;
        }
        return h;
    }
}
