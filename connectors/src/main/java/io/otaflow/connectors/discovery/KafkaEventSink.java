package io.otaflow.connectors.discovery;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Properties;

/**
 * Sends discovery's events to Kafka: idempotent, acks=all, keyed by device id so that each
 * device's events stay in order. A send that fails is logged with the device; the producer
 * retries on its own until {@code delivery.timeout.ms}.
 */
public final class KafkaEventSink implements EventSink {
    private static final Logger log = LoggerFactory.getLogger(KafkaEventSink.class);
    private final KafkaProducer<String, GenericContainer> producer;
    private final TopicCatalog topics;

    @SuppressWarnings({"unchecked", "rawtypes"})
    public KafkaEventSink(String bootstrapServers, SchemaRegistry registry, TopicCatalog topics, Map<String, Object> overrides) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "otaflow-discovery");
        props.putAll(overrides);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), (AvroSerializer) new AvroSerializer<>(registry, false));
        this.topics = topics;
    }

    @Override
    public void discovery(DiscoveryEvent event) {
        send(topics.deviceDiscovery().name(), event.getDeviceId(), event);
    }

    @Override
    public void report(DeviceReport report) {
        send(topics.deviceReports().name(), report.getDeviceId(), report);
    }

    @Override
    public void deadLetter(String key, DeadLetter letter) {
        send(topics.deadLetters().name(), key, letter);
    }

    private void send(String topic, String key, GenericContainer value) {
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            if (error != null) {
                log.error("could not send {} for {} to {}: {}", value.getSchema().getName(), key, topic, error.toString());
            }
        });
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
