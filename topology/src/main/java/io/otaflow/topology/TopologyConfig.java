package io.otaflow.topology;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The topology's settings, each also an environment variable ({@code otaflow.topology.application.id}
 * is {@code OTAFLOW_TOPOLOGY_APPLICATION_ID}). Anything starting with {@code otaflow.topology.streams.}
 * is passed to Kafka Streams as is (e.g. {@code otaflow.topology.streams.num.stream.threads}).
 */
public final class TopologyConfig extends AbstractConfig {
    public static final String APPLICATION_ID = "otaflow.topology.application.id";
    public static final String KAFKA_BOOTSTRAP = "otaflow.topology.kafka.bootstrap";
    public static final String SCHEMA_REGISTRY = "otaflow.topology.schema.registry.url";
    public static final String TOPIC_PREFIX = "otaflow.topology.topic.prefix";
    public static final String STATE_DIR = "otaflow.topology.state.dir";
    public static final String GATE_INTERVAL_MS = "otaflow.topology.gate.interval.ms";
    public static final String HTTP_PORT = "otaflow.topology.http.port";
    public static final String HTTP_HOST = "otaflow.topology.http.host";
    public static final String HTTP_ADVERTISED_HOST = "otaflow.topology.http.advertised.host";
    public static final String ROCKSDB_MEMORY_BYTES = "otaflow.topology.rocksdb.memory.bytes";
    public static final String STREAMS_PREFIX = "otaflow.topology.streams.";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(APPLICATION_ID, Type.STRING, "otaflow-topology", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka Streams application id: the consumer group and the prefix of internal topics.")
            .define(KAFKA_BOOTSTRAP, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH, "Kafka bootstrap servers.")
            .define(SCHEMA_REGISTRY, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH, "Schema registry URL.")
            .define(TOPIC_PREFIX, Type.STRING, "otaflow", Importance.LOW, "Prefix of otaflow's topic names.")
            .define(STATE_DIR, Type.STRING, System.getProperty("java.io.tmpdir") + "/otaflow-topology", Importance.MEDIUM,
                    "Where Kafka Streams keeps its local state (RocksDB).")
            .define(GATE_INTERVAL_MS, Type.LONG, 1000L, ConfigDef.Range.between(10, 60_000), Importance.LOW,
                    "How often the rollout gate re-evaluates every Configuration (deadlines, backoff, rate, soak).")
            .define(HTTP_HOST, Type.STRING, "127.0.0.1", Importance.LOW, "Address the interactive-query HTTP endpoint binds.")
            .define(HTTP_ADVERTISED_HOST, Type.STRING, "", Importance.LOW,
                    "Address other instances use to reach this one's queries (application.server); default the bound address. "
                            + "In a Pod: its IP, while the endpoint binds 0.0.0.0.")
            .define(ROCKSDB_MEMORY_BYTES, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "Memory all RocksDB stores share (block cache with memtables and index blocks counted in); 0 leaves RocksDB "
                            + "unbounded. In a container: what the memory limit leaves after the heap and about 256 MiB.")
            .define(HTTP_PORT, Type.INT, 0, ConfigDef.Range.between(0, 65535), Importance.LOW,
                    "Port of the interactive-query HTTP endpoint (0: a free one; -1 is not allowed).");

    public TopologyConfig(Map<?, ?> values) {
        super(DEFINITION, values);
    }

    public static TopologyConfig fromEnvironment(Map<String, String> env, Map<String, ?> overrides) {
        Map<String, Object> values = new HashMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith("OTAFLOW_TOPOLOGY_")) {
                values.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        values.putAll(overrides);
        return new TopologyConfig(values);
    }

    /** Extra Kafka Streams settings given with the {@value #STREAMS_PREFIX} prefix. */
    public Map<String, Object> streamsOverrides() {
        return originalsWithPrefix(STREAMS_PREFIX);
    }
}
