package io.otaflow.flasher;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.DesiredFirmware;
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
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Follows the compacted desired-firmware topic (every partition, from the beginning) so that a
 * worker knows each Configuration's newest epoch and generation: a command of an older one is
 * superseded, one whose rollout was withdrawn (a tombstone) too, but not one of a key created
 * again after the tombstone ({@link Supersession}).
 */
public final class DesiredGenerations implements FlashJob.GenerationView, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DesiredGenerations.class);
    private final Map<String, Supersession.Known> generations = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<DesiredFirmware> deserializer;
    private final String topic;
    private volatile boolean running = true;
    private Thread thread;

    public DesiredGenerations(String bootstrapServers, SchemaRegistry registry, TopicCatalog topics) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.deserializer = new AvroDeserializer<>(registry, DesiredFirmware.class);
        this.topic = topics.firmwareDesired().name();
    }

    /**
     * Starts following and returns once everything on the topic at the start has been read: a
     * worker that took commands before would not know which are superseded (issue 16).
     *
     * @throws IllegalStateException if the topic cannot be read to its end within {@code timeout}
     */
    public DesiredGenerations start(Duration timeout) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, timeout).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
        CountDownLatch caughtUp = new CountDownLatch(1);
        thread = Thread.ofPlatform().daemon().name("desired-generations").start(() -> {
            try {
                while (running) {
                    if (caughtUp.getCount() > 0 && ends.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
                        caughtUp.countDown();
                    }
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                        if (record.value() == null) {
                            generations.compute(record.key(), (key, known) -> Supersession.withdrawn(known, record.timestamp()));
                            continue;
                        }
                        try {
                            DesiredFirmware desired = deserializer.deserialize(record);
                            generations.compute(record.key(), (key, known) -> Supersession.published(known, desired.getEpoch(), desired.getGeneration()));
                        } catch (RuntimeException e) {
                            log.warn("skipping an unreadable desired-firmware record: {}", e.getMessage());
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                log.error("the desired-generations follower stopped: {}", e.toString(), e);
            } finally {
                consumer.close();
            }
        });
        try {
            if (!caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                close();
                throw new IllegalStateException("the desired-firmware topic " + topic + " was not read to its end within " + timeout
                        + ": without it the worker cannot tell superseded commands");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while reading " + topic, e);
        }
        log.info("desired generations read to the end of {} ({} keys)", topic, generations.size());
        return this;
    }

    /** {@link #start(Duration)} with a minute to read the topic. */
    public DesiredGenerations start() {
        return start(Duration.ofSeconds(60));
    }

    @Override
    public Supersession.Known desired(String configuration) {
        return generations.getOrDefault(configuration, Supersession.Known.NOTHING);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
    }
}
