package io.otaflow.picowota;

/**
 * What INFO answers: the window a client may write (from {@code flashStart}, {@code flashSize}
 * bytes) and the sizes it must respect. A client reads it on every connection, never assumes it.
 */
public record FlashInfo(int flashStart, int flashSize, int eraseSize, int writeSize, int maxDataLen) {
    /** A stock picowota build on a Pico W (2 MiB flash, 360 KiB bootloader, header sector, then the app). */
    public static final FlashInfo PICO_W = new FlashInfo(0x1005B000, 0x1A5000, 0x1000, 0x100, 0x400);

    /** XIP base of the RP2040's flash. */
    public static final int XIP_BASE = 0x10000000;
    /** Size of a Pico W's flash chip. */
    public static final int PICO_W_FLASH_BYTES = 2 * 1024 * 1024;

    public long flashEnd() {
        return Integer.toUnsignedLong(flashStart) + Integer.toUnsignedLong(flashSize);
    }

    /** The 4 KiB sector just below the app, where SEAL writes the image header. */
    public int headerAddress() {
        return flashStart - eraseSize;
    }

    public int[] words() {
        return new int[] {flashStart, flashSize, eraseSize, writeSize, maxDataLen};
    }

    public static FlashInfo of(int[] words) {
        return new FlashInfo(words[0], words[1], words[2], words[3], words[4]);
    }
}
