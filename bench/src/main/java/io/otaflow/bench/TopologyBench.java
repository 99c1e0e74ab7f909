package io.otaflow.bench;

import io.otaflow.devstack.DevStack;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.topology.TopologyApp;
import io.otaflow.topology.TopologyConfig;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The topology's figures (issue 5), measured side by side in one run on the embedded platform:
 * device reports per second through the topology, timed until the gate's status counts every
 * device (fold, re-key and gate all done), against a plain consume→deserialize→produce pipe over
 * the same records; then, over several runs, the time from a desired-firmware change to the last
 * command and to the status with every command in flight, for {@code --devices} eligible devices
 * with no gate limits (p50 and max of the runs; p50 and p99 of the per-command delay). A run
 * that misses a command or a status exits non-zero and prints no figure for it.
 */
public final class TopologyBench {

    public static void main(String[] args) throws Exception {
        int devices = 10_000;
        int reportsPerDevice = 10;
        int runs = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> devices = Integer.parseInt(args[++i]);
                case "--reports-per-device" -> reportsPerDevice = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        try (DevStack stack = DevStack.temporary().start()) {
            TopicCatalog topics = new TopicCatalog("bench", 6);
            stack.createTopics(topics);
            SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
            String kafka = stack.endpoints().kafka();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka))) {
                admin.createTopics(List.of(new NewTopic("bench.pipe.out", 6, (short) 1))).all().get();
            }
            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
            producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 20);
            producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
            @SuppressWarnings({"unchecked", "rawtypes"})
            KafkaProducer<String, GenericContainer> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                    (AvroSerializer) new AvroSerializer<>(registry, false));
            Instant now = Instant.now();
            // The rollout exists before the input, admitting nobody: the gate counts every device, so the clock can
            // stop at the gate's output (its status), past the fold, the re-key and the gate, not at the sources.
            producer.send(new ProducerRecord<>(topics.firmwareDesired().name(), "default/bench", desired(0, 0, now)));
            for (int d = 0; d < devices; d++) {
                String id = String.format("bench-%05d", d);
                producer.send(new ProducerRecord<>(topics.deviceDiscovery().name(), id, DiscoveryEvent.newBuilder().setDeviceId(id)
                        .setEndpoint("http://" + id).setConfiguration("default/bench").setSource(Source.HTTP_SCAN).setPresent(true)
                        .setMode(DeviceMode.APP).setObservedAt(now).build()));
            }
            long reports = (long) devices * reportsPerDevice;
            for (int r = 0; r < reportsPerDevice; r++) {
                for (int d = 0; d < devices; d++) {
                    String id = String.format("bench-%05d", d);
                    producer.send(new ProducerRecord<>(topics.deviceReports().name(), id, DeviceReport.newBuilder().setDeviceId(id)
                            .setFirmwareType("blink").setFirmwareVersion("1.0.0").setLocked(r % 2 == 1 && d % 7 == 0)
                            .setMode(DeviceMode.APP).setObservedAt(now.plusMillis(r)).setSource(Source.HTTP_SCAN).build()));
                }
            }
            producer.flush();
            System.out.printf("BENCH topology_input_reports %d records%n", reports);

            double pipeSeconds = plainPipe(kafka, registry, topics.deviceReports().name(), reports);
            System.out.printf("BENCH pipe_reports_per_second %.0f records/s%n", reports / pipeSeconds);

            long start = System.nanoTime();
            Map<String, Object> settings = new java.util.HashMap<>(Map.of(
                    TopologyConfig.KAFKA_BOOTSTRAP, kafka,
                    TopologyConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(),
                    TopologyConfig.TOPIC_PREFIX, "bench",
                    TopologyConfig.APPLICATION_ID, "bench-topology",
                    TopologyConfig.STATE_DIR, Files.createTempDirectory("bench-topology").toString(),
                    TopologyConfig.GATE_INTERVAL_MS, "100"));
            // -Dbench.streams=name=value,... tries Kafka Streams settings without a rebuild (e.g. num.stream.threads=2)
            for (String kv : System.getProperty("bench.streams", "").split(",")) {
                if (!kv.isBlank()) {
                    settings.put(TopologyConfig.STREAMS_PREFIX + kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
                }
            }
            try (TopologyApp app = new TopologyApp(new TopologyConfig(settings)).start()) {
                while (app.streams().state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
                    Thread.sleep(20);
                }
                start = System.nanoTime(); // from RUNNING: group join and topic creation are not throughput
                int lockedAtEnd = (reportsPerDevice - 1) % 2 == 1 ? (int) Math.ceil(devices / 7.0) : 0;
                int expected = devices - lockedAtEnd;
                int fleet = devices;
                if (!awaitStatus(kafka, registry, topics.rolloutStatus().name(), 0, 600_000,
                        s -> s.getCounts().getTotal() == fleet && s.getCounts().getLocked() == lockedAtEnd
                                && s.getCounts().getEligible() == expected)) {
                    System.err.println("the gate never counted every device: no throughput figure");
                    System.exit(1);
                }
                awaitConsumed(kafka, "bench-topology", List.of(topics.deviceReports().name(), topics.deviceDiscovery().name()));
                double topologySeconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("BENCH topology_reports_per_second %.0f records/s%n", reports / topologySeconds);
                System.out.printf("BENCH topology_vs_pipe %.2f ratio%n", (reports / topologySeconds) / (reports / pipeSeconds));

                List<Double> lastCommand = new ArrayList<>();
                List<Long> delays = new ArrayList<>();
                Properties consumerProps = new Properties();
                consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
                consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-commands");
                consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
                consumerProps.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
                consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
                try (KafkaConsumer<String, FlashCommand> commands = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                        new AvroDeserializer<>(registry, FlashCommand.class))) {
                    commands.subscribe(List.of(topics.flashCommands().name()));
                    while (commands.assignment().isEmpty()) {
                        commands.poll(Duration.ofMillis(100));
                    }
                    commands.seekToEnd(commands.assignment());
                    commands.assignment().forEach(commands::position);
                    for (int run = 1; run <= runs; run++) {
                        long published = System.currentTimeMillis();
                        producer.send(new ProducerRecord<>(topics.firmwareDesired().name(), "default/bench",
                                desired(run, 1_000_000, Instant.ofEpochMilli(published)))).get();
                        Set<String> got = new HashSet<>();
                        long last = published;
                        long deadline = System.currentTimeMillis() + 300_000;
                        while (got.size() < expected && System.currentTimeMillis() < deadline) {
                            for (ConsumerRecord<String, FlashCommand> record : commands.poll(Duration.ofMillis(200))) {
                                if (record.value().getGeneration() == run && got.add(record.key())) {
                                    long at = System.currentTimeMillis();
                                    delays.add(at - published);
                                    last = at;
                                }
                            }
                        }
                        if (got.size() < expected) {
                            System.err.printf("run %d: %d of %d commands within 300 s: no figure%n", run, got.size(), expected);
                            System.exit(1);
                        }
                        lastCommand.add((last - published) / 1000.0);
                        final int generation = run;
                        if (!awaitStatus(kafka, registry, topics.rolloutStatus().name(), published, 60_000,
                                s -> s.getGeneration() == generation && s.getCounts().getInFlight() == expected)) {
                            System.err.printf("run %d: no status with the %d commands in flight: no figure%n", run, expected);
                            System.exit(1);
                        }
                        System.out.printf("BENCH topology_run%d_desired_to_last_command %.2f s%n", run, (last - published) / 1000.0);
                        System.out.printf("BENCH topology_run%d_desired_to_final_status %.2f s%n", run, (System.currentTimeMillis() - published) / 1000.0);
                    }
                }
                Collections.sort(lastCommand);
                Collections.sort(delays);
                System.out.printf("BENCH topology_desired_to_last_command_p50 %.2f s%n", lastCommand.get(lastCommand.size() / 2));
                System.out.printf("BENCH topology_desired_to_last_command_max %.2f s%n", lastCommand.get(lastCommand.size() - 1));
                System.out.printf("BENCH topology_desired_to_command_p50 %.2f s%n", delays.get(delays.size() / 2) / 1000.0);
                System.out.printf("BENCH topology_desired_to_command_p99 %.2f s%n", delays.get((int) Math.ceil(delays.size() * 0.99) - 1) / 1000.0);
            }
            producer.close();
        }
        System.exit(0);
    }

    private static DesiredFirmware desired(long generation, int maxInFlight, Instant at) {
        return DesiredFirmware.newBuilder()
                .setConfiguration("default/bench").setTarget(new FirmwareRef("blink", "1.1." + generation))
                .setImage(FirmwareImage.newBuilder().setUri("file:///b.bin").setSha256("00".repeat(32)).setSize(4096).build())
                .setPolicy(RolloutPolicy.newBuilder().setMaxInFlight(maxInFlight).build())
                .setGeneration(generation).setEpoch(1).setUpdatedAt(at).build();
    }

    /** Reads the rollout status topic from the start until a status published at or after {@code since} satisfies {@code done}. */
    private static boolean awaitStatus(String kafka, SchemaRegistryClient registry, String topic, long since, long timeoutMs,
                                       java.util.function.Predicate<RolloutStatus> done) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<String, RolloutStatus> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new AvroDeserializer<>(registry, RolloutStatus.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, RolloutStatus> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.value() != null && record.timestamp() >= since && done.test(record.value())) {
                        return true;
                    }
                }
            }
            return false;
        }
    }

    /** The plain pipe: consume, decode, encode, produce; timed until every record went through. */
    private static double plainPipe(String kafka, SchemaRegistryClient registry, String topic, long records) {
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-pipe");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        producerProps.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        long start = System.nanoTime();
        try (KafkaConsumer<String, DeviceReport> consumer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                new AvroDeserializer<>(registry, DeviceReport.class));
             KafkaProducer<String, DeviceReport> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                     new AvroSerializer<>(registry, false))) {
            consumer.subscribe(List.of(topic));
            long seen = 0;
            while (seen < records) {
                for (ConsumerRecord<String, DeviceReport> record : consumer.poll(Duration.ofMillis(200))) {
                    producer.send(new ProducerRecord<>("bench.pipe.out", record.key(), record.value()));
                    seen++;
                }
            }
            producer.flush();
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Waits until the Streams application's group has committed the end of its input topics. */
    private static void awaitConsumed(String kafka, String group, List<String> topics) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka))) {
            Map<TopicPartition, OffsetSpec> ends = admin.describeTopics(topics).allTopicNames().get().values().stream()
                    .flatMap(d -> d.partitions().stream().map(p -> new TopicPartition(d.name(), p.partition())))
                    .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
            Map<TopicPartition, Long> end = admin.listOffsets(ends).all().get().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                boolean done = end.entrySet().stream().allMatch(e -> e.getValue() == 0
                        || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
                if (done) {
                    return;
                }
                Thread.sleep(100);
            }
        }
    }
}
