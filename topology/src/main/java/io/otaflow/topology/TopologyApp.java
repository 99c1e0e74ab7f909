package io.otaflow.topology;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;

/** The topology as a running Kafka Streams application, exactly-once (v2). */
public final class TopologyApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopologyApp.class);
    private final KafkaStreams streams;
    private final TopologyConfig config;
    private final QueryServer queries;

    public TopologyApp(TopologyConfig config) {
        this.config = config;
        try {
            String advertised = config.getString(TopologyConfig.HTTP_ADVERTISED_HOST);
            this.queries = new QueryServer(new java.net.InetSocketAddress(config.getString(TopologyConfig.HTTP_HOST),
                    config.getInt(TopologyConfig.HTTP_PORT)), advertised.isBlank() ? config.getString(TopologyConfig.HTTP_HOST) : advertised);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot bind the query endpoint", e);
        }
        TopicCatalog topics = new TopicCatalog(config.getString(TopologyConfig.TOPIC_PREFIX), TopicCatalog.DEFAULT_PARTITIONS);
        SchemaRegistryClient registry = new SchemaRegistryClient(config.getString(TopologyConfig.SCHEMA_REGISTRY));
        StreamsBuilder builder = new StreamsBuilder();
        OtaflowTopology.build(builder, topics, registry, Duration.ofMillis(config.getLong(TopologyConfig.GATE_INTERVAL_MS)));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, config.getString(TopologyConfig.APPLICATION_ID));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(TopologyConfig.KAFKA_BOOTSTRAP));
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, config.getString(TopologyConfig.STATE_DIR));
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1); // the broker's default
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(DeadLetterHandler.REGISTRY_URL, config.getString(TopologyConfig.SCHEMA_REGISTRY));
        props.put(DeadLetterHandler.TOPIC_PREFIX, config.getString(TopologyConfig.TOPIC_PREFIX));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, queries.hostInfo().host() + ":" + queries.hostInfo().port());
        long rocksDbBytes = config.getLong(TopologyConfig.ROCKSDB_MEMORY_BYTES);
        if (rocksDbBytes > 0) {
            props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
            props.put(BoundedRocksDbMemory.MEMORY_BYTES, rocksDbBytes);
        }
        props.putAll(config.streamsOverrides());
        this.streams = new KafkaStreams(builder.build(), props);
        streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it: {}", e.toString(), e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    public TopologyApp start() {
        streams.start();
        queries.start(streams);
        log.info("topology started; interactive queries on http://{}:{}", queries.hostInfo().host(), queries.hostInfo().port());
        return this;
    }

    /** Port of the interactive-query endpoint. */
    public int queryPort() {
        return queries.port();
    }

    public KafkaStreams streams() {
        return streams;
    }

    @Override
    public void close() {
        queries.close();
        streams.close(Duration.ofSeconds(30));
    }
}
