package io.otaflow.schemas.serde;

import java.nio.ByteBuffer;

/**
 * The Confluent wire format: magic byte 0, the schema id as a big-endian 4-byte int, then the
 * Avro binary encoding of the record. Any Confluent-compatible tool reads what otaflow writes.
 */
public final class WireFormat {
    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** Writes the 5-byte header into the start of a buffer that has room for the payload after it. */
    public static void writeHeader(ByteBuffer target, int schemaId) {
        target.put(MAGIC_BYTE).putInt(schemaId);
    }

    /**
     * Reads and checks the header, leaving the buffer positioned at the Avro payload.
     *
     * @return the schema id
     * @throws IllegalArgumentException when the bytes are too short or the magic byte is wrong
     */
    public static int readHeader(ByteBuffer source) {
        if (source.remaining() < HEADER_SIZE) {
            throw new IllegalArgumentException("payload of " + source.remaining()
                    + " bytes is too short for the Confluent wire format (magic byte + 4-byte schema id)");
        }
        byte magic = source.get();
        if (magic != MAGIC_BYTE) {
            throw new IllegalArgumentException(String.format(
                    "unknown magic byte 0x%02x: not an Avro record in the Confluent wire format", magic));
        }
        return source.getInt();
    }
}
