package io.otaflow.cli;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.topics.Topic;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Where the operator commands find otaflow: {@code --platform} (the endpoints file of
 * {@code otaflow up} or {@code otaflow demo --keep-running}), or {@code --kafka} and
 * {@code --schema-registry} (also {@code OTAFLOW_KAFKA_BOOTSTRAP}, {@code OTAFLOW_SCHEMA_REGISTRY_URL}); the
 * cluster from the platform file or the usual kubeconfig. Unreachable servers are a clear error
 * within seconds, not a hang.
 */
final class Connection {
    @Mixin
    PlatformOptions platform;


    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    String output;

    boolean json() {
        if (!output.equals("table") && !output.equals("json")) {
            throw new IllegalArgumentException("-o is table or json, not " + output);
        }
        return output.equals("json");
    }

    TopicCatalog topics() {
        return new TopicCatalog(platform.topicPrefix(), TopicCatalog.DEFAULT_PARTITIONS);
    }

    String kafka() {
        String value = platform.kafka();
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("where is Kafka? Give --platform FILE or --kafka HOST:PORT (or set OTAFLOW_KAFKA_BOOTSTRAP)");
        }
        return value;
    }

    SchemaRegistryClient registry() {
        String value = platform.schemaRegistry();
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("where is the schema registry? Give --platform FILE or --schema-registry URL (or set OTAFLOW_SCHEMA_REGISTRY_URL)");
        }
        return new SchemaRegistryClient(value);
    }

    /** A client for the cluster of the platform file, else kubeconfig / in-cluster; null when neither names one. */
    KubernetesClient kubernetes() {
        if (platform.kubernetes() != null) {
            return new KubernetesClientBuilder().withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(platform.kubernetes())
                    .withNamespace("default").withHttp2Disable(true).withRequestTimeout(10_000).withConnectionTimeout(5_000).build()).build();
        }
        Config config = Config.autoConfigure(null);
        if (config.getMasterUrl() == null || config.getMasterUrl().contains("kubernetes.default.svc") && System.getenv("KUBERNETES_SERVICE_HOST") == null) {
            return null;
        }
        config.setRequestTimeout(10_000);
        config.setConnectionTimeout(5_000);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** Fails fast with a clear message when Kafka does not answer. */
    void checkKafka() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka());
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 8000);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        try (Admin admin = Admin.create(props)) {
            admin.describeCluster().nodes().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot reach Kafka at " + kafka() + " (" + rootCause(e) + ")");
        }
    }

    /** A compacted topic read from its beginning to its current end: the table it holds, key to latest value. */
    <V extends SpecificRecord> Map<String, V> table(Topic<V> topic) {
        checkKafka();
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka());
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<String, V> table = new LinkedHashMap<>();
        AvroDeserializer<V> values = new AvroDeserializer<>(registry(), topic.valueType());
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic.name(), Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic.name() + " does not exist (wrong --topic-prefix?)");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = new LinkedHashMap<>(consumer.endOffsets(partitions));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!ends.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.value() == null) {
                        table.remove(record.key());
                    } else {
                        table.put(record.key(), values.deserialize(record));
                    }
                }
                ends.entrySet().removeIf(end -> consumer.position(end.getKey()) >= end.getValue());
            }
        }
        return table;
    }

    /** Writes one record, acknowledged by every in-sync replica, or fails within 30 s. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    <V extends SpecificRecord> void publish(Topic<V> topic, String key, V value) throws Exception {
        checkKafka();
        Properties props = new Properties();
        props.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka());
        props.putAll(io.otaflow.schemas.config.KafkaClientSecurity.fromEnvironment());
        props.put(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG, "all");
        props.put(org.apache.kafka.clients.producer.ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        try (org.apache.kafka.clients.producer.KafkaProducer<String, org.apache.avro.generic.GenericContainer> producer =
                     new org.apache.kafka.clients.producer.KafkaProducer<>(props, new org.apache.kafka.common.serialization.StringSerializer(),
                             (io.otaflow.schemas.serde.AvroSerializer) new io.otaflow.schemas.serde.AvroSerializer<>(registry(), false))) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic.name(), key, value))
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    static String rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    /** Configuration keys are namespace/name; a bare name means the default namespace. */
    static String configurationKey(String configuration) {
        return configuration.contains("/") ? configuration : "default/" + configuration;
    }
}
