package io.otaflow.connectors.mqtt;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kafka Connect source: device state from MQTT (retained JSON on {@code otaflow/devices/{id}/state},
 * the last will {@code offline}) becomes {@code DeviceReport} and {@code DiscoveryEvent} records,
 * bad messages dead letters. Tasks share one MQTT shared subscription. Values are already in the
 * Confluent wire format: configure {@code value.converter=org.apache.kafka.connect.converters.ByteArrayConverter}
 * and {@code key.converter=org.apache.kafka.connect.storage.StringConverter}.
 */
public final class MqttSourceConnector extends SourceConnector {
    private Map<String, String> settings;

    @Override
    public void start(Map<String, String> props) {
        new MqttSourceConfig(props); // fail fast on bad settings
        this.settings = new HashMap<>(props);
    }

    @Override
    public Class<? extends Task> taskClass() {
        return MqttSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            Map<String, String> task = new HashMap<>(settings);
            task.put(MqttSourceConfig.TASK_ID, String.valueOf(i));
            configs.add(task);
        }
        return configs;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return MqttSourceConfig.DEFINITION;
    }

    @Override
    public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> props) {
        return ExactlyOnceSupport.UNSUPPORTED; // MQTT cannot replay from an offset
    }

    @Override
    public String version() {
        String version = getClass().getPackage().getImplementationVersion();
        return version == null ? "0.1.0-SNAPSHOT" : version;
    }
}
