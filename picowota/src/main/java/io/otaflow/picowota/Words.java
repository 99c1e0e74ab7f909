package io.otaflow.picowota;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Little-endian u32 helpers: every number on the picowota wire and in the image header is one. */
public final class Words {
    private Words() {
    }

    /** The u32 whose little-endian bytes are these four ASCII characters ("SYNC" → 0x434e5953). */
    public static int fourCc(String text) {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        if (b.length != 4) {
            throw new IllegalArgumentException("a four-character code needs 4 ASCII characters: " + text);
        }
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    public static byte[] bytes(int word) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(word).array();
    }

    public static int read(byte[] source, int offset) {
        return (source[offset] & 0xff) | (source[offset + 1] & 0xff) << 8
                | (source[offset + 2] & 0xff) << 16 | (source[offset + 3] & 0xff) << 24;
    }

    public static void write(byte[] target, int offset, int word) {
        target[offset] = (byte) word;
        target[offset + 1] = (byte) (word >>> 8);
        target[offset + 2] = (byte) (word >>> 16);
        target[offset + 3] = (byte) (word >>> 24);
    }

    public static String hex(long value) {
        return String.format("0x%08x", value);
    }
}
