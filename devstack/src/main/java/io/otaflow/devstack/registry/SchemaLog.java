package io.otaflow.devstack.registry;

import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * The registry's durable, ordered log of changes (in production a compacted Kafka topic).
 * Every registry instance applies the same records in the same order, so all of them agree on
 * ids and versions without talking to each other.
 */
public interface SchemaLog extends AutoCloseable {

    /** Starts replaying the log from its beginning into {@code applier} (key, value; value null = tombstone). */
    void start(BiConsumer<String, String> applier);

    /** Blocks until every record that was in the log when called has been applied. */
    void catchUp(Duration timeout);

    /** Appends a record and blocks until this instance has applied it (read-your-writes). */
    void append(String key, String value, Duration timeout);

    @Override
    void close();
}
