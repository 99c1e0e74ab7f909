package io.otaflow.simulators.flash;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shares identical flash sectors between simulated devices, so that a fleet flashed with the
 * same image holds each distinct 4 KiB sector once. Devices intern their sectors when an image
 * is complete (after SEAL, at reboot), not while writing, so the pool only ever holds whole
 * images' sectors: its size is bounded by the distinct images a run flashes. Interned sectors
 * are never changed; a device copies one before programming it.
 */
public final class SectorPool {
    private final Map<ByteBuffer, byte[]> sectors = new ConcurrentHashMap<>();
    private final int sectorSize;
    private final byte[] erased;

    public SectorPool(int sectorSize) {
        this.sectorSize = sectorSize;
        this.erased = new byte[sectorSize];
        Arrays.fill(erased, (byte) 0xFF);
    }

    public int sectorSize() {
        return sectorSize;
    }

    /** The one shared erased (all 0xFF) sector. */
    public byte[] erased() {
        return erased;
    }

    /** The shared copy of a sector with this content; the caller must not change the argument afterwards. */
    public byte[] intern(byte[] sector) {
        if (sector == erased || Arrays.equals(sector, erased)) {
            return erased;
        }
        // ByteBuffer equality and hash are by content.
        return sectors.computeIfAbsent(ByteBuffer.wrap(sector), k -> sector);
    }

    public boolean isShared(byte[] sector) {
        return sector == erased || sectors.get(ByteBuffer.wrap(sector)) == sector;
    }

    /** Distinct non-erased sectors held. */
    public int size() {
        return sectors.size();
    }
}
