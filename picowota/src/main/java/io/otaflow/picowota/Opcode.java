package io.otaflow.picowota;

import java.nio.charset.StandardCharsets;

/**
 * The picowota commands. On the wire each is 4 ASCII bytes (a little-endian u32 in the
 * bootloader's source), followed by its u32 arguments and, for WRIT, its data. The response
 * shape (argument words, data length) is fixed per command. GOGO and BOOT are answered with
 * {@code OKOK} before the device jumps or reboots, but serial-flash never reads that answer.
 */
public enum Opcode {
    /** Must be the first command of a connection; answered with status {@code WOTA}. */
    SYNC(0, 0),
    /** Flash window and sizes: flash_start, flash_size, erase_size, write_size, max_data_len. */
    INFO(0, 5),
    /** {@code addr, len}: answers len bytes of flash. */
    READ(2, 0),
    /** {@code addr, len}: wrapping u32 sum of little-endian words. */
    CSUM(2, 1),
    /** {@code addr, len}: CRC-32 of the region. */
    CRCC(2, 1),
    /** {@code addr, len}: erase whole sectors. */
    ERAS(2, 0),
    /** {@code addr, len} then len data bytes: program, answer CRC-32 of the region read back. */
    WRIT(2, 1),
    /** {@code vtor, len, crc}: check the image and write its header. */
    SEAL(3, 0),
    /** {@code vtor}: jump to the application (no checks at all); then the connection goes away. */
    GOGO(1, 0),
    /** {@code to_bootloader}: reboot, with the stay-in-bootloader magic set (1) or cleared (0). */
    BOOT(1, 0);

    private final int argCount;
    private final int responseArgCount;
    private final int wire;

    Opcode(int argCount, int responseArgCount) {
        this.argCount = argCount;
        this.responseArgCount = responseArgCount;
        this.wire = Words.fourCc(name());
    }

    public int argCount() {
        return argCount;
    }

    /** Argument words of a successful response. */
    public int responseArgCount() {
        return responseArgCount;
    }

    /** The u32 the bootloader compares, i.e. the four ASCII bytes read little-endian. */
    public int wire() {
        return wire;
    }

    /** Data bytes that follow the arguments of a request. */
    public long requestDataLength(int[] args) {
        return this == WRIT ? Integer.toUnsignedLong(args[1]) : 0;
    }

    /** Data bytes that follow the arguments of a successful response. */
    public long responseDataLength(int[] args) {
        return this == READ ? Integer.toUnsignedLong(args[1]) : 0;
    }

    /** The opcode whose wire word this is, or null. */
    public static Opcode fromWire(int word) {
        for (Opcode op : values()) {
            if (op.wire == word) {
                return op;
            }
        }
        return null;
    }

    public static String describe(int word) {
        byte[] bytes = Words.bytes(word);
        boolean printable = true;
        for (byte b : bytes) {
            printable &= b >= 0x20 && b < 0x7f;
        }
        return printable ? "'" + new String(bytes, StandardCharsets.US_ASCII) + "'" : String.format("0x%08x", word);
    }
}
