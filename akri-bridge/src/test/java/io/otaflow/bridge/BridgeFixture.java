package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.TopicRecords;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.Topic;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.specific.SpecificRecord;
import io.otaflow.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.awaitility.Awaitility.await;

/** One test's world on the shared platform: its own namespace, topic prefix and Lease, and the bridges it started. */
final class BridgeFixture implements AutoCloseable {
    final DevStack stack;
    final String namespace;
    final TopicCatalog topics;
    final SchemaRegistryClient registry;
    final KubernetesClient client;
    private final Supplier<KubernetesClient> clients;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<AkriBridge> bridges = new ArrayList<>();
    private KafkaProducer<String, SpecificRecord> producer;

    BridgeFixture(DevStack stack) {
        this(stack, () -> stack.kubernetes().newClient(), stack.kubernetes().newClient());
    }

    /**
     * @param clients how bridges get their API client
     * @param client  the test's own client, to the same API server
     */
    BridgeFixture(DevStack stack, Supplier<KubernetesClient> clients, KubernetesClient client) {
        this.stack = stack;
        this.clients = clients;
        String run = "it-" + UUID.randomUUID().toString().substring(0, 8);
        this.namespace = run;
        this.topics = new TopicCatalog(run, 1);
        stack.createTopics(topics);
        this.registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        this.client = client;
        closeables.add(client);
    }

    Map<String, Object> config(Map<String, ?> overrides) {
        Map<String, Object> config = new HashMap<>();
        config.put(BridgeConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka());
        config.put(BridgeConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry());
        config.put(BridgeConfig.TOPIC_PREFIX, topics.prefix());
        config.put(BridgeConfig.NAMESPACE, namespace);
        config.put(BridgeConfig.LEASE_NAMESPACE, namespace);
        config.put(BridgeConfig.LEASE_DURATION_MS, 3000L);
        config.put(BridgeConfig.RENEW_DEADLINE_MS, 2000L);
        config.put(BridgeConfig.RETRY_PERIOD_MS, 300L);
        config.put(BridgeConfig.STATUS_BATCH_MS, 50L);
        config.putAll(overrides);
        return config;
    }

    /** Starts a bridge replica with its own API client and waits until it leads. */
    AkriBridge leadingBridge(Map<String, ?> overrides) {
        AkriBridge bridge = bridge(overrides);
        await().atMost(Duration.ofSeconds(30)).until(bridge::active);
        return bridge;
    }

    AkriBridge bridge(Map<String, ?> overrides) {
        KubernetesClient own = clients.get();
        closeables.add(own);
        AkriBridge bridge = new AkriBridge(new BridgeConfig(config(overrides)), own, registry, new SimpleMeterRegistry(), Clock.systemUTC());
        closeables.add(bridge);
        bridges.add(bridge);
        return bridge.start();
    }

    /** True when the leading bridge has nothing left to reconcile or write. */
    boolean bridgeIdle() {
        return bridges.stream().anyMatch(AkriBridge::active) && bridges.stream().filter(AkriBridge::active).allMatch(AkriBridge::idle);
    }

    GenericKubernetesResource create(ResourceDefinitionContext kind, String yaml) {
        GenericKubernetesResource resource = client.getKubernetesSerialization().unmarshal(yaml, GenericKubernetesResource.class);
        resource.getMetadata().setNamespace(namespace);
        return client.genericKubernetesResources(kind).inNamespace(namespace).resource(resource).create();
    }

    GenericKubernetesResource get(ResourceDefinitionContext kind, String name) {
        return client.genericKubernetesResources(kind).inNamespace(namespace).withName(name).get();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> status(ResourceDefinitionContext kind, String name) {
        GenericKubernetesResource resource = get(kind, name);
        return resource == null ? null : Akri.status(resource);
    }

    String key(String name) {
        return namespace + "/" + name;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    <V extends SpecificRecord> void produce(Topic<V> topic, String key, V value) {
        if (producer == null) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            producer = new KafkaProducer<>(props, new StringSerializer(), (AvroSerializer) new AvroSerializer<>(registry, false));
            closeables.add(producer);
        }
        try {
            producer.send(new ProducerRecord<>(topic.name(), key, value)).get();
        } catch (Exception e) {
            throw new AssertionError("cannot produce to " + topic.name(), e);
        }
    }

    <V extends SpecificRecord> List<V> read(Topic<V> topic, Predicate<V> wanted, int atLeast) {
        return TopicRecords.read(stack, topic.name(), topic.valueType(), wanted, atLeast, Duration.ofSeconds(30));
    }

    /** Every record for {@code key} (tombstones as null values), once at least {@code atLeast} arrived. */
    <V extends SpecificRecord> List<V> history(Topic<V> topic, String key, int atLeast) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "test-history-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<V> found = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new AvroDeserializer<>(registry, topic.valueType()))) {
            consumer.subscribe(List.of(topic.name()));
            while (found.size() < atLeast) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("only " + found.size() + " of " + atLeast + " records for " + key + " on " + topic.name());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.equals(r.key())) {
                        found.add(r.value());
                    }
                });
            }
            // Anything more that is already there counts too: a test asserting "no more" must see it.
            consumer.poll(Duration.ofMillis(500)).forEach(r -> {
                if (key.equals(r.key())) {
                    found.add(r.value());
                }
            });
        }
        return found;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable closeable : closeables.reversed()) {
            closeable.close();
        }
    }
}
