package io.otaflow.cli;

import io.otaflow.devstack.DevStack;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code otaflow rollout pause|resume} on desired firmware published straight to the topic, from
 * the packaged jar: each republishes the record, same generation; a resume always stamps
 * {@code resumedAt}, so it lifts a pause the gate took by itself even when no flag changes.
 */
class RolloutCommandIT {
    private static final String KEY = "default/picow-blink";

    @Test
    void pauseAndResumeRepublishTheRecordAndAResumeAlwaysChangesIt(@TempDir Path work) throws Exception {
        TopicCatalog topics = new TopicCatalog();
        try (DevStack stack = DevStack.temporary().start()) {
            stack.createTopics(topics);
            Path platform = work.resolve("platform.json");
            stack.endpoints().writeJson(platform);
            Path image = work.resolve("blink-1.1.0.bin");
            ok("firmware", "build", "--type", "blink", "--version", "1.1.0", "--size", "16KiB", "-o", image.toString());
            ok("firmware", "publish", "--config", KEY, "--type", "blink", "--version", "1.1.0", "--image", image.toString(),
                    "--platform", platform.toString());

            ok("rollout", "resume", KEY, "--platform", platform.toString()); // nothing paused: still a new record
            ok("rollout", "pause", KEY, "--platform", platform.toString());
            ok("rollout", "resume", KEY, "--platform", platform.toString());

            List<DesiredFirmware> history = history(stack, topics.firmwareDesired().name(), 4);
            assertThat(history).hasSize(4);
            assertThat(history).extracting(DesiredFirmware::getGeneration).containsOnly(history.get(0).getGeneration());
            assertThat(history.get(0).getPolicy().getResumedAt()).isNull();
            assertThat(history.get(1).getPolicy().getResumedAt()).as("a resume with no flag to flip").isNotNull();
            assertThat(history.get(1).getPolicy().getPaused()).isFalse();
            assertThat(history.get(2).getPolicy().getPaused()).isTrue();
            assertThat(history.get(2).getPolicy().getResumedAt()).as("a pause keeps the last resume").isEqualTo(history.get(1).getPolicy().getResumedAt());
            assertThat(history.get(3).getPolicy().getPaused()).isFalse();
            assertThat(history.get(3).getPolicy().getResumedAt()).isGreaterThan(history.get(1).getPolicy().getResumedAt());
            assertThat(history.get(3).getUpdatedAt()).isAfter(history.get(2).getUpdatedAt());
        }
    }

    private static void ok(String... args) throws Exception {
        Cli.Result result = Cli.run(args);
        assertThat(result.exitCode()).as("otaflow %s: %s", List.of(args), result.output()).isZero();
    }

    /** Every record of the key on the topic, oldest first. */
    private static List<DesiredFirmware> history(DevStack stack, String topic, int expected) {
        List<DesiredFirmware> history = new ArrayList<>();
        AvroDeserializer<DesiredFirmware> values = new AvroDeserializer<>(new SchemaRegistryClient(stack.endpoints().schemaRegistry()),
                DesiredFirmware.class);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (history.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (KEY.equals(record.key())) {
                        history.add(values.deserialize(topic, record.value()));
                    }
                }
            }
        }
        return history;
    }
}
