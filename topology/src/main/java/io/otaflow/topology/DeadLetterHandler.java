package io.otaflow.topology;

import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.deadletter.DeadLetters;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A record the topology cannot read goes to the dead-letter topic as a {@code DeadLetter}
 * (original topic, partition, offset, key, value, headers, error), is logged with its origin,
 * and the stream goes on: one bad record never stalls a partition. The dead letter is written in
 * the same transaction as the stream's progress.
 */
public final class DeadLetterHandler implements DeserializationExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterHandler.class);
    /** Streams config keys this handler reads (passed through StreamsConfig). */
    public static final String REGISTRY_URL = "otaflow.dlq.schema.registry.url";
    public static final String TOPIC_PREFIX = "otaflow.dlq.topic.prefix";
    /** For tests: a registry instance instead of a URL. */
    public static final String REGISTRY_INSTANCE = "otaflow.dlq.schema.registry.instance";

    private AvroSerializer<DeadLetter> serializer;
    private String topic;

    @Override
    public void configure(Map<String, ?> configs) {
        Object instance = configs.get(REGISTRY_INSTANCE);
        SchemaRegistry registry = instance instanceof SchemaRegistry r ? r : new SchemaRegistryClient(String.valueOf(configs.get(REGISTRY_URL)));
        serializer = new AvroSerializer<>(registry, false);
        Object prefix = configs.get(TOPIC_PREFIX);
        topic = new TopicCatalog(prefix == null ? TopicCatalog.DEFAULT_PREFIX : prefix.toString(), 1).deadLetters().name();
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        log.warn("dead-lettering an unreadable record of {} partition {} offset {}: {}", context.topic(), context.partition(),
                context.offset(), exception.getMessage());
        DeadLetter letter = DeadLetters.of(new DeadLetters.Origin(context.topic(), context.partition(), context.offset(), record.timestamp()),
                record.key(), record.value(), record.headers(), exception, "topology", Instant.now());
        return Response.resume(List.of(new ProducerRecord<>(topic, record.key(), serializer.serialize(topic, letter))));
    }
}
