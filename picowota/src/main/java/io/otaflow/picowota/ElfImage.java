package io.otaflow.picowota;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * ELF32 (ARM, little-endian) images, read the way serial-flash reads them and written so that
 * it (and we) can read them back: the flash-resident bytes come from the sections inside
 * loadable segments whose physical address lies in flash, placed at their physical address,
 * lowest first, gaps filled with zeros.
 */
public final class ElfImage {
    private static final int PT_LOAD = 1;
    private static final int SHT_PROGBITS = 1;
    private static final int SHT_STRTAB = 3;
    private static final int SHT_NOBITS = 8;
    private static final long FLASH_START = 0x10000000L;
    private static final long FLASH_END = 0x10200000L;

    /** Flash bytes and the address of the first one. */
    public record Loaded(long address, byte[] bytes) {
    }

    private ElfImage() {
    }

    /** Wraps a flat image into an ELF executable with one loadable segment and a {@code .text} section. */
    public static byte[] write(byte[] image, int base) {
        int dataOffset = 0x100;
        byte[] shstrtab = "\0.text\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
        int shstrOffset = dataOffset + image.length;
        int shOffset = (shstrOffset + shstrtab.length + 3) & ~3;
        ByteBuffer elf = ByteBuffer.allocate(shOffset + 3 * 40).order(ByteOrder.LITTLE_ENDIAN);
        elf.put(new byte[] {0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        elf.putShort((short) 2).putShort((short) 40).putInt(1);          // ET_EXEC, EM_ARM, version
        elf.putInt(Words.read(image, 4)).putInt(52).putInt(shOffset);    // entry, phoff, shoff
        elf.putInt(0x05000200);                                          // EABI5, hard-float flag off
        elf.putShort((short) 52).putShort((short) 32).putShort((short) 1);
        elf.putShort((short) 40).putShort((short) 3).putShort((short) 2);
        // Program header: one PT_LOAD, R+X.
        elf.putInt(PT_LOAD).putInt(dataOffset).putInt(base).putInt(base)
                .putInt(image.length).putInt(image.length).putInt(5).putInt(0x100);
        elf.position(dataOffset);
        elf.put(image);
        elf.put(shstrtab);
        elf.position(shOffset);
        elf.put(new byte[40]);                                            // SHN_UNDEF
        section(elf, 1, SHT_PROGBITS, 6, base, dataOffset, image.length, 4);
        section(elf, 7, SHT_STRTAB, 0, 0, shstrOffset, shstrtab.length, 1);
        return elf.array();
    }

    private static void section(ByteBuffer elf, int name, int type, int flags, int address, int offset, int size, int align) {
        elf.putInt(name).putInt(type).putInt(flags).putInt(address).putInt(offset).putInt(size)
                .putInt(0).putInt(0).putInt(align).putInt(0);
    }

    public static boolean isElf(byte[] bytes) {
        return bytes.length >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F';
    }

    /** Extracts the flash-resident bytes, as serial-flash's {@code LoadELF} does. */
    public static Loaded read(byte[] bytes) {
        if (!isElf(bytes) || bytes.length < 52) {
            throw new IllegalArgumentException("not an ELF file");
        }
        if (bytes[4] != 1 || bytes[5] != 1) {
            throw new IllegalArgumentException("not a 32-bit little-endian ELF (an RP2040 image is)");
        }
        ByteBuffer elf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long phoff = Integer.toUnsignedLong(elf.getInt(28));
        long shoff = Integer.toUnsignedLong(elf.getInt(32));
        int phentsize = Short.toUnsignedInt(elf.getShort(42));
        int phnum = Short.toUnsignedInt(elf.getShort(44));
        int shentsize = Short.toUnsignedInt(elf.getShort(46));
        int shnum = Short.toUnsignedInt(elf.getShort(48));
        record Piece(long address, int offset, int size) {
        }
        List<Piece> pieces = new ArrayList<>();
        for (int p = 0; p < phnum; p++) {
            int at = (int) (phoff + (long) p * phentsize);
            if (elf.getInt(at) != PT_LOAD) {
                continue;
            }
            long vaddr = Integer.toUnsignedLong(elf.getInt(at + 8));
            long paddr = Integer.toUnsignedLong(elf.getInt(at + 12));
            long memsz = Integer.toUnsignedLong(elf.getInt(at + 20));
            if (paddr < FLASH_START || paddr + memsz > FLASH_END) {
                continue;
            }
            for (int s = 0; s < shnum; s++) {
                int sh = (int) (shoff + (long) s * shentsize);
                int type = elf.getInt(sh + 4);
                long addr = Integer.toUnsignedLong(elf.getInt(sh + 12));
                int offset = elf.getInt(sh + 16);
                int size = elf.getInt(sh + 20);
                if (size > 0 && type != SHT_NOBITS && addr >= vaddr && addr < vaddr + memsz) {
                    pieces.add(new Piece(paddr + (addr - vaddr), offset, size));
                }
            }
        }
        if (pieces.isEmpty()) {
            throw new IllegalArgumentException("the ELF file has no sections in flash (0x10000000-0x10200000)");
        }
        pieces.sort(Comparator.comparingLong(Piece::address));
        long start = pieces.get(0).address();
        long end = pieces.stream().mapToLong(p -> p.address() + p.size()).max().orElseThrow();
        byte[] flat = new byte[(int) (end - start)];
        for (Piece piece : pieces) {
            System.arraycopy(bytes, piece.offset(), flat, (int) (piece.address() - start), piece.size());
        }
        return new Loaded(start, flat);
    }
}
