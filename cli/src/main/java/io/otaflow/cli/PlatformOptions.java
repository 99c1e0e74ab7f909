package io.otaflow.cli;

import io.otaflow.devstack.Endpoints;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where otaflow's servers are, the same way for every command: {@code --platform} (the endpoints
 * file of {@code otaflow up} or {@code otaflow demo --keep-running}), or {@code --kafka} and
 * {@code --schema-registry}, which win over the file. In a Pod all three come from the
 * environment ({@code OTAFLOW_KAFKA_BOOTSTRAP}, {@code OTAFLOW_SCHEMA_REGISTRY_URL},
 * {@code OTAFLOW_TOPIC_PREFIX}), one ConfigMap for every component.
 */
final class PlatformOptions {
    @Option(names = "--platform", paramLabel = "FILE", description = "Endpoints file from 'otaflow up --endpoints-file' or 'otaflow demo --keep-running'.")
    Path platform;

    @Option(names = "--kafka", defaultValue = "${env:OTAFLOW_KAFKA_BOOTSTRAP}", description = "Kafka bootstrap servers (env OTAFLOW_KAFKA_BOOTSTRAP).")
    String kafka;

    @Option(names = "--schema-registry", defaultValue = "${env:OTAFLOW_SCHEMA_REGISTRY_URL}",
            description = "Schema registry URL (env OTAFLOW_SCHEMA_REGISTRY_URL).")
    String schemaRegistry;

    @Option(names = "--topic-prefix", defaultValue = "${env:OTAFLOW_TOPIC_PREFIX}",
            description = "Prefix of otaflow's topic names (default otaflow; env OTAFLOW_TOPIC_PREFIX).")
    String topicPrefix;

    private Endpoints endpoints;

    private Endpoints endpoints() {
        if (endpoints == null && platform != null) {
            try {
                endpoints = Endpoints.readJson(platform);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the platform file " + platform + ": " + e.getMessage(), e);
            }
        }
        return endpoints;
    }

    /** Kafka from the flags or the platform file; null when neither names it. */
    String kafka() {
        return kafka != null ? kafka : endpoints() != null ? endpoints().kafka() : null;
    }

    String schemaRegistry() {
        return schemaRegistry != null ? schemaRegistry : endpoints() != null ? endpoints().schemaRegistry() : null;
    }

    /** The Kubernetes API of the platform file; null without one. */
    String kubernetes() {
        return endpoints() == null ? null : endpoints().kubernetes();
    }

    /** The topic prefix given, else otaflow's default. */
    String topicPrefix() {
        return topicPrefix != null && !topicPrefix.isBlank() ? topicPrefix : io.otaflow.schemas.topics.TopicCatalog.DEFAULT_PREFIX;
    }

    /** Puts Kafka, the registry and the topic prefix, where given, into a service's settings under its own keys. */
    void into(Map<String, Object> settings, String kafkaKey, String registryKey, String prefixKey) {
        if (kafka() != null) {
            settings.put(kafkaKey, kafka());
        }
        if (schemaRegistry() != null) {
            settings.put(registryKey, schemaRegistry());
        }
        if (topicPrefix != null && !topicPrefix.isBlank()) {
            settings.put(prefixKey, topicPrefix);
        }
    }
}
