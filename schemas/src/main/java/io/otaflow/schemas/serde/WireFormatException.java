package io.otaflow.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that cannot be decoded (or encoded) in the Confluent wire format. Names where the
 * bytes came from, so an operator can find and dead-letter the record: topic, partition and
 * offset when known (-1 otherwise), and the schema id when the header could be read.
 */
public class WireFormatException extends SerializationException {
    private final String topic;
    private final int partition;
    private final long offset;
    private final int schemaId;

    public WireFormatException(String topic, int partition, long offset, int schemaId, String reason, Throwable cause) {
        super(describe(topic, partition, offset, schemaId, reason), cause);
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.schemaId = schemaId;
    }

    /** The same error, now that the caller knows the record's partition and offset. */
    public WireFormatException at(int partition, long offset) {
        return new WireFormatException(topic, partition, offset, schemaId, reason(), getCause());
    }

    private String reason() {
        String message = getMessage();
        int colon = message.indexOf(": ");
        return colon < 0 ? message : message.substring(colon + 2);
    }

    private static String describe(String topic, int partition, long offset, int schemaId, String reason) {
        StringBuilder where = new StringBuilder("cannot decode record of topic ").append(topic);
        where.append(" partition ").append(partition < 0 ? "?" : String.valueOf(partition));
        where.append(" offset ").append(offset < 0 ? "?" : String.valueOf(offset));
        if (schemaId >= 0) {
            where.append(" (schema id ").append(schemaId).append(')');
        }
        return where.append(": ").append(reason).toString();
    }

    public String topic() {
        return topic;
    }

    public int partition() {
        return partition;
    }

    public long offset() {
        return offset;
    }

    public int schemaId() {
        return schemaId;
    }
}
