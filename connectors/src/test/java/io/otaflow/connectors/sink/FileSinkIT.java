package io.otaflow.connectors.sink;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.connect.cli.ConnectStandalone;
import org.apache.kafka.connect.file.FileStreamSinkConnector;
import org.apache.kafka.connect.runtime.Connect;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.util.FutureCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worked example of docs/consuming-topics.md, run: a Kafka Connect worker (standalone, real
 * runtime) sinks otaflow's device-state table into a file with Apache Kafka's FileStreamSink,
 * reading the Avro records through {@link OtaflowAvroConverter} and the schema registry.
 */
@ExtendWith(SharedDevStack.class)
class FileSinkIT {
    @Test
    void aConnectSinkReadsOtaflowRecordsAsStructs(DevStack stack, @TempDir Path work) throws Exception {
        String run = "sink-" + UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, 1);
        stack.createTopics(topics);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        try (KafkaProducer<String, DeviceState> producer = new KafkaProducer<>(props, new StringSerializer(),
                new AvroSerializer<>(new SchemaRegistryClient(stack.endpoints().schemaRegistry()), false))) {
            for (int i = 1; i <= 3; i++) {
                producer.send(new ProducerRecord<>(topics.deviceState().name(), "pico-" + i, DeviceState.newBuilder()
                        .setDeviceId("pico-" + i).setOnline(true).setMode(DeviceMode.APP).setConfiguration("default/picow-blink")
                        .setFirmware(new FirmwareRef("blink", "1.1.0")).setLastSeen(Instant.parse("2026-11-28T10:00:00Z"))
                        .setEligibility(EligibilityClass.UP_TO_DATE).build())).get();
            }
            producer.send(new ProducerRecord<>(topics.deviceState().name(), "pico-2", null)).get(); // a tombstone
        }

        Path file = work.resolve("device-state.txt");
        Map<String, String> worker = new HashMap<>();
        worker.put("bootstrap.servers", stack.endpoints().kafka());
        worker.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        worker.put("value.converter", OtaflowAvroConverter.class.getName());
        worker.put("value.converter." + OtaflowAvroConverter.REGISTRY_URL, stack.endpoints().schemaRegistry());
        worker.put("offset.storage.file.filename", work.resolve("offsets").toString());
        worker.put("plugin.discovery", "service_load");
        worker.put("listeners", "http://127.0.0.1:0");
        worker.put("consumer.auto.offset.reset", "earliest");
        Connect<StandaloneHerder> connect = new ConnectStandalone().startConnect(worker);
        try {
            Map<String, String> connector = new HashMap<>();
            connector.put("name", "device-state-file-" + run);
            connector.put("connector.class", FileStreamSinkConnector.class.getName());
            connector.put("tasks.max", "1");
            connector.put("topics", topics.deviceState().name());
            connector.put("file", file.toString());
            FutureCallback<org.apache.kafka.connect.runtime.Herder.Created<org.apache.kafka.connect.runtime.rest.entities.ConnectorInfo>> created = new FutureCallback<>();
            connect.herder().putConnectorConfig(connector.get("name"), connector, false, created);
            created.get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(file) && Files.readAllLines(file).size() >= 4);
            List<String> lines = Files.readAllLines(file);
            assertThat(lines.get(0)).startsWith("Struct{deviceId=pico-1,online=true,mode=APP,")
                    .contains("configuration=default/picow-blink").contains("firmware=Struct{firmwareType=blink,firmwareVersion=1.1.0}")
                    .contains("eligibility=UP_TO_DATE");
            assertThat(lines.get(3)).isEqualTo("null"); // the tombstone reaches the sink as a null value
        } finally {
            connect.stop();
        }
    }
}
