package io.otaflow.schemas.serde;

import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import org.apache.kafka.common.config.ConfigException;

import java.util.Map;

/** The Kafka client properties the Avro serdes read, named as Confluent's so existing configs work. */
public final class SerdeConfig {
    /** Base URL of a Confluent-compatible schema registry. */
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    /** Whether the serializer registers its schema (true) or only looks it up (false). Default true. */
    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    /** The generated class to read values as; absent means generic records. */
    public static final String VALUE_TYPE = "otaflow.avro.value.type";
    /** The generated class to read keys as; absent means generic records. */
    public static final String KEY_TYPE = "otaflow.avro.key.type";

    private SerdeConfig() {
    }

    static SchemaRegistry client(Map<String, ?> configs) {
        Object url = configs.get(SCHEMA_REGISTRY_URL);
        if (url == null || url.toString().isBlank()) {
            throw new ConfigException(SCHEMA_REGISTRY_URL, url, "the Avro serdes need a schema registry URL");
        }
        return new SchemaRegistryClient(url.toString());
    }

    static boolean autoRegister(Map<String, ?> configs) {
        Object value = configs.get(AUTO_REGISTER_SCHEMAS);
        return value == null || Boolean.parseBoolean(value.toString());
    }

    /** Confluent's TopicNameStrategy: {@code <topic>-key} or {@code <topic>-value}. */
    public static String subject(String topic, boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }
}
