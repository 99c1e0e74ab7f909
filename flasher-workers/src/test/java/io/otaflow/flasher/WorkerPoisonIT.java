package io.otaflow.flasher;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.FreePorts;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.picowota.AppImage;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.simulators.device.DeviceConfig;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.flash.SectorPool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

/**
 * Bad input on the command topic through the real worker: an unreadable record and a command with
 * a malformed OTA endpoint each end (a dead letter; a terminal FAILED INVALID_COMMAND and a dead
 * letter), and the command behind them on the same partition runs and commits.
 */
@ExtendWith(SharedDevStack.class)
class WorkerPoisonIT {
    @Test
    void poisonOnAPartitionEndsCleanlyAndTheNextCommandRuns(DevStack stack, @TempDir Path work) throws Exception {
        String run = "fp" + UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, 1);
        stack.createTopics(topics);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (HttpFrontend frontend = new HttpFrontend(1)) {
            SimulatedDevice device = new SimulatedDevice(DeviceConfig.of("pico-after-poison", new InetSocketAddress(lo, FreePorts.next()),
                    new InetSocketAddress(lo, FreePorts.next())), new SectorPool(4096), frontend);
            device.install(AppImage.build("blink", "1.0.0", 64 * 1024), AppImage.DEFAULT_BASE);
            device.powerOn();
            await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);
            byte[] bytes = AppImage.build("blink", "1.1.0", 64 * 1024);
            Path file = Files.write(work.resolve("blink-1.1.0.bin"), bytes);
            FlashCommand good = FlashCommand.newBuilder().setCommandId("good-" + run).setDeviceId(device.id())
                    .setEndpoint(device.config().httpUrl()).setOtaEndpoint(device.config().otaEndpoint()).setConfiguration("default/poison")
                    .setGeneration(1).setTo(new FirmwareRef("blink", "1.1.0"))
                    .setImage(FirmwareImage.newBuilder().setUri(file.toUri().toString()).setSha256(ArtifactStore.sha256(bytes))
                            .setSize(bytes.length).build())
                    .setDeadline(Instant.now().plusSeconds(120)).setIssuedAt(Instant.now()).build();
            FlashCommand malformed = FlashCommand.newBuilder(good).setCommandId("malformed-" + run).setDeviceId("pico-nowhere")
                    .setOtaEndpoint("127.0.0.1:not-a-port").build();

            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
                AvroSerializer<FlashCommand> serializer = new AvroSerializer<>(registry, false);
                String topic = topics.flashCommands().name();
                producer.send(new ProducerRecord<>(topic, "garbage", "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8))).get();
                producer.send(new ProducerRecord<>(topic, malformed.getDeviceId(), serializer.serialize(topic, malformed))).get();
                producer.send(new ProducerRecord<>(topic, good.getDeviceId(), serializer.serialize(topic, good))).get();
            }

            FlasherWorker worker = FlasherWorkerMain.start(Map.of(FlasherWorkerConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka(),
                    FlasherWorkerConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(), FlasherWorkerConfig.TOPIC_PREFIX, run,
                    FlasherWorkerConfig.GROUP_ID, run, FlasherWorkerConfig.ALLOW_UNSIGNED, "true", FlasherWorkerConfig.POST_CONNECT_PAUSE_MS, "0",
                    FlasherWorkerConfig.CACHE_DIR, work.resolve("cache").toString(), FlasherWorkerConfig.WORKER_ID, "worker-poison"));
            List<FlashProgress> progress = new ArrayList<>();
            List<DeadLetter> letters = new ArrayList<>();
            try (KafkaConsumer<String, FlashProgress> observer = consumer(stack, run + "-progress", new AvroDeserializer<>(registry, FlashProgress.class));
                 KafkaConsumer<String, DeadLetter> dlq = consumer(stack, run + "-dlq", new AvroDeserializer<>(registry, DeadLetter.class))) {
                observer.subscribe(List.of(topics.flashProgress().name()));
                dlq.subscribe(List.of(topics.deadLetters().name()));
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    observer.poll(Duration.ofMillis(100)).forEach(r -> progress.add(r.value()));
                    dlq.poll(Duration.ofMillis(100)).forEach(r -> letters.add(r.value()));
                    return letters.size() >= 2 && progress.stream().filter(FlashProgress::getTerminal).count() >= 2;
                });
                assertThat(worker.polling()).as("the worker is still taking commands").isTrue();
            } finally {
                worker.close();
            }
            List<FlashProgress> terminal = progress.stream().filter(FlashProgress::getTerminal).toList();
            assertThat(terminal).filteredOn(t -> t.getCommandId().equals(malformed.getCommandId())).singleElement().satisfies(t -> {
                assertThat(t.getPhase()).isEqualTo(FlashPhase.FAILED);
                assertThat(t.getError().getCode()).isEqualTo(FlashErrorCode.INVALID_COMMAND);
                assertThat(t.getError().getMessage()).contains("not-a-port");
                assertThat(t.getError().getRetryable()).isFalse();
            });
            assertThat(terminal).filteredOn(t -> t.getCommandId().equals(good.getCommandId())).singleElement()
                    .satisfies(t -> assertThat(t.getPhase()).isEqualTo(FlashPhase.SUCCEEDED));
            assertThat(letters).extracting(DeadLetter::getOffset).as("commands run side by side: any order").containsExactlyInAnyOrder(0L, 1L);
            assertThat(letters).allSatisfy(l -> {
                assertThat(l.getComponent()).isEqualTo("flasher-workers");
                assertThat(l.getOriginalTopic()).isEqualTo(topics.flashCommands().name());
            });
            assertThat(letters).filteredOn(l -> l.getOffset() == 0L).singleElement().satisfies(l -> assertThat(
                    new String(l.getOriginalValue().array(), StandardCharsets.UTF_8)).as("kept byte for byte").isEqualTo("{\"not\":\"avro\"}"));
            assertThat(letters).filteredOn(l -> l.getOffset() == 1L).singleElement()
                    .satisfies(l -> assertThat(l.getErrorMessage()).contains("not-a-port"));
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka()))) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(run).partitionsToOffsetAndMetadata().get();
                assertThat(committed.get(new TopicPartition(topics.flashCommands().name(), 0)).offset())
                        .as("committed past all three").isEqualTo(3L);
            }
            assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");
            device.close();
        }
    }

    private static <V> KafkaConsumer<String, V> consumer(DevStack stack, String group, org.apache.kafka.common.serialization.Deserializer<V> values) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props, new StringDeserializer(), values);
    }
}
