package io.otaflow.devstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the embedded platform listens, as scripts read it ({@code otaflow up --endpoints-file}).
 *
 * @param kafka          Kafka bootstrap servers (host:port)
 * @param mqtt           MQTT broker URL (tcp://host:port)
 * @param schemaRegistry schema registry base URL
 * @param kubernetes     Kubernetes API base URL
 */
public record Endpoints(String kafka, String mqtt, String schemaRegistry, String kubernetes) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public void writeJson(Path file) throws IOException {
        JSON.writeValue(file.toFile(), this);
    }

    public static Endpoints readJson(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Endpoints.class);
    }
}
