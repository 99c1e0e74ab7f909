package io.otaflow.cli;

import io.otaflow.bridge.jobs.FlashJobs;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.FreePorts;
import io.otaflow.picowota.AppImage;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutPolicy;
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
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code otaflow flash --kafka}, as a flash Job in the Job mode runs: it reads the desired
 * generations as a worker does, so a command of a generation a newer one superseded stops before
 * the device is touched, and every command's terminal event lands on the progress topic; a Job
 * whose terminal event Kafka did not take exits 1 (so Kubernetes runs it again), never 0.
 */
class FlashCommandKafkaIT {
    private static final String CONFIGURATION = "default/blinkers";

    @TempDir
    Path work;

    @Test
    void aJobForASupersededGenerationStopsBeforeTouchingTheDeviceAndTheCurrentOneFlashes() throws Exception {
        String prefix = "job" + UUID.randomUUID().toString().substring(0, 8);
        TopicCatalog topics = new TopicCatalog(prefix, TopicCatalog.DEFAULT_PARTITIONS);
        try (DevStack stack = DevStack.temporary().start(); HttpFrontend frontend = new HttpFrontend(1);
             SimulatedDevice device = device("pico-job", frontend)) {
            SchemaRegistryClient registry = ready(stack, topics, device);
            FirmwareImage image = image("1.1.0");
            publishDesired(stack, registry, topics, image, 2);

            FlashCommand stale = command(device, image, 1);
            Cli.Result refused = flash(stack, prefix, stale);
            assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
            assertThat(refused.output()).contains("SUPERSEDED");
            assertThat(device.resets()).as("never rebooted").isEqualTo(1);
            assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.0.0");

            FlashCommand current = command(device, image, 2);
            Cli.Result flashed = flash(stack, prefix, current);
            assertThat(flashed.exitCode()).as(flashed.output()).isZero();
            assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");

            List<FlashProgress> terminals = terminals(stack, registry, topics, 2);
            assertThat(terminals).filteredOn(p -> p.getCommandId().equals(stale.getCommandId())).singleElement()
                    .satisfies(p -> assertThat(p.getError().getCode()).isEqualTo(FlashErrorCode.SUPERSEDED));
            assertThat(terminals).filteredOn(p -> p.getCommandId().equals(current.getCommandId())).singleElement()
                    .satisfies(p -> assertThat(p.getPhase()).isEqualTo(FlashPhase.SUCCEEDED));
        }
    }

    @Test
    void aJobWhoseTerminalEventKafkaRefusedExitsOneSoTheJobRunsAgain() throws Exception {
        String prefix = "jobrefused" + UUID.randomUUID().toString().substring(0, 8);
        TopicCatalog topics = new TopicCatalog(prefix, TopicCatalog.DEFAULT_PARTITIONS);
        try (DevStack stack = DevStack.temporary().start(); HttpFrontend frontend = new HttpFrontend(1);
             SimulatedDevice device = device("pico-refused", frontend);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka()))) {
            SchemaRegistryClient registry = ready(stack, topics, device);
            FirmwareImage image = image("1.1.0");
            publishDesired(stack, registry, topics, image, 1);
            // The broker refuses every progress record, the terminal one too.
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topics.flashProgress().name()),
                    List.of(new AlterConfigOp(new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "64"), AlterConfigOp.OpType.SET)))).all().get();

            Cli.Result result = flash(stack, prefix, command(device, image, 1));

            assertThat(device.metadata().path("firmwareVersion").asText()).as("the flash itself ran").isEqualTo("1.1.0");
            assertThat(result.exitCode()).as(result.output()).isEqualTo(1);
            assertThat(result.output()).contains("progress not delivered to Kafka");
        }
    }

    private static SimulatedDevice device(String id, HttpFrontend frontend) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        return new SimulatedDevice(DeviceConfig.of(id, new InetSocketAddress(lo, FreePorts.next()), new InetSocketAddress(lo, FreePorts.next())),
                new SectorPool(4096), frontend);
    }

    /** Topics created, the device on its 1.0.0 app; the registry client the test reads and writes with. */
    private static SchemaRegistryClient ready(DevStack stack, TopicCatalog topics, SimulatedDevice device) throws Exception {
        stack.createTopics(topics);
        device.install(AppImage.build("blink", "1.0.0", 64 * 1024), AppImage.DEFAULT_BASE);
        device.powerOn();
        await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);
        return new SchemaRegistryClient(stack.endpoints().schemaRegistry());
    }

    private Cli.Result flash(DevStack stack, String prefix, FlashCommand command) throws Exception {
        Path file = work.resolve("command-" + command.getCommandId() + ".json");
        Files.writeString(file, FlashJobs.avroJson(command)); // as the akri-bridge hands a Job its command
        return Cli.run(Map.of(), "flash", "--command", file.toString(), "--allow-unsigned", "--post-connect-pause-ms", "0",
                "--kafka", stack.endpoints().kafka(), "--schema-registry", stack.endpoints().schemaRegistry(), "--topic-prefix", prefix);
    }

    private static void publishDesired(DevStack stack, SchemaRegistryClient registry, TopicCatalog topics, FirmwareImage image,
                                       long generation) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        try (KafkaProducer<String, DesiredFirmware> producer = new KafkaProducer<>(props, new StringSerializer(),
                new AvroSerializer<>(registry, false))) {
            producer.send(new ProducerRecord<>(topics.firmwareDesired().name(), CONFIGURATION, DesiredFirmware.newBuilder()
                    .setConfiguration(CONFIGURATION).setTarget(new FirmwareRef("blink", "1.1.0")).setImage(image)
                    .setPolicy(RolloutPolicy.newBuilder().build()).setGeneration(generation).setUpdatedAt(Instant.now()).build())).get();
        }
    }

    private static List<FlashProgress> terminals(DevStack stack, SchemaRegistryClient registry, TopicCatalog topics, int expected) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "flash-job-it");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<FlashProgress> terminals = new ArrayList<>();
        try (KafkaConsumer<String, FlashProgress> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new AvroDeserializer<>(registry, FlashProgress.class))) {
            consumer.subscribe(List.of(topics.flashProgress().name()));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value().getTerminal()) {
                        terminals.add(r.value());
                    }
                });
                return terminals.size() >= expected;
            });
            consumer.poll(Duration.ofSeconds(1)).forEach(r -> {
                if (r.value().getTerminal()) {
                    terminals.add(r.value()); // a second terminal event would fail the single-element checks
                }
            });
        }
        return terminals;
    }

    private FirmwareImage image(String version) throws Exception {
        byte[] bytes = AppImage.build("blink", version, 64 * 1024);
        Path file = Files.write(work.resolve("blink-" + version + ".bin"), bytes);
        return FirmwareImage.newBuilder().setUri(file.toUri().toString())
                .setSha256(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).setSize(bytes.length).build();
    }

    private static FlashCommand command(SimulatedDevice device, FirmwareImage image, long generation) {
        return FlashCommand.newBuilder().setCommandId(UUID.randomUUID().toString()).setDeviceId(device.id())
                .setEndpoint(device.config().httpUrl()).setOtaEndpoint(device.config().otaEndpoint()).setConfiguration(CONFIGURATION)
                .setGeneration(generation).setTo(new FirmwareRef("blink", "1.1.0")).setImage(image).setAttempt(1)
                .setDeadline(Instant.now().plusSeconds(60)).setIssuedAt(Instant.now()).build();
    }
}
