package io.otaflow.connectors.discovery;

import io.otaflow.schemas.config.EnvironmentSettings;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

import java.util.Map;

/**
 * The discovery handler's settings, each with a default and a doc, checked at start. Every key
 * can also come from the environment: {@code otaflow.discovery.kafka.bootstrap} is
 * {@code OTAFLOW_DISCOVERY_KAFKA_BOOTSTRAP}; Akri's own variables ({@code DISCOVERY_HANDLERS_DIRECTORY},
 * {@code POD_IP}, {@code AGENT_NODE_NAME}) are read as Akri sets them.
 */
public final class DiscoveryHandlerConfig extends AbstractConfig {
    public static final String MODE = "otaflow.discovery.mode";
    public static final String NAME = "otaflow.discovery.name";
    public static final String SOCKET_DIRECTORY = "otaflow.discovery.socket.directory";
    public static final String POD_IP = "otaflow.discovery.pod.ip";
    public static final String NETWORK_PORT = "otaflow.discovery.network.port";
    public static final String NODE = "otaflow.discovery.node";
    public static final String DETAILS_FILE = "otaflow.discovery.details.file";
    public static final String KAFKA_BOOTSTRAP = "otaflow.discovery.kafka.bootstrap";
    public static final String SCHEMA_REGISTRY = "otaflow.discovery.schema.registry.url";
    public static final String TOPIC_PREFIX = "otaflow.discovery.topic.prefix";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(MODE, Type.STRING, "akri", ConfigDef.ValidString.in("akri", "standalone"), Importance.HIGH,
                    "akri: serve Akri's DiscoveryHandler and register with the agent; standalone: poll the details file without Akri.")
            .define(NAME, Type.STRING, "otaflow-http", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Handler name, as Configurations give it in spec.discoveryHandler.name.")
            .define(SOCKET_DIRECTORY, Type.STRING, "/var/lib/akri", Importance.MEDIUM,
                    "Akri's discovery handler directory (DISCOVERY_HANDLERS_DIRECTORY): holds agent-registration.sock and this handler's socket.")
            .define(POD_IP, Type.STRING, "", Importance.LOW,
                    "When set (POD_IP), serve on this address and port otaflow.discovery.network.port instead of a Unix socket.")
            .define(NETWORK_PORT, Type.INT, 10000, ConfigDef.Range.between(1, 65535), Importance.LOW,
                    "Port for network mode.")
            .define(NODE, Type.STRING, "", Importance.LOW, "This node's name (AGENT_NODE_NAME), recorded on discovery events.")
            .define(DETAILS_FILE, Type.STRING, "", Importance.MEDIUM,
                    "Standalone mode: a YAML file with discoveryDetails (the same keys as in a Configuration).")
            .define(KAFKA_BOOTSTRAP, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka bootstrap servers for discovery events, reports and dead letters.")
            .define(SCHEMA_REGISTRY, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Confluent-compatible schema registry URL.")
            .define(TOPIC_PREFIX, Type.STRING, "otaflow", Importance.LOW, "Prefix of otaflow's topic names.");

    public DiscoveryHandlerConfig(Map<String, ?> values) {
        super(DEFINITION, values);
    }

    /** Settings from the environment (Akri's own variables too), then the given overrides. */
    public static DiscoveryHandlerConfig fromEnvironment(Map<String, String> env, Map<String, ?> overrides) {
        return new DiscoveryHandlerConfig(EnvironmentSettings.values(DEFINITION, env, Map.of(
                "DISCOVERY_HANDLERS_DIRECTORY", SOCKET_DIRECTORY, "POD_IP", POD_IP, "AGENT_NODE_NAME", NODE), overrides));
    }
}
