package io.otaflow.topology;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
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
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Exactly-once on a real broker: the topology runs in its own JVM, is killed (SIGKILL) in the
 * middle of a rollout, and restarted on a fresh state directory (so it restores from its
 * changelogs). A fake worker answers every command with success. Reading the committed
 * commands afterwards, no device ever got two commands for one generation and attempt, and
 * the rollout completed.
 */
@ExtendWith(SharedDevStack.class)
class ExactlyOnceIT {
    private static final int DEVICES = 200;
    private static final String CONFIG = "default/eos";

    private static Process topology(DevStack stack, TopicCatalog topics, String applicationId, Path stateDir) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), TopologyMain.class.getName(),
                TopologyConfig.KAFKA_BOOTSTRAP + "=" + stack.endpoints().kafka(),
                TopologyConfig.SCHEMA_REGISTRY + "=" + stack.endpoints().schemaRegistry(),
                TopologyConfig.TOPIC_PREFIX + "=" + topics.prefix(),
                TopologyConfig.APPLICATION_ID + "=" + applicationId,
                TopologyConfig.STATE_DIR + "=" + stateDir,
                TopologyConfig.GATE_INTERVAL_MS + "=200",
                // The killed member never leaves the group: let the broker notice within seconds.
                TopologyConfig.STREAMS_PREFIX + "session.timeout.ms=6000",
                TopologyConfig.STREAMS_PREFIX + "heartbeat.interval.ms=1000")
                .redirectErrorStream(true).redirectOutput(stateDir.resolveSibling(stateDir.getFileName() + ".log").toFile()).start();
    }

    @Test
    void aKilledTopologyNeverIssuesACommandTwice(DevStack stack, @TempDir Path work) throws Exception {
        String run = "eos" + UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, 3);
        stack.createTopics(topics);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        @SuppressWarnings({"unchecked", "rawtypes"})
        KafkaProducer<String, GenericContainer> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                (AvroSerializer) new AvroSerializer<>(registry, false));
        Instant now = Instant.now();
        for (int i = 0; i < DEVICES; i++) {
            String id = String.format("eos-%03d", i);
            producer.send(new ProducerRecord<>(topics.deviceDiscovery().name(), id, DiscoveryEvent.newBuilder().setDeviceId(id)
                    .setEndpoint("http://" + id).setConfiguration(CONFIG).setSource(Source.HTTP_SCAN).setPresent(true)
                    .setMode(DeviceMode.APP).setObservedAt(now).build()));
            producer.send(new ProducerRecord<>(topics.deviceReports().name(), id, DeviceReport.newBuilder().setDeviceId(id)
                    .setFirmwareType("blink").setFirmwareVersion("1.0.0").setLocked(false).setMode(DeviceMode.APP)
                    .setObservedAt(now).setSource(Source.HTTP_SCAN).build()));
        }
        producer.send(new ProducerRecord<>(topics.firmwareDesired().name(), CONFIG, DesiredFirmware.newBuilder().setConfiguration(CONFIG)
                .setTarget(new FirmwareRef("blink", "1.1.0"))
                .setImage(FirmwareImage.newBuilder().setUri("file:///blink-1.1.0.bin").setSha256("00".repeat(32)).setSize(4096).build())
                .setPolicy(RolloutPolicy.newBuilder().setMaxInFlight(20).build()).setGeneration(1).setUpdatedAt(now).build()));
        producer.flush();

        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "eos-worker-" + run);
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<FlashCommand> commands = new ArrayList<>();
        Process first = topology(stack, topics, run, work.resolve("state-1"));
        Process second = null;
        try (KafkaConsumer<String, FlashCommand> worker = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new AvroDeserializer<>(registry, FlashCommand.class))) {
            worker.subscribe(List.of(topics.flashCommands().name()));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            Set<String> answered = new HashSet<>();
            while (answered.size() < DEVICES && System.nanoTime() < deadline) {
                for (var record : worker.poll(Duration.ofMillis(200))) {
                    FlashCommand command = record.value();
                    commands.add(command);
                    answered.add(command.getDeviceId());
                    Instant at = Instant.now();
                    producer.send(new ProducerRecord<>(topics.flashProgress().name(), command.getDeviceId(), FlashProgress.newBuilder()
                            .setCommandId(command.getCommandId()).setDeviceId(command.getDeviceId()).setConfiguration(CONFIG)
                            .setGeneration(command.getGeneration()).setAttempt(command.getAttempt()).setTarget(command.getTo())
                            .setObservedFirmware(command.getTo()).setPhase(FlashPhase.SUCCEEDED).setTerminal(true)
                            .setWorker("it").setAt(at).build()));
                }
                producer.flush();
                if (second == null && answered.size() >= DEVICES / 3) {
                    first.destroyForcibly(); // SIGKILL mid-rollout: no clean shutdown, no final commit
                    first.waitFor(30, TimeUnit.SECONDS);
                    second = topology(stack, topics, run, work.resolve("state-2"));
                }
            }
            assertThat(second).as("the topology was killed and restarted mid-rollout").isNotNull();
            assertThat(answered).as("every device got its command").hasSize(DEVICES);
            // Let the restarted instance run a while longer: it must not issue anything again.
            long quietUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (System.nanoTime() < quietUntil) {
                worker.poll(Duration.ofMillis(200)).forEach(r -> commands.add(r.value()));
            }
        } finally {
            first.destroyForcibly();
            if (second != null) {
                second.destroy();
                second.waitFor(30, TimeUnit.SECONDS);
            }
            producer.close();
        }
        Set<String> unique = new HashSet<>();
        for (FlashCommand command : commands) {
            assertThat(unique.add(command.getDeviceId() + "/" + command.getGeneration() + "/" + command.getAttempt()))
                    .as("a second command for %s generation %d attempt %d", command.getDeviceId(), command.getGeneration(), command.getAttempt())
                    .isTrue();
        }
        assertThat(unique).hasSize(DEVICES);

        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "eos-status-" + run);
        try (KafkaConsumer<String, RolloutStatus> statuses = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new AvroDeserializer<>(registry, RolloutStatus.class))) {
            statuses.subscribe(List.of(topics.rolloutStatus().name()));
            List<RolloutStatus> seen = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                statuses.poll(Duration.ofMillis(200)).forEach(r -> seen.add(r.value()));
                return !seen.isEmpty() && seen.get(seen.size() - 1).getState() == RolloutState.COMPLETED;
            });
            assertThat(seen.get(seen.size() - 1).getCounts().getUpToDate()).isEqualTo(DEVICES);
        }
    }
}
