package io.otaflow.simulators.flash;

/**
 * A NOR flash chip as the RP2040 sees it through XIP: erasing a 4 KiB sector sets every byte
 * to 0xFF; programming can only clear bits (new = old AND data), so writing over data that was
 * not erased corrupts it, as on the real chip. Contents survive power cycles. Sectors are
 * shared with other devices through a {@link SectorPool} and copied on first write.
 */
public final class NorFlash {
    private final int base;
    private final int size;
    private final SectorPool pool;
    private final byte[][] sectors;
    private final boolean[] privateCopy;

    public NorFlash(int base, int size, SectorPool pool) {
        if (size % pool.sectorSize() != 0) {
            throw new IllegalArgumentException("flash size must be whole sectors");
        }
        this.base = base;
        this.size = size;
        this.pool = pool;
        this.sectors = new byte[size / pool.sectorSize()][];
        this.privateCopy = new boolean[sectors.length];
        java.util.Arrays.fill(sectors, pool.erased());
    }

    public int base() {
        return base;
    }

    public int size() {
        return size;
    }

    public int sectorSize() {
        return pool.sectorSize();
    }

    public boolean contains(long address, long length) {
        long start = address - Integer.toUnsignedLong(base);
        return start >= 0 && length >= 0 && start + length <= size;
    }

    private int offset(long address, long length) {
        if (!contains(address, length)) {
            throw new IllegalArgumentException(String.format("0x%08x+%d is outside the flash 0x%08x+%d", address, length, base, size));
        }
        return (int) (address - Integer.toUnsignedLong(base));
    }

    public synchronized byte[] read(long address, int length) {
        int offset = offset(address, length);
        byte[] out = new byte[length];
        int sectorSize = pool.sectorSize();
        for (int done = 0; done < length; ) {
            int at = offset + done;
            int inSector = at % sectorSize;
            int n = Math.min(length - done, sectorSize - inSector);
            System.arraycopy(sectors[at / sectorSize], inSector, out, done, n);
            done += n;
        }
        return out;
    }

    /** Erases the sectors covering [address, address+length); both must be sector-aligned. */
    public synchronized void erase(long address, int length) {
        int offset = offset(address, length);
        int sectorSize = pool.sectorSize();
        if (offset % sectorSize != 0 || length % sectorSize != 0) {
            throw new IllegalArgumentException("erase must cover whole sectors");
        }
        for (int s = offset / sectorSize; s < (offset + length) / sectorSize; s++) {
            sectors[s] = pool.erased();
            privateCopy[s] = false;
        }
    }

    /** Programs bytes: each bit can only go from 1 to 0. */
    public synchronized void program(long address, byte[] data) {
        int offset = offset(address, data.length);
        int sectorSize = pool.sectorSize();
        for (int i = 0; i < data.length; i++) {
            int at = offset + i;
            int s = at / sectorSize;
            if (!privateCopy[s]) {
                sectors[s] = sectors[s].clone();
                privateCopy[s] = true;
            }
            sectors[s][at % sectorSize] &= data[i];
        }
    }

    /** Takes another chip's contents, sharing its (interned) sectors. */
    public synchronized void copyFrom(NorFlash other) {
        if (other.size != size || other.base != base) {
            throw new IllegalArgumentException("flash chips differ in size or base");
        }
        other.compact();
        System.arraycopy(other.sectors, 0, sectors, 0, sectors.length);
        java.util.Arrays.fill(privateCopy, false);
    }

    /** Shares this chip's finished sectors with other devices holding the same content. */
    public synchronized void compact() {
        for (int s = 0; s < sectors.length; s++) {
            if (privateCopy[s]) {
                sectors[s] = pool.intern(sectors[s]);
                privateCopy[s] = false;
            }
        }
    }

    /** Sectors this chip holds privately (not shared): its own memory cost. */
    public synchronized int privateSectors() {
        int n = 0;
        for (boolean p : privateCopy) {
            n += p ? 1 : 0;
        }
        return n;
    }
}
