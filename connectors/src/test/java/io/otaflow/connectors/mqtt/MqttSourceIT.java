package io.otaflow.connectors.mqtt;

import io.otaflow.devstack.FreePorts;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The MQTT source connector on a real Kafka Connect worker (in-process, plugins found with
 * {@code plugin.discovery=service_load}), fed by the real {@code mosquitto_pub} client through
 * HiveMQ CE and through Debian's Mosquitto broker: good state, malformed state and the last will
 * end as reports, discovery events and dead letters on Kafka.
 */
@ExtendWith(SharedDevStack.class)
class MqttSourceIT {

    @Test
    void throughHiveMq(DevStack stack, @TempDir Path work) throws Exception {
        URI broker = URI.create(stack.endpoints().mqtt());
        runScenario(stack, work, broker.getPort(), "hivemq");
    }

    @Test
    void throughMosquitto(DevStack stack, @TempDir Path work) throws Exception {
        Path mosquitto = Path.of("/usr/sbin/mosquitto");
        Assumptions.assumeTrue(Files.isExecutable(mosquitto) || System.getenv("CI") != null,
                "Debian's mosquitto is not installed (.ci/run installs it)");
        int port = FreePorts.next();
        Path conf = Files.writeString(work.resolve("mosquitto.conf"), "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
        Process broker = new ProcessBuilder(mosquitto.toString(), "-c", conf.toString()).redirectErrorStream(true)
                .redirectOutput(work.resolve("mosquitto.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                    return true;
                }
            });
            runScenario(stack, work, port, "mosquitto");
        } finally {
            broker.destroy();
            broker.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private void runScenario(DevStack stack, Path work, int mqttPort, String label) throws Exception {
        String run = label + "-" + UUID.randomUUID().toString().substring(0, 6);
        Map<String, String> worker = new HashMap<>();
        worker.put("bootstrap.servers", stack.endpoints().kafka());
        worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        worker.put("value.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        worker.put("offset.storage.file.filename", work.resolve("offsets-" + run).toString());
        worker.put("plugin.discovery", "service_load");
        worker.put("listeners", "http://127.0.0.1:0");
        Connect<StandaloneHerder> connect = new ConnectStandalone().startConnect(worker);
        try {
            Map<String, String> connector = new HashMap<>();
            connector.put("name", "otaflow-mqtt-" + run);
            connector.put("connector.class", MqttSourceConnector.class.getName());
            connector.put("tasks.max", "2");
            connector.put(MqttSourceConfig.SERVER_URI, "tcp://127.0.0.1:" + mqttPort);
            connector.put(MqttSourceConfig.SCHEMA_REGISTRY_URL, stack.endpoints().schemaRegistry());
            connector.put(MqttSourceConfig.SHARED_GROUP, "it-" + run);
            connector.put(MqttSourceConfig.CLIENT_ID_PREFIX, "it-" + run);
            FutureCallback<org.apache.kafka.connect.runtime.Herder.Created<org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo>> created = new FutureCallback<>();
            connect.herder().putConnectorConfig("otaflow-mqtt-" + run, connector, false, created);
            created.get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    connect.herder().connectorStatus("otaflow-mqtt-" + run).tasks().stream().filter(t -> t.state().equals("RUNNING")).count() == 2);

            String good = run + "-good";
            String bad = run + "-bad";
            publish(mqttPort, "otaflow/devices/" + good + "/state",
                    "{\"deviceId\":\"" + good + "\",\"firmwareType\":\"blink\",\"firmwareVersion\":\"1.0.0\",\"locked\":false,\"mode\":\"app\",\"uptimeMs\":5}");
            publish(mqttPort, "otaflow/devices/" + bad + "/state", "{\"deviceId\":\"" + bad + "\", \"firmwareVersion\": ");
            publish(mqttPort, "otaflow/devices/" + bad + "/state",
                    "{\"deviceId\":\"" + bad + "\",\"firmwareType\":\"blink\",\"firmwareVersion\":\"" + "9".repeat(10_000) + "\",\"locked\":false}");
            publish(mqttPort, "otaflow/devices/" + good + "/state", "offline");

            TopicCatalog topics = new TopicCatalog();
            List<DeviceReport> reports = read(stack, topics.deviceReports().name(), DeviceReport.class, r -> r.getDeviceId().equals(good), 1);
            assertThat(reports.get(0).getFirmwareVersion()).isEqualTo("1.0.0");
            List<DiscoveryEvent> events = read(stack, topics.deviceDiscovery().name(), DiscoveryEvent.class, e -> e.getDeviceId().equals(good), 2);
            assertThat(events).extracting(DiscoveryEvent::getPresent).contains(true, false);
            List<DeadLetter> letters = read(stack, topics.deadLetters().name(), DeadLetter.class,
                    d -> d.getOriginalTopic().equals("mqtt:otaflow/devices/" + bad + "/state"), 2);
            assertThat(letters).extracting(DeadLetter::getErrorMessage)
                    .anySatisfy(m -> assertThat(m).contains("not JSON"))
                    .anySatisfy(m -> assertThat(m).contains("firmwareVersion must have 1 to 128 characters"));
            assertThat(connect.herder().connectorStatus("otaflow-mqtt-" + run).tasks()).allSatisfy(t -> assertThat(t.state()).isEqualTo("RUNNING"));
        } finally {
            connect.stop();
            connect.awaitStop();
        }
    }

    /** The real third-party client, as devices and scripts publish. */
    private static void publish(int port, String topic, String payload) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("mosquitto_pub", "-h", "127.0.0.1", "-p", String.valueOf(port), "-V", "mqttv5",
                "-q", "1", "-t", topic, "-s").redirectErrorStream(true).start();
        process.getOutputStream().write(payload.getBytes());
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("mosquitto_pub: %s", output).isZero();
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> List<T> read(DevStack stack, String topic, Class<T> type,
                                                                             java.util.function.Predicate<T> mine, int atLeast) {
        return io.otaflow.devstack.junit.TopicRecords.read(stack, topic, type, mine, atLeast, Duration.ofSeconds(30));
    }
}
