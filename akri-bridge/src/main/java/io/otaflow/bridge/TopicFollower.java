package io.otaflow.bridge;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.WireFormatException;
import io.otaflow.schemas.topics.Topic;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import io.otaflow.schemas.registry.RegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Reads what the bridge reflects into Kubernetes: the compacted tables {@code firmware.desired},
 * {@code device.state} and {@code rollout.status} from their beginning (they are the current truth
 * after a restart or a change of leader), and {@code flash.progress} from its end (it only makes
 * status fresher than {@code device.state}, which already folds every past event). No consumer
 * group: every replica that leads reads everything. A record it cannot decode goes to the DLQ and
 * the rest of the partition flows on.
 */
final class TopicFollower implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);

    interface Handler {
        void desired(String configuration, DesiredFirmware desired);

        void deviceState(String deviceId, DeviceState state);

        void rollout(String configuration, RolloutStatus status);

        void progress(String deviceId, FlashProgress progress);
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicCatalog topics;
    private final Handler handler;
    private final Publisher publisher;
    private final Map<String, AvroDeserializer<? extends SpecificRecord>> readers = new HashMap<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    TopicFollower(String bootstrapServers, SchemaRegistry registry, TopicCatalog topics, Handler handler, Publisher publisher) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "otaflow-akri-bridge-follower");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.topics = topics;
        this.handler = handler;
        this.publisher = publisher;
        for (Topic<?> topic : List.of(topics.firmwareDesired(), topics.deviceState(), topics.rolloutStatus(), topics.flashProgress())) {
            readers.put(topic.name(), new AvroDeserializer<>(registry, topic.valueType()));
        }
        this.thread = Thread.ofPlatform().name("bridge-follower").daemon().unstarted(this::run);
    }

    TopicFollower start() {
        thread.start();
        return this;
    }

    /** Waits until the tables have been read up to where they were when the follower started. */
    boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            List<TopicPartition> tables = new ArrayList<>();
            List<TopicPartition> events = new ArrayList<>();
            for (Topic<?> topic : List.of(topics.firmwareDesired(), topics.deviceState(), topics.rolloutStatus())) {
                tables.addAll(partitions(topic.name()));
            }
            events.addAll(partitions(topics.flashProgress().name()));
            List<TopicPartition> all = new ArrayList<>(tables);
            all.addAll(events);
            consumer.assign(all);
            consumer.seekToBeginning(tables);
            consumer.seekToEnd(events);
            Map<TopicPartition, Long> ends = new HashMap<>(consumer.endOffsets(tables));
            while (running) {
                try {
                    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(200));
                    for (TopicPartition partition : records.partitions()) {
                        for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
                            if (!dispatch(record)) {
                                consumer.seek(partition, record.offset()); // read it again once the registry answers
                                Thread.sleep(1000);
                                break;
                            }
                        }
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // A follower that dies would leave the leader writing from frozen knowledge: keep going, loudly.
                    log.error("topic follower: {}; retrying in 1 s", e.toString(), e);
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
                if (caughtUp.getCount() > 0) {
                    ends.entrySet().removeIf(end -> consumer.position(end.getKey()) >= end.getValue());
                    if (ends.isEmpty()) {
                        caughtUp.countDown();
                    }
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("topic follower stopped: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    private List<TopicPartition> partitions(String topic) {
        boolean warned = false;
        while (running) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            if (!warned) {
                log.warn("topic {} does not exist yet; waiting for it (create otaflow's topics with otaflow up or deploy/)", topic);
                warned = true;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
        throw new WakeupException();
    }

    /** Hands one record on; false when the registry could not be asked, so the record must be read again later. */
    private boolean dispatch(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null) {
            return true;
        }
        Object value;
        try {
            value = readers.get(record.topic()).deserialize(record);
        } catch (WireFormatException e) {
            if (e.getCause() instanceof RegistryException registry && registry.errorCode() != RegistryException.SCHEMA_NOT_FOUND) {
                // The registry is down, not the record bad: dropping it would lose a table's key for good.
                log.warn("schema registry unavailable, will read {}-{}@{} again: {}", record.topic(), record.partition(), record.offset(),
                        registry.getMessage());
                return false;
            }
            log.error("unreadable record, sent to the DLQ: {}", e.getMessage());
            publisher.deadLetter(record, e);
            return true;
        }
        String topic = record.topic();
        if (topic.equals(topics.firmwareDesired().name())) {
            handler.desired(record.key(), (DesiredFirmware) value);
        } else if (topic.equals(topics.deviceState().name())) {
            handler.deviceState(record.key(), (DeviceState) value);
        } else if (topic.equals(topics.rolloutStatus().name())) {
            handler.rollout(record.key(), (RolloutStatus) value);
        } else if (value != null) {
            handler.progress(record.key(), (FlashProgress) value);
        }
        return true;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
