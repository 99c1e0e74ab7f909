package io.otaflow.connectors.mqtt;

import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

import java.util.Map;

/** The MQTT source connector's settings; every key has a default (or is required) and a doc. */
public final class MqttSourceConfig extends AbstractConfig {
    public static final String SERVER_URI = "mqtt.server.uri";
    public static final String TOPIC_FILTER = "mqtt.topic.filter";
    public static final String SHARED_GROUP = "mqtt.shared.group";
    public static final String CLIENT_ID_PREFIX = "mqtt.client.id.prefix";
    public static final String USERNAME = "mqtt.username";
    public static final String PASSWORD = "mqtt.password";
    public static final String TLS_TRUSTSTORE = "mqtt.tls.truststore.path";
    public static final String TLS_TRUSTSTORE_PASSWORD = "mqtt.tls.truststore.password";
    public static final String SESSION_EXPIRY_SECONDS = "mqtt.session.expiry.seconds";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String TOPIC_PREFIX = "otaflow.topic.prefix";
    public static final String MAX_BATCH = "otaflow.max.batch";
    public static final String TASK_ID = "otaflow.task.id";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(SERVER_URI, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "MQTT broker, tcp://host:port or ssl://host:port (MQTT 5).")
            .define(TOPIC_FILTER, Type.STRING, "otaflow/devices/+/state", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Device state topics; the device id is the level matched by '+'.")
            .define(SHARED_GROUP, Type.STRING, "otaflow-connect", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Shared-subscription group: tasks of this connector share the messages ($share/<group>/<filter>), so tasks.max > 1 spreads the load.")
            .define(CLIENT_ID_PREFIX, Type.STRING, "otaflow-connect", Importance.LOW, "MQTT client ids are <prefix>-<task>.")
            .define(USERNAME, Type.STRING, "", Importance.MEDIUM, "MQTT user name; empty for none.")
            .define(PASSWORD, Type.PASSWORD, "", Importance.MEDIUM, "MQTT password (never logged).")
            .define(TLS_TRUSTSTORE, Type.STRING, "", Importance.MEDIUM, "PKCS12 or JKS trust store for ssl:// brokers; empty for the JVM's.")
            .define(TLS_TRUSTSTORE_PASSWORD, Type.PASSWORD, "", Importance.LOW, "Trust store password.")
            .define(SESSION_EXPIRY_SECONDS, Type.LONG, 3600L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "How long the broker keeps a task's session (and its unacknowledged messages) after it disconnects: "
                            + "messages are acknowledged only once written to Kafka, so a restarted task gets them again.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Confluent-compatible schema registry; records are Avro in the Confluent wire format (use ByteArrayConverter for values).")
            .define(TOPIC_PREFIX, Type.STRING, "otaflow", Importance.LOW, "Prefix of otaflow's topic names.")
            .define(MAX_BATCH, Type.INT, 1000, ConfigDef.Range.between(1, 100_000), Importance.LOW, "Most records returned by one poll.")
            .define(TASK_ID, Type.INT, 0, Importance.LOW, "Set by the connector for each task.");

    public MqttSourceConfig(Map<?, ?> values) {
        super(DEFINITION, values);
    }

    public String password() {
        Password password = getPassword(PASSWORD);
        return password == null ? "" : password.value();
    }
}
