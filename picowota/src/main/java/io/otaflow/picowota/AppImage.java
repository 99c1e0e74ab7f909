package io.otaflow.picowota;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Builds Pico W application images for tests and demos, laid out as the Pico SDK lays out a
 * picowota app (linked at 0x1005B000): the 48-word vector table (initial stack pointer, reset
 * handler with the Thumb bit), the binary info header right after it at offset 0xC0, an empty
 * address-mapping table, the program name and version as 'RP' ID_AND_STRING entries, a little
 * Thumb code, then content derived from type and version up to the requested size (so two
 * versions differ throughout, as real builds do). Options break it on purpose.
 */
public final class AppImage {
    public static final int DEFAULT_BASE = 0x1005B000;
    static final int VECTOR_WORDS = 48;
    static final int HEADER_OFFSET = VECTOR_WORDS * 4; // 0xC0
    static final int CODE_OFFSET = 0x100;
    static final int INITIAL_STACK_POINTER = 0x20042000; // top of the RP2040's 264 KiB SRAM

    /** Ways to break an image, for tests of what devices and flashers do with bad firmware. */
    public enum Defect {
        /** A valid image. */
        NONE,
        /** Initial stack pointer outside SRAM and a reset vector without the Thumb bit: SEAL refuses it. */
        BAD_VECTOR_TABLE,
        /** No binary info: the image boots, but says nothing of its name or version. */
        NO_BINARY_INFO
    }

    private AppImage() {
    }

    /**
     * @param type    program name (the firmware type, e.g. {@code blink})
     * @param version program version string (e.g. {@code 1.2.0})
     * @param size    image size in bytes (rounded up to a whole word; at least 1 KiB)
     * @param base    flash address the image is linked at
     */
    public static byte[] build(String type, String version, int size, int base, Defect defect) {
        if (size < 1024) {
            throw new IllegalArgumentException("an image needs at least 1 KiB, not " + size + " bytes");
        }
        if (type.isEmpty() || version.isEmpty()) {
            throw new IllegalArgumentException("firmware type and version must not be empty");
        }
        byte[] image = new byte[(size + 3) & ~3];
        fillContent(image, type, version);

        int resetHandler = base + CODE_OFFSET;
        int defaultHandler = base + CODE_OFFSET + 2;
        Words.write(image, 0, defect == Defect.BAD_VECTOR_TABLE ? 0x10000000 : INITIAL_STACK_POINTER);
        Words.write(image, 4, defect == Defect.BAD_VECTOR_TABLE ? resetHandler : resetHandler | 1);
        for (int i = 2; i < VECTOR_WORDS; i++) {
            Words.write(image, i * 4, defaultHandler | 1);
        }
        // Thumb: reset handler and default handler are both "b ." (0xe7fe).
        for (int i = CODE_OFFSET; i < CODE_OFFSET + 8; i += 2) {
            image[i] = (byte) 0xFE;
            image[i + 1] = (byte) 0xE7;
        }
        if (defect == Defect.NO_BINARY_INFO) {
            for (int i = HEADER_OFFSET; i < CODE_OFFSET; i++) {
                image[i] = 0;
            }
            return image;
        }
        writeBinaryInfo(image, base, type, version);
        return image;
    }

    public static byte[] build(String type, String version, int size) {
        return build(type, version, size, DEFAULT_BASE, Defect.NONE);
    }

    private static void writeBinaryInfo(byte[] image, int base, String type, String version) {
        int entries = CODE_OFFSET + 0x10;          // two 12-byte ID_AND_STRING entries
        int pointers = entries + 24;               // the entry pointer array [from, to)
        int strings = pointers + 8;
        byte[] name = (type + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] ver = (version + "\0").getBytes(StandardCharsets.UTF_8);
        if (strings + name.length + ver.length + 4 > image.length) {
            throw new IllegalArgumentException("image too small for its binary info");
        }
        int mappingTable = HEADER_OFFSET + 20;     // one zero word: no mappings
        Words.write(image, HEADER_OFFSET, BinaryInfo.MARKER_START);
        Words.write(image, HEADER_OFFSET + 4, base + pointers);
        Words.write(image, HEADER_OFFSET + 8, base + pointers + 8);
        Words.write(image, HEADER_OFFSET + 12, base + mappingTable);
        Words.write(image, HEADER_OFFSET + 16, BinaryInfo.MARKER_END);
        Words.write(image, mappingTable, 0);

        int nameAt = strings;
        int versionAt = strings + name.length;
        writeEntry(image, entries, BinaryInfo.ID_PROGRAM_NAME, base + nameAt);
        writeEntry(image, entries + 12, BinaryInfo.ID_PROGRAM_VERSION_STRING, base + versionAt);
        Words.write(image, pointers, base + entries);
        Words.write(image, pointers + 4, base + entries + 12);
        System.arraycopy(name, 0, image, nameAt, name.length);
        System.arraycopy(ver, 0, image, versionAt, ver.length);
    }

    private static void writeEntry(byte[] image, int at, int id, int stringAddress) {
        Words.write(image, at, BinaryInfo.TYPE_ID_AND_STRING | BinaryInfo.TAG_RASPBERRY_PI << 16);
        Words.write(image, at + 4, id);
        Words.write(image, at + 8, stringAddress);
    }

    private static void fillContent(byte[] image, String type, String version) {
        SplittableRandom random = new SplittableRandom((type + "\u0000" + version).hashCode() * 0x9E3779B97F4A7C15L);
        for (int i = 0; i < image.length; i += 8) {
            long value = random.nextLong();
            for (int b = 0; b < 8 && i + b < image.length; b++) {
                image[i + b] = (byte) (value >>> (8 * b));
            }
        }
    }
}
