package io.otaflow.bridge;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.deadletter.DeadLetters;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.serde.WireFormatException;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the bridge sends to Kafka: discovery events and reports from Instances (keyed by device id,
 * so each device's events stay in order), desired firmware from Configurations (keyed by
 * {@code namespace/name}, sent synchronously so a Configuration's condition never claims a
 * record that did not land), and dead letters for records it could not read. Idempotent, acks=all.
 */
public final class Publisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Publisher.class);
    private final KafkaProducer<String, GenericContainer> producer;
    private final TopicCatalog topics;

    @SuppressWarnings({"unchecked", "rawtypes"})
    public Publisher(String bootstrapServers, SchemaRegistry registry, TopicCatalog topics) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "otaflow-akri-bridge");
        this.producer = new KafkaProducer<>(props, new StringSerializer(), (AvroSerializer) new AvroSerializer<>(registry, false));
        this.topics = topics;
    }

    public void discovery(DiscoveryEvent event) {
        send(topics.deviceDiscovery().name(), event.getDeviceId(), event);
    }

    public void report(DeviceReport report) {
        send(topics.deviceReports().name(), report.getDeviceId(), report);
    }

    /** Sends the desired firmware of a Configuration (null: a tombstone) and waits until Kafka has it. */
    public void desired(String configuration, DesiredFirmware desired) throws ExecutionException, TimeoutException, InterruptedException {
        producer.send(new ProducerRecord<>(topics.firmwareDesired().name(), configuration, desired)).get(30, TimeUnit.SECONDS);
    }

    public void deadLetter(ConsumerRecord<String, byte[]> record, WireFormatException error) {
        DeadLetter letter = DeadLetters.of(record, error, "akri-bridge", Instant.now());
        send(topics.deadLetters().name(), record.key(), letter);
    }

    private void send(String topic, String key, GenericContainer value) {
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            if (error != null) {
                log.error("could not send {} for {} to {}: {}", value.getSchema().getName(), key, topic, error.toString());
            }
        });
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
