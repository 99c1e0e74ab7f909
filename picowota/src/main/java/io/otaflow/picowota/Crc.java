package io.otaflow.picowota;

import java.util.zip.CRC32;

/** The checksums picowota computes: IEEE/zlib CRC-32 and a wrapping sum of little-endian words. */
public final class Crc {
    private Crc() {
    }

    public static int crc32(byte[] data, int offset, int length) {
        CRC32 crc = new CRC32();
        crc.update(data, offset, length);
        return (int) crc.getValue();
    }

    public static int crc32(byte[] data) {
        return crc32(data, 0, data.length);
    }

    /** Wrapping u32 sum of the little-endian words of a region whose length is a multiple of 4. */
    public static int wordSum(byte[] data, int offset, int length) {
        int sum = 0;
        for (int i = 0; i + 3 < length; i += 4) {
            sum += Words.read(data, offset + i);
        }
        return sum;
    }
}
