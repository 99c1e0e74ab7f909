package io.otaflow.devstack;

import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.serde.SerdeConfig;
import io.otaflow.schemas.serde.WireFormatException;
import io.otaflow.schemas.topics.TopicAdmin;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Avro records through the real broker and registry, and the catalog's topics on a real cluster. */
@ExtendWith(SharedDevStack.class)
class KafkaAvroIT {

    private static DeviceReport report(String id, String version) {
        return DeviceReport.newBuilder().setDeviceId(id).setFirmwareType("blink").setFirmwareVersion(version)
                .setLocked(false).setMode(DeviceMode.APP).setObservedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setSource(Source.HTTP_SCAN).build();
    }

    private static Properties consumerProps(DevStack stack) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "it-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(SerdeConfig.SCHEMA_REGISTRY_URL, stack.endpoints().schemaRegistry());
        props.put(SerdeConfig.VALUE_TYPE, DeviceReport.class.getName());
        return props;
    }

    @Test
    void recordsGoThroughKafkaAndTheRegistryConfiguredByProperties(DevStack stack) {
        String topic = new TopicCatalog().deviceReports().name();
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        producerProps.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerProps.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroSerializer.class.getName());
        producerProps.put(SerdeConfig.SCHEMA_REGISTRY_URL, stack.endpoints().schemaRegistry());
        List<DeviceReport> sent = List.of(report("pico-a", "1.0.0"), report("pico-b", "1.1.0"), report("pico-c", "2.0.0-rc.1"));
        try (KafkaProducer<String, DeviceReport> producer = new KafkaProducer<>(producerProps)) {
            for (DeviceReport r : sent) {
                producer.send(new ProducerRecord<>(topic, r.getDeviceId(), r));
            }
            producer.flush();
        }

        Properties props = consumerProps(stack);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, AvroDeserializer.class.getName());
        List<DeviceReport> received = new ArrayList<>();
        try (KafkaConsumer<String, DeviceReport> consumer = new KafkaConsumer<>(props)) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (sent.stream().anyMatch(s -> s.getDeviceId().equals(r.key()))) {
                        received.add(r.value());
                    }
                });
                return received.size() >= sent.size();
            });
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(sent);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        assertThat(registry.subjects()).contains(topic + "-value");
        assertThat(registry.latest(topic + "-value").schema()).isEqualTo(DeviceReport.getClassSchema());
    }

    @Test
    void aBadRecordIsAnErrorNamingTopicPartitionAndOffsetAndTheGoodOnesAfterItStillArrive(DevStack stack) throws Exception {
        String topic = "it.bad-records." + UUID.randomUUID();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        byte[] good = new AvroSerializer<DeviceReport>(registry, false).serialize(topic, report("pico-z", "3.0.0"));
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topic, "json", "{\"deviceId\":\"x\"}".getBytes())).get();
            producer.send(new ProducerRecord<>(topic, "good", good)).get();
        }

        try (KafkaConsumer<String, DeviceReport> consumer = new KafkaConsumer<>(consumerProps(stack), new StringDeserializer(),
                new AvroDeserializer<>(registry, DeviceReport.class))) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            RecordDeserializationException error = await().atMost(Duration.ofSeconds(30)).ignoreExceptionsMatching(e -> false)
                    .until(() -> {
                        try {
                            consumer.poll(Duration.ofMillis(200));
                            return null;
                        } catch (RecordDeserializationException e) {
                            return e;
                        }
                    }, e -> e != null);
            assertThat(error.topicPartition()).isEqualTo(partition);
            assertThat(error.offset()).isZero();
            assertThat(error.getMessage()).contains(topic + "-0").contains("offset 0");
            assertThat(error.getCause()).isInstanceOf(WireFormatException.class).hasMessageContaining(topic)
                    .hasMessageContaining("magic byte");

            // The consumer skips the bad record and the good one after it arrives.
            consumer.seek(partition, error.offset() + 1);
            List<ConsumerRecord<String, DeviceReport>> after = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(after::add);
                return !after.isEmpty();
            });
            assertThat(after.get(0).value().getFirmwareVersion()).isEqualTo("3.0.0");
        }
    }

    @Test
    void creatingTheCatalogAgainChangesNothingAndRepairsDrift(DevStack stack) throws Exception {
        TopicCatalog catalog = new TopicCatalog("it-drift-" + UUID.randomUUID().toString().substring(0, 8), 3);
        TopicAdmin.Result first = stack.createTopics(catalog);
        assertThat(first.created()).hasSize(catalog.all().size());
        TopicAdmin.Result again = stack.createTopics(catalog);
        assertThat(again.created()).isEmpty();
        assertThat(again.unchanged()).hasSize(catalog.all().size());

        String commands = catalog.flashCommands().name();
        String desired = catalog.firmwareDesired().name();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka()))) {
            admin.deleteTopics(List.of(commands)).all().get();
            await().atMost(Duration.ofSeconds(30)).until(() -> !admin.listTopics().names().get().contains(commands));
            admin.createTopics(List.of(new NewTopic(commands, 1, (short) 1))).all().get();
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, desired), List.of(
                    new org.apache.kafka.clients.admin.AlterConfigOp(new org.apache.kafka.clients.admin.ConfigEntry("cleanup.policy", "delete"),
                            org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)))).all().get();

            TopicAdmin.Result repaired = stack.createTopics(catalog);
            assertThat(repaired.repartitioned()).containsExactly(commands);
            assertThat(repaired.reconfigured()).contains(desired);
            assertThat(admin.describeTopics(List.of(commands)).allTopicNames().get().get(commands).partitions()).hasSize(3);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, desired);
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource).get("cleanup.policy").value())
                    .isEqualTo("compact");
            // Never fewer partitions than a topic already has: that would move keys.
            admin.createPartitions(Map.of(desired, NewPartitions.increaseTo(5))).all().get();
            stack.createTopics(catalog);
            assertThat(admin.describeTopics(List.of(desired)).allTopicNames().get().get(desired).partitions()).hasSize(5);
        }
    }

    @Test
    void aRegistryThatCannotBeReachedIsAClearSerializationError(DevStack stack) {
        AvroSerializer<DeviceReport> serializer = new AvroSerializer<>(new SchemaRegistryClient("http://127.0.0.1:1"), false);
        assertThatThrownBy(() -> serializer.serialize("t", report("p", "1")))
                .hasMessageContaining("unreachable").hasMessageContaining("t-value");
    }
}
