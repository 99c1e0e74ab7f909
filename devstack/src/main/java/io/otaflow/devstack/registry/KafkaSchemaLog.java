package io.otaflow.devstack.registry;

import io.otaflow.schemas.registry.RegistryException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * The schema log on a single-partition, compacted Kafka topic (Confluent's registry uses {@code _schemas}
 * the same way). One thread replays the topic into the registry's state; writers wait until that
 * thread has passed their record, so a registration is visible as soon as it returns.
 */
public final class KafkaSchemaLog implements SchemaLog {
    private static final Logger log = LoggerFactory.getLogger(KafkaSchemaLog.class);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(100);

    private final String topic;
    private final TopicPartition partition;
    private final Admin admin;
    private final KafkaProducer<String, String> producer;
    private final KafkaConsumer<String, String> consumer;
    private final short replicationFactor;
    private final Object progress = new Object();
    private long appliedUpTo; // the next offset to apply; everything before it is in the state
    private volatile boolean running;
    private volatile Throwable failure;
    private Thread reader;

    public KafkaSchemaLog(String bootstrapServers, String topic, short replicationFactor) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.replicationFactor = replicationFactor;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));

        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer());

        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(), new StringDeserializer());
    }

    @Override
    public void start(BiConsumer<String, String> applier) {
        ensureTopic();
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
        running = true;
        reader = Thread.ofPlatform().name("schema-log-reader").daemon().start(() -> replay(applier));
    }

    private void ensureTopic() {
        NewTopic newTopic = new NewTopic(topic, 1, replicationFactor).configs(Map.of(
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
        try {
            admin.createTopics(List.of(newTopic)).all().get(30, TimeUnit.SECONDS);
            log.info("created schema topic {}", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create the schema topic " + topic + ": " + e.getCause(), e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out creating the schema topic " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating the schema topic", e);
        }
    }

    private void replay(BiConsumer<String, String> applier) {
        try {
            while (running) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() != null) {
                        applier.accept(record.key(), record.value());
                    }
                }
                long position = consumer.position(partition);
                synchronized (progress) {
                    appliedUpTo = position;
                    progress.notifyAll();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (Throwable t) {
            failure = t;
            log.error("schema log reader stopped: {}", t.toString(), t);
            synchronized (progress) {
                progress.notifyAll();
            }
        }
    }

    @Override
    public void catchUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        awaitApplied(endOffset(deadline), Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    }

    /**
     * The log's end offset. A topic created a moment ago may not be in the broker's metadata yet
     * (UnknownTopicOrPartition, a retriable error), so retriable errors are retried until the deadline.
     */
    private long endOffset(long deadline) {
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition)
                        .get(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)), TimeUnit.MILLISECONDS).offset();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() + RETRY_PAUSE.toNanos() >= deadline) {
                    throw storeError("cannot read the end of " + topic + ": " + e, e);
                }
                sleep(RETRY_PAUSE);
            } catch (TimeoutException e) {
                throw storeError("cannot read the end of " + topic + ": " + e, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw storeError("interrupted", e);
            }
        }
    }

    private static void sleep(Duration pause) {
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw storeError("interrupted", e);
        }
    }

    @Override
    public void append(String key, String value, Duration timeout) {
        long offset;
        try {
            offset = producer.send(new ProducerRecord<>(topic, 0, key, value)).get(timeout.toMillis(), TimeUnit.MILLISECONDS).offset();
        } catch (ExecutionException | TimeoutException e) {
            throw storeError("cannot write to " + topic + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw storeError("interrupted", e);
        }
        awaitApplied(offset + 1, timeout);
    }

    private void awaitApplied(long offset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (progress) {
            while (appliedUpTo < offset) {
                if (failure != null) {
                    throw storeError("the schema log reader failed: " + failure, failure);
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw storeError("timed out after " + timeout + " waiting for " + topic + " to reach offset " + offset, null);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(progress, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw storeError("interrupted", e);
                }
            }
        }
    }

    private static RegistryException storeError(String message, Throwable cause) {
        return new RegistryException(500, RegistryException.STORE_ERROR, "Error in the backend data store: " + message, cause);
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (reader != null) {
            try {
                reader.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        consumer.close(Duration.ofSeconds(2));
        producer.close(Duration.ofSeconds(2));
        admin.close(Duration.ofSeconds(2));
    }
}
