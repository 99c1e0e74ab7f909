package io.otaflow.picowota;

import java.util.Optional;

/**
 * The 256-byte image header picowota keeps in its own sector (0x1005A000 on a stock Pico W):
 * {@code vtor | size | crc} as little-endian u32, then 244 zero bytes. SEAL writes it; at every
 * boot the bootloader checks it (see {@link #check}) before jumping to {@code vtor}.
 */
public record ImageHeader(int vtor, int size, int crc) {
    public static final int LENGTH = 256;
    /** Lowest address of the RP2040's SRAM: an initial stack pointer below it cannot be valid. */
    public static final long SRAM_BASE = 0x20000000L;

    /** Reads memory for the image check: {@code length} bytes from an absolute address. */
    @FunctionalInterface
    public interface Memory {
        byte[] read(long address, int length);
    }

    public byte[] encode() {
        byte[] bytes = new byte[LENGTH];
        Words.write(bytes, 0, vtor);
        Words.write(bytes, 4, size);
        Words.write(bytes, 8, crc);
        return bytes;
    }

    public static ImageHeader decode(byte[] bytes) {
        return new ImageHeader(Words.read(bytes, 0), Words.read(bytes, 4), Words.read(bytes, 8));
    }

    /**
     * picowota's {@code image_header_ok}, in its order: the CRC-32 of {@code size} bytes (whole
     * words) from {@code vtor} equals {@code crc}; the initial stack pointer (word 0) is at least
     * SRAM's base; the reset vector (word 1) lies in {@code [vtor, vtor+size]} inclusive and has
     * the Thumb bit set.
     *
     * @return the first reason it fails, or empty when the image may boot
     */
    public Optional<String> check(Memory memory) {
        long start = Integer.toUnsignedLong(vtor);
        long length = Integer.toUnsignedLong(size) & ~3L;
        byte[] image;
        try {
            image = memory.read(start, (int) Math.min(length, Integer.MAX_VALUE));
        } catch (IllegalArgumentException e) {
            return Optional.of("image " + Words.hex(start) + "+" + length + " is not readable: " + e.getMessage());
        }
        return check(Crc.crc32(image), image.length >= 8 ? image : memory.read(start, 8));
    }

    /**
     * The same check from its two inputs, for a host that cannot read the whole image cheaply: the
     * CRC-32 of {@code size} bytes from {@code vtor} (picowota's CRCC) and the image's first two
     * words.
     */
    public Optional<String> check(int actualCrc, byte[] vectors) {
        long start = Integer.toUnsignedLong(vtor);
        long length = Integer.toUnsignedLong(size) & ~3L;
        if (actualCrc != crc) {
            return Optional.of("CRC-32 " + Words.hex(Integer.toUnsignedLong(actualCrc)) + " of " + length + " bytes at "
                    + Words.hex(start) + " differs from " + Words.hex(Integer.toUnsignedLong(crc)));
        }
        long stack = Integer.toUnsignedLong(Words.read(vectors, 0));
        long reset = Integer.toUnsignedLong(Words.read(vectors, 4));
        if (stack < SRAM_BASE) {
            return Optional.of("initial stack pointer " + Words.hex(stack) + " is below SRAM");
        }
        long end = (start + Integer.toUnsignedLong(size)) & 0xFFFFFFFFL;
        if (reset < start || reset > end || (reset & 1) == 0) {
            return Optional.of("reset vector " + Words.hex(reset) + " is not a Thumb address inside ["
                    + Words.hex(start) + ", " + Words.hex(end) + "]");
        }
        return Optional.empty();
    }
}
