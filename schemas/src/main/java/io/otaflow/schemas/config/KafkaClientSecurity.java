package io.otaflow.schemas.config;

import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How every otaflow service reaches a secured Kafka (TLS, SASL: MSK, Confluent Cloud, a Strimzi
 * listener with authentication): Kafka's own client settings of the {@code security.},
 * {@code sasl.} and {@code ssl.} families, from environment variables named
 * {@code OTAFLOW_KAFKA_} plus the setting in upper case with dots as underscores
 * ({@code OTAFLOW_KAFKA_SASL_JAAS_CONFIG} is {@code sasl.jaas.config}). In Kubernetes they come
 * from a Secret. Every Kafka client of a service gets them; a misspelt name is refused at start.
 */
public final class KafkaClientSecurity {
    public static final String PREFIX = "OTAFLOW_KAFKA_";
    private static final Set<String> FAMILIES = Set.of("security.", "sasl.", "ssl.");
    private static final Map<String, String> BY_VARIABLE = new TreeMap<>();

    static {
        for (String name : ProducerConfig.configNames()) {
            if (FAMILIES.stream().anyMatch(name::startsWith)) {
                BY_VARIABLE.put(PREFIX + name.toUpperCase(Locale.ROOT).replace('.', '_'), name);
            }
        }
    }

    private static volatile Map<String, Object> fromEnvironment;

    private KafkaClientSecurity() {
    }

    /** The variables this reads, for docs and for checking manifests. */
    public static Set<String> variables() {
        return new TreeSet<>(BY_VARIABLE.keySet());
    }

    /** The client settings the given environment names; throws for a variable of these families that names no setting. */
    public static Map<String, Object> from(Map<String, String> env) {
        Map<String, Object> settings = new TreeMap<>();
        env.forEach((variable, value) -> {
            if (!variable.startsWith(PREFIX)) {
                return;
            }
            String rest = variable.substring(PREFIX.length());
            boolean family = rest.startsWith("SECURITY_") || rest.startsWith("SASL_") || rest.startsWith("SSL_");
            if (!family) {
                return; // OTAFLOW_KAFKA_BOOTSTRAP and the like are someone else's
            }
            String setting = BY_VARIABLE.get(variable);
            if (setting == null) {
                throw new IllegalArgumentException(variable + " names no Kafka client setting; the security settings are "
                        + String.join(", ", BY_VARIABLE.keySet()));
            }
            settings.put(setting, value);
        });
        return settings;
    }

    /** {@link #from} of this process's environment, read once. */
    public static Map<String, Object> fromEnvironment() {
        Map<String, Object> settings = fromEnvironment;
        if (settings == null) {
            settings = Map.copyOf(from(System.getenv()));
            fromEnvironment = settings;
        }
        return settings;
    }
}
