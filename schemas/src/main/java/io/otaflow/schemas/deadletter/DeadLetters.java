package io.otaflow.schemas.deadletter;

import io.otaflow.schemas.DeadLetter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * How every otaflow service writes down a record it could not process: the raw key and value
 * kept byte for byte, where it came from, and the error with its root cause. One builder, so a
 * dead letter of the topology and one of a flasher worker read alike.
 */
public final class DeadLetters {
    private DeadLetters() {
    }

    /** Where a record was read: its topic, partition, offset and timestamp (negative when it had none). */
    public record Origin(String topic, int partition, long offset, long timestamp) {
    }

    public static DeadLetter of(Origin origin, byte[] key, byte[] value, Headers headers, Throwable error, String component, Instant at) {
        return DeadLetter.newBuilder()
                .setOriginalTopic(origin.topic()).setPartition(origin.partition()).setOffset(origin.offset())
                .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setOriginalTimestamp(origin.timestamp() < 0 ? null : Instant.ofEpochMilli(origin.timestamp()))
                .setHeaders(headers(headers))
                .setErrorClass(error.getClass().getName())
                .setErrorMessage(message(error))
                .setComponent(component)
                .setAt(at)
                .build();
    }

    /** A record read with a String key (its UTF-8 bytes are the original key) and raw value bytes. */
    public static DeadLetter of(ConsumerRecord<String, byte[]> record, Throwable error, String component, Instant at) {
        return of(new Origin(record.topic(), record.partition(), record.offset(), record.timestamp()),
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value(), record.headers(),
                error, component, at);
    }

    /** The error's message, with its root cause's when that says something else. */
    static String message(Throwable error) {
        String message = String.valueOf(error.getMessage());
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != error && root.getMessage() != null && !message.contains(root.getMessage())) {
            message += " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
        }
        return message;
    }

    private static Map<String, String> headers(Headers headers) {
        Map<String, String> decoded = new HashMap<>();
        if (headers != null) {
            for (Header header : headers) {
                decoded.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
            }
        }
        return decoded;
    }
}
