package io.otaflow.schemas.topics;

import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One topic of the catalog: its full name, the record it carries, how it is partitioned and
 * whether it is a compacted table or an event stream. Keys are always strings.
 *
 * @param name        full topic name, prefix included (e.g. {@code otaflow.device.discovery.v1})
 * @param valueType   the generated Avro class of the values
 * @param partitions  partition count to create it with
 * @param compacted   true for tables (latest value per key), false for event streams
 * @param retentionMs retention for event streams; -1 keeps them forever
 * @param description what the topic is for
 */
public record Topic<V extends SpecificRecord>(String name, Class<V> valueType, int partitions, boolean compacted,
                                              long retentionMs, String description) {

    public Topic {
        if (name == null || !name.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new IllegalArgumentException("invalid Kafka topic name: " + name);
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + " needs at least one partition");
        }
    }

    public Serde<String> keySerde() {
        return Serdes.String();
    }

    public Serde<V> valueSerde(SchemaRegistry registry) {
        return AvroSerde.forValue(registry, valueType);
    }

    /** The topic-level configuration that makes it what it is. */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG,
                compacted ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE);
        if (!compacted) {
            configs.put(TopicConfig.RETENTION_MS_CONFIG, String.valueOf(retentionMs));
        } else {
            // Tombstones (e.g. a deleted Configuration) must reach every consumer before they vanish.
            configs.put(TopicConfig.DELETE_RETENTION_MS_CONFIG, String.valueOf(24L * 60 * 60 * 1000));
        }
        return configs;
    }

    public NewTopic newTopic(short replicationFactor) {
        return new NewTopic(name, partitions, replicationFactor).configs(configs());
    }
}
