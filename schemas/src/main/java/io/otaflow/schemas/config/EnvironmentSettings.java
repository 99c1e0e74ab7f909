package io.otaflow.schemas.config;

import org.apache.kafka.common.config.ConfigDef;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Settings from the environment for a deployable's {@link ConfigDef}: each key's variable is the
 * key in upper case with dots as underscores ({@code otaflow.bridge.kafka.bootstrap} is
 * {@code OTAFLOW_BRIDGE_KAFKA_BOOTSTRAP}), so the key doubles as the variable, as in Strimzi's
 * operators. Platform variables (Akri's, the downward API's) can stand in for a key when its own
 * variable is not set; explicit overrides win over both.
 */
public final class EnvironmentSettings {
    private EnvironmentSettings() {
    }

    /**
     * @param aliases platform variable to the key it sets when the key's own variable is absent
     */
    public static Map<String, Object> values(ConfigDef definition, Map<String, String> env, Map<String, String> aliases,
                                             Map<String, ?> overrides) {
        Map<String, Object> values = new HashMap<>();
        for (String key : definition.names()) {
            String variable = key.toUpperCase(Locale.ROOT).replace('.', '_');
            if (env.containsKey(variable)) {
                values.put(key, env.get(variable));
            }
        }
        aliases.forEach((variable, key) -> {
            if (env.containsKey(variable)) {
                values.putIfAbsent(key, env.get(variable));
            }
        });
        values.putAll(overrides);
        return values;
    }
}
