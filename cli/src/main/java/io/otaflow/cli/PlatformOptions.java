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
 * {@code --schema-registry}, which win over the file.
 */
final class PlatformOptions {
    @Option(names = "--platform", paramLabel = "FILE", description = "Endpoints file from 'otaflow up --endpoints-file' or 'otaflow demo --keep-running'.")
    Path platform;

    @Option(names = "--kafka", description = "Kafka bootstrap servers.")
    String kafka;

    @Option(names = "--schema-registry", description = "Schema registry URL.")
    String schemaRegistry;

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

    /** Puts Kafka and the registry, where known, into a service's settings under its own keys. */
    void into(Map<String, Object> settings, String kafkaKey, String registryKey) {
        if (kafka() != null) {
            settings.put(kafkaKey, kafka());
        }
        if (schemaRegistry() != null) {
            settings.put(registryKey, schemaRegistry());
        }
    }
}
