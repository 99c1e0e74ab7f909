package io.otaflow.topology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The topology application on the embedded platform: interactive queries over HTTP, and dead letters for unreadable records. */
@ExtendWith(SharedDevStack.class)
class TopologyAppIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void answersQueriesAndDeadLettersUnreadableRecords(DevStack stack, @TempDir Path state) throws Exception {
        String run = "iq" + UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, 2);
        stack.createTopics(topics);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        Instant now = Instant.now();
        try (TopologyApp app = new TopologyApp(new TopologyConfig(Map.of(
                TopologyConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka(),
                TopologyConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(),
                TopologyConfig.TOPIC_PREFIX, run,
                TopologyConfig.APPLICATION_ID, run,
                TopologyConfig.STATE_DIR, state.toString(),
                TopologyConfig.GATE_INTERVAL_MS, "200"))).start();
             @SuppressWarnings({"unchecked", "rawtypes"})
             KafkaProducer<String, GenericContainer> producer = new KafkaProducer<>(props, new StringSerializer(),
                     (AvroSerializer) new AvroSerializer<>(registry, false));
             KafkaProducer<String, byte[]> raw = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
            for (String id : List.of("iq-1", "iq-2", "iq-3")) {
                producer.send(new ProducerRecord<>(topics.deviceDiscovery().name(), id, DiscoveryEvent.newBuilder().setDeviceId(id)
                        .setEndpoint("http://" + id).setConfiguration("default/iq").setSource(Source.HTTP_SCAN).setPresent(true)
                        .setMode(DeviceMode.APP).setObservedAt(now).build()));
                producer.send(new ProducerRecord<>(topics.deviceReports().name(), id, DeviceReport.newBuilder().setDeviceId(id)
                        .setFirmwareType("blink").setFirmwareVersion(id.equals("iq-3") ? "1.1.0" : "1.0.0").setLocked(id.equals("iq-2"))
                        .setMode(DeviceMode.APP).setObservedAt(now).setSource(Source.HTTP_SCAN).build()));
            }
            raw.send(new ProducerRecord<>(topics.deviceReports().name(), "iq-bad", "<html>not avro</html>".getBytes())).get();
            producer.send(new ProducerRecord<>(topics.firmwareDesired().name(), "default/iq", DesiredFirmware.newBuilder()
                    .setConfiguration("default/iq").setTarget(new FirmwareRef("blink", "1.1.0"))
                    .setImage(FirmwareImage.newBuilder().setUri("file:///b.bin").setSha256("00".repeat(32)).setSize(4096).build())
                    .setPolicy(RolloutPolicy.newBuilder().setMaxInFlight(0).build()).setGeneration(1).setUpdatedAt(now).build())).get();

            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
            String base = "http://127.0.0.1:" + app.queryPort();
            JsonNode rollout = await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/rollouts/default/iq")).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
            }, n -> n != null && n.path("counts").path("total").asInt() == 3 // and every report read (total counts unreported devices too)
                    && n.path("counts").path("upToDate").asInt() + n.path("counts").path("locked").asInt() + n.path("counts").path("eligible").asInt() == 3);
            assertThat(rollout.path("counts").path("upToDate").asInt()).isEqualTo(1);
            assertThat(rollout.path("counts").path("locked").asInt()).isEqualTo(1);
            assertThat(rollout.path("counts").path("eligible").asInt()).isEqualTo(1);

            // The device view comes from the foreign-key join, a path apart from the gate's: it may trail it.
            JsonNode device = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> JSON.readTree(http.send(
                    HttpRequest.newBuilder(URI.create(base + "/devices/iq-2")).build(), HttpResponse.BodyHandlers.ofString()).body()),
                    n -> n.path("eligibility").asText().equals("LOCKED"));
            assertThat(device.path("firmware").path("firmwareVersion").asText()).isEqualTo("1.0.0");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/devices/nobody")).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(404);
            JsonNode versions = await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> JSON.readTree(http.send(
                    HttpRequest.newBuilder(URI.create(base + "/fleet/versions")).build(), HttpResponse.BodyHandlers.ofString()).body()),
                    n -> n.path("default/iq").path("blink").path("1.0.0").asInt() == 2);
            assertThat(versions.path("default/iq").path("blink").path("1.0.0").asInt()).isEqualTo(2);
            assertThat(versions.path("default/iq").path("blink").path("1.1.0").asInt()).isEqualTo(1);
        }

        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "dlq-" + run);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, DeadLetter> dlq = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new AvroDeserializer<>(registry, DeadLetter.class))) {
            dlq.subscribe(List.of(topics.deadLetters().name()));
            List<DeadLetter> letters = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                dlq.poll(Duration.ofMillis(200)).forEach(r -> letters.add(r.value()));
                return !letters.isEmpty();
            });
            assertThat(letters.get(0).getOriginalTopic()).isEqualTo(topics.deviceReports().name());
            assertThat(letters.get(0).getComponent()).isEqualTo("topology");
            assertThat(new String(letters.get(0).getOriginalValue().array())).contains("not avro");
        }
    }
}
