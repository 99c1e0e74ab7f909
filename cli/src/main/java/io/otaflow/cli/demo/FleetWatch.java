package io.otaflow.cli.demo;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.fold.FlashSummaries;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.WireFormatException;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What the demo shows and judges, read from otaflow's own topics as any consumer would: device
 * state, rollout status, every flash command (to find duplicates) and every terminal progress
 * event (for flash durations, and how soon a device whose new firmware never boots is judged).
 */
final class FleetWatch implements AutoCloseable {
    /** A finished flash: how long from command to terminal event. */
    record Finished(String deviceId, String commandId, FlashProgress terminal, Duration took) {
    }

    final Map<String, DeviceState> devices = new ConcurrentHashMap<>();
    final Map<String, RolloutStatus> rollouts = new ConcurrentHashMap<>();
    final List<FlashCommand> commands = new CopyOnWriteArrayList<>();
    final Map<String, FlashProgress> latestProgress = new ConcurrentHashMap<>();
    final List<Finished> finished = new CopyOnWriteArrayList<>();
    /** Per BOOT_FAILED flash: from the worker's boot request (GOGO, phase BOOTING) to its verdict. */
    final List<Duration> noBootVerdicts = new CopyOnWriteArrayList<>();
    private final Map<String, Instant> bootRequested = new ConcurrentHashMap<>();
    private final Map<String, Instant> issued = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicCatalog topics;
    private final AvroDeserializer<DeviceState> states;
    private final AvroDeserializer<RolloutStatus> statuses;
    private final AvroDeserializer<FlashCommand> commandReader;
    private final AvroDeserializer<FlashProgress> progress;
    private final Thread thread;
    private volatile boolean running = true;

    FleetWatch(String bootstrap, SchemaRegistry registry, TopicCatalog topics) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "otaflow-demo-watch");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.topics = topics;
        this.states = new AvroDeserializer<>(registry, DeviceState.class);
        this.statuses = new AvroDeserializer<>(registry, RolloutStatus.class);
        this.commandReader = new AvroDeserializer<>(registry, FlashCommand.class);
        this.progress = new AvroDeserializer<>(registry, FlashProgress.class);
        this.thread = Thread.ofPlatform().name("demo-watch").daemon().unstarted(this::run);
    }

    FleetWatch start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.deviceState().name(), topics.rolloutStatus().name(), topics.flashCommands().name(),
                    topics.flashProgress().name())) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        take(record);
                    } catch (WireFormatException e) {
                        // Not ours to judge: the services send such records to the DLQ themselves.
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close(Duration.ofSeconds(1));
        }
    }

    private void take(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null || record.value() == null) {
            return;
        }
        String topic = record.topic();
        if (topic.equals(topics.deviceState().name())) {
            devices.put(record.key(), states.deserialize(record));
        } else if (topic.equals(topics.rolloutStatus().name())) {
            rollouts.put(record.key(), statuses.deserialize(record));
        } else if (topic.equals(topics.flashCommands().name())) {
            FlashCommand command = commandReader.deserialize(record);
            commands.add(command);
            issued.putIfAbsent(command.getCommandId(), command.getIssuedAt());
        } else {
            FlashProgress event = progress.deserialize(record);
            latestProgress.put(record.key(), event);
            if (event.getPhase() == FlashPhase.BOOTING) {
                bootRequested.putIfAbsent(event.getCommandId(), event.getAt());
            }
            if (event.getTerminal() || FlashSummaries.terminal(event.getPhase())) {
                Instant start = issued.get(event.getCommandId());
                if (start != null) {
                    finished.add(new Finished(event.getDeviceId(), event.getCommandId(), event, Duration.between(start, event.getAt())));
                }
                Instant boot = bootRequested.remove(event.getCommandId());
                if (boot != null && event.getError() != null && event.getError().getCode() == FlashErrorCode.BOOT_FAILED) {
                    noBootVerdicts.add(Duration.between(boot, event.getAt()));
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(3000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
