package io.otaflow.connectors.discovery;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Follows the flash progress topic into {@link FlashHolds}. Every replica reads every partition
 * (no group: each node must know every flash), starting a grace period back in time so that a
 * restarted handler learns of flashes already running. A record it cannot decode is logged
 * with its origin and skipped: holds are advisory.
 */
public final class FlashProgressWatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FlashProgressWatcher.class);
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<FlashProgress> deserializer;
    private final FlashHolds holds;
    private final String topic;
    private final Duration lookBack;
    private volatile boolean running = true;
    private Thread thread;

    public FlashProgressWatcher(String bootstrapServers, SchemaRegistry registry, TopicCatalog topics, FlashHolds holds, Duration lookBack) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "otaflow-discovery-flash-holds");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.deserializer = new AvroDeserializer<>(registry, FlashProgress.class);
        this.holds = holds;
        this.topic = topics.flashProgress().name();
        this.lookBack = lookBack;
    }

    public FlashProgressWatcher start() {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        long since = Instant.now().minus(lookBack).toEpochMilli();
        consumer.offsetsForTimes(partitions.stream().collect(Collectors.toMap(p -> p, p -> since))).forEach((partition, offset) -> {
            if (offset == null) {
                consumer.seekToEnd(List.of(partition));
            } else {
                consumer.seek(partition, offset.offset());
            }
        });
        thread = Thread.ofPlatform().daemon().name("flash-progress-watcher").start(this::run);
        return this;
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        FlashProgress progress = deserializer.deserialize(record);
                        if (progress != null) {
                            holds.progress(progress.getDeviceId(), progress.getTerminal(), progress.getAt());
                        }
                    } catch (RuntimeException e) {
                        log.warn("skipping an unreadable flash progress record: {}", e.getMessage());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        consumer.close();
    }
}
