package io.otaflow.devstack.junit;

import io.otaflow.devstack.DevStack;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;

/** For tests: reads a topic of the embedded platform from the start until enough wanted records arrived. */
public final class TopicRecords {
    private TopicRecords() {
    }

    /**
     * @return the wanted records, in order, once at least {@code atLeast} arrived
     * @throws AssertionError when they did not arrive within the timeout
     */
    public static <T extends SpecificRecord> List<T> read(DevStack stack, String topic, Class<T> type, Predicate<T> wanted,
                                                          int atLeast, Duration timeout) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<T> found = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new AvroDeserializer<>(new SchemaRegistryClient(stack.endpoints().schemaRegistry()), type))) {
            consumer.subscribe(List.of(topic));
            while (found.size() < atLeast) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("only " + found.size() + " of " + atLeast + " wanted records on " + topic + " within " + timeout);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (r.value() != null && wanted.test(r.value())) {
                        found.add(r.value());
                    }
                });
            }
        }
        return found;
    }
}
