package io.otaflow.picowota;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the Pico SDK's "binary info" from an image, as picotool does: the header of five words
 * (start marker, entry array start and end, address-mapping table, end marker) within the first
 * 256 bytes, then the ID_AND_STRING entries tagged 'RP' for the program name and version string.
 * A real Pico W app embeds its version this way; the simulator reports what the flashed image
 * says, and the flasher checks an image against its command with it.
 */
public final class BinaryInfo {
    public static final int MARKER_START = 0x7188EBF2;
    public static final int MARKER_END = 0xE71AA390;
    public static final int TYPE_ID_AND_STRING = 6;
    public static final int TAG_RASPBERRY_PI = 0x5052; // 'R','P'
    public static final int ID_PROGRAM_NAME = 0x02031C86;
    public static final int ID_PROGRAM_VERSION_STRING = 0x11A9BC3A;
    private static final int MAX_MAPPINGS = 10;
    private static final int MAX_STRING = 512;

    /** What an image says about itself; either may be null when the image does not say. */
    public record ProgramInfo(String name, String version) {
    }

    private BinaryInfo() {
    }

    /**
     * @param image   the image's bytes as they sit in flash
     * @param address the flash address of the image's first byte
     * @return the program name and version, or empty when the image has no binary info header
     */
    public static Optional<ProgramInfo> read(byte[] image, long address) {
        return read((at, length) -> {
            long offset = at - address;
            if (offset < 0 || offset + length > image.length) {
                throw new IllegalArgumentException("outside the image");
            }
            return java.util.Arrays.copyOfRange(image, (int) offset, (int) offset + length);
        }, address);
    }

    /** The same, reading the image where it sits (e.g. in a device's flash) without copying it whole. */
    public static Optional<ProgramInfo> read(ImageHeader.Memory flash, long address) {
        Image memory = new Image(flash);
        byte[] head;
        try {
            head = flash.read(address, 256);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        for (int i = 0; i + 4 < 64; i++) {
            if (Words.read(head, i * 4) == MARKER_START && Words.read(head, (i + 4) * 4) == MARKER_END) {
                long from = Integer.toUnsignedLong(Words.read(head, (i + 1) * 4));
                long to = Integer.toUnsignedLong(Words.read(head, (i + 2) * 4));
                long table = Integer.toUnsignedLong(Words.read(head, (i + 3) * 4));
                if (to <= from || (from & 3) != 0 || (to & 3) != 0) {
                    return Optional.empty();
                }
                memory.mappings = mappings(memory, table);
                return Optional.of(entries(memory, from, to));
            }
        }
        return Optional.empty();
    }

    private static ProgramInfo entries(Image memory, long from, long to) {
        String name = null;
        String version = null;
        for (long p = from; p < to; p += 4) {
            Long entry = memory.word(p);
            if (entry == null) {
                continue;
            }
            Long typeAndTag = memory.word(entry);
            if (typeAndTag == null || (typeAndTag & 0xFFFF) != TYPE_ID_AND_STRING || (typeAndTag >>> 16) != TAG_RASPBERRY_PI) {
                continue;
            }
            Long id = memory.word(entry + 4);
            Long string = memory.word(entry + 8);
            if (id == null || string == null) {
                continue;
            }
            if (id == ID_PROGRAM_NAME) {
                name = memory.string(string);
            } else if (id == ID_PROGRAM_VERSION_STRING) {
                version = memory.string(string);
            }
        }
        return new ProgramInfo(name, version);
    }

    private static List<long[]> mappings(Image memory, long table) {
        List<long[]> mappings = new ArrayList<>();
        for (long at = table; mappings.size() < MAX_MAPPINGS; at += 12) {
            Long source = memory.rawWord(at);
            if (source == null || source == 0) {
                break;
            }
            Long start = memory.rawWord(at + 4);
            Long end = memory.rawWord(at + 8);
            if (start == null || end == null) {
                break;
            }
            if (!start.equals(end)) {
                mappings.add(new long[] {source, start, end});
            }
        }
        return mappings;
    }

    /** The image as memory: runtime addresses go through the mapping table (data copied to RAM at boot). */
    private static final class Image {
        final ImageHeader.Memory flash;
        List<long[]> mappings = List.of();

        Image(ImageHeader.Memory flash) {
            this.flash = flash;
        }

        long translate(long address) {
            for (long[] m : mappings) {
                if (address >= m[1] && address < m[2]) {
                    return m[0] + (address - m[1]);
                }
            }
            return address;
        }

        Long rawWord(long address) {
            try {
                return Integer.toUnsignedLong(Words.read(flash.read(address, 4), 0));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        Long word(long address) {
            return rawWord(translate(address));
        }

        String string(long address) {
            long at = translate(address);
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < MAX_STRING; i++) {
                byte[] one;
                try {
                    one = flash.read(at + i, 1);
                } catch (IllegalArgumentException e) {
                    return i == 0 ? null : text.toString(StandardCharsets.UTF_8);
                }
                if (one[0] == 0) {
                    break;
                }
                text.write(one[0]);
            }
            return text.toString(StandardCharsets.UTF_8);
        }
    }
}
