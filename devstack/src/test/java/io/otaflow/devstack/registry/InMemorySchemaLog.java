package io.otaflow.devstack.registry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A schema log in memory, shareable by several registry instances: each one applies the shared
 * list of records in order, as each would read the Kafka topic.
 */
final class InMemorySchemaLog implements SchemaLog {
    private final List<Map.Entry<String, String>> records;
    private BiConsumer<String, String> applier;
    private int applied;

    InMemorySchemaLog() {
        this(new ArrayList<>());
    }

    private InMemorySchemaLog(List<Map.Entry<String, String>> records) {
        this.records = records;
    }

    /** Another reader of the same log, as a second registry instance on the same topic. */
    InMemorySchemaLog sharedReader() {
        return new InMemorySchemaLog(records);
    }

    /** Appends without applying, as if another instance had written it. */
    void appendFromElsewhere(String key, String value) {
        synchronized (records) {
            records.add(new java.util.AbstractMap.SimpleEntry<>(key, value));
        }
    }

    @Override
    public void start(BiConsumer<String, String> applier) {
        this.applier = applier;
    }

    @Override
    public void catchUp(Duration timeout) {
        synchronized (records) {
            while (applied < records.size()) {
                Map.Entry<String, String> record = records.get(applied++);
                applier.accept(record.getKey(), record.getValue());
            }
        }
    }

    @Override
    public void append(String key, String value, Duration timeout) {
        synchronized (records) {
            records.add(new java.util.AbstractMap.SimpleEntry<>(key, value));
            catchUp(timeout);
        }
    }

    int size() {
        synchronized (records) {
            return records.size();
        }
    }

    @Override
    public void close() {
    }
}
