package io.otaflow.devstack;

import io.otaflow.devstack.registry.CompatibilityLevel;
import io.otaflow.devstack.registry.KafkaSchemaLog;
import io.otaflow.devstack.registry.SchemaRegistryHttpServer;
import io.otaflow.devstack.registry.SchemaRegistryService;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A schema registry that speaks the Confluent REST API, storing its schemas in the compacted
 * Kafka topic {@code _schemas}: ids survive restarts, and several instances on the same topic agree.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {
    public static final String DEFAULT_TOPIC = "_schemas";

    private final KafkaSchemaLog schemaLog;
    private final SchemaRegistryService service;
    private SchemaRegistryHttpServer http;

    public EmbeddedSchemaRegistry(String bootstrapServers) {
        this(bootstrapServers, DEFAULT_TOPIC);
    }

    public EmbeddedSchemaRegistry(String bootstrapServers, String topic) {
        this.schemaLog = new KafkaSchemaLog(bootstrapServers, topic, (short) 1);
        this.service = new SchemaRegistryService(schemaLog, CompatibilityLevel.BACKWARD, Duration.ofSeconds(30));
    }

    public EmbeddedSchemaRegistry start() {
        service.start();
        try {
            http = new SchemaRegistryHttpServer(service, new InetSocketAddress("127.0.0.1", 0));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the schema registry to 127.0.0.1", e);
        }
        http.start();
        return this;
    }

    public String url() {
        return http.url();
    }

    @Override
    public void close() {
        if (http != null) {
            http.close();
            http = null;
        }
        schemaLog.close();
    }
}
