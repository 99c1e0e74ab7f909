package io.otaflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.connectors.discovery.DiscoveryDetails;
import io.otaflow.connectors.discovery.DiscoveryLoop;
import io.otaflow.connectors.discovery.FlashHolds;
import io.otaflow.connectors.discovery.KafkaEventSink;
import io.otaflow.devstack.Endpoints;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Discovery at fleet scale (issue 4): {@code --devices} (default 10,000) simulated devices in two
 * child processes (each with its own file-descriptor budget), the embedded platform in a third,
 * and the discovery loop here polling every device every 10 s into Kafka. While it runs, devices'
 * lock flags are flipped over HTTP at random moments and the time until each change's report
 * arrives on Kafka is measured. Prints the CPU this process used per second and per poll, and
 * the change-to-Kafka delay (p50, p99), which the poll interval bounds.
 */
public final class DiscoveryBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        int devices = 10_000;
        int rounds = 6;
        Duration interval = Duration.ofSeconds(10);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> devices = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--interval-seconds" -> interval = Duration.ofSeconds(Long.parseLong(args[++i]));
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--devices N, --rounds N, --interval-seconds S)");
            }
        }
        Path root = Path.of(System.getProperty("otaflow.root", ".")).toAbsolutePath();
        Path work = Files.createTempDirectory("otaflow-discovery-bench-");
        try (ChildProcesses children = new ChildProcesses(root)) {
            Path platformFile = work.resolve("platform.json");
            Process up = children.start(work.resolve("up.log"), "up", "--endpoints-file", platformFile.toString());
            int half = devices / 2;
            Path fleetA = work.resolve("fleet-a.jsonl");
            Path fleetB = work.resolve("fleet-b.jsonl");
            Process a = children.start(work.resolve("fleet-a.log"), "simulate", "--devices", String.valueOf(half), "--id-prefix", "bench-a-",
                    "--endpoints-file", fleetA.toString());
            Process b = children.start(work.resolve("fleet-b.log"), "simulate", "--devices", String.valueOf(devices - half), "--id-prefix", "bench-b-",
                    "--address-offset", String.valueOf(half), "--endpoints-file", fleetB.toString());
            ChildProcesses.awaitFile(platformFile, Duration.ofSeconds(120), up);
            ChildProcesses.awaitFile(fleetA, Duration.ofSeconds(120), a);
            ChildProcesses.awaitFile(fleetB, Duration.ofSeconds(120), b);
            Thread.sleep(3000); // the devices' apps come up
            Endpoints platform = Endpoints.readJson(platformFile);
            List<String> urls = new ArrayList<>();
            for (Path file : List.of(fleetA, fleetB)) {
                for (String line : Files.readAllLines(file)) {
                    urls.add(JSON.readTree(line).path("http").asText());
                }
            }
            String yaml = "endpoints: [" + urls.stream().map(u -> "\"" + u + "\"").collect(Collectors.joining(",")) + "]\n"
                    + "pollInterval: " + interval.toSeconds() + "s\ntimeout: 5s\nconcurrency: 512\nheartbeatInterval: 1h\nconfiguration: default/bench\n";
            DiscoveryDetails details = DiscoveryDetails.parse(yaml);
            SchemaRegistryClient registry = new SchemaRegistryClient(platform.schemaRegistry());
            TopicCatalog topics = new TopicCatalog();
            Map<String, Long> changedAt = new ConcurrentHashMap<>();
            List<Long> delays = Collections.synchronizedList(new ArrayList<>());
            Thread consumer = Thread.ofPlatform().daemon().start(() -> consumeReports(platform, registry, topics, changedAt, delays));
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            try (KafkaEventSink sink = new KafkaEventSink(platform.kafka(), registry, topics, Map.of());
                 DiscoveryLoop loop = new DiscoveryLoop(details, Map.of(), "bench-node", new FlashHolds(Duration.ofMinutes(2)), sink,
                         new SimpleMeterRegistry())) {
                long warmStart = System.nanoTime();
                int found = loop.runOnce().size(); // warm-up: every device appears and is reported once
                System.out.printf("BENCH discovery_devices_found %d devices%n", found);
                System.out.printf("BENCH discovery_first_round %.2f s%n", (System.nanoTime() - warmStart) / 1e9);
                long cpuStart = os.getProcessCpuTime();
                long wallStart = System.nanoTime();
                loop.start();
                HttpClient http = HttpClient.newHttpClient();
                Random random = new Random(7);
                int changes = 0;
                long end = wallStart + interval.multipliedBy(rounds).toNanos();
                while (System.nanoTime() < end - interval.toNanos()) {
                    String url = urls.get(random.nextInt(urls.size()));
                    JsonNode metadata = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/metadata")).build(),
                            HttpResponse.BodyHandlers.ofString()).body());
                    boolean locked = !metadata.path("locked").asBoolean();
                    changedAt.put(metadata.path("deviceId").asText() + "/" + locked, System.currentTimeMillis());
                    changes++;
                    http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/lock")).PUT(HttpRequest.BodyPublishers.ofString(
                            "{\"locked\":" + locked + "}")).build(), HttpResponse.BodyHandlers.ofString());
                    Thread.sleep(200 + random.nextInt(600));
                }
                while (System.nanoTime() < end) {
                    Thread.sleep(100);
                }
                double cpuSeconds = (os.getProcessCpuTime() - cpuStart) / 1e9;
                double wallSeconds = (System.nanoTime() - wallStart) / 1e9;
                double polls = devices * wallSeconds / interval.toSeconds();
                System.out.printf("BENCH discovery_poll_interval %d s%n", interval.toSeconds());
                System.out.printf("BENCH discovery_cpu %.3f cores%n", cpuSeconds / wallSeconds);
                System.out.printf("BENCH discovery_cpu_per_poll %.1f us%n", cpuSeconds / polls * 1e6);
                System.out.printf("BENCH discovery_changes %d changes%n", changes);
            }
            Thread.sleep(2000);
            List<Long> sorted = new ArrayList<>(delays);
            Collections.sort(sorted);
            System.out.printf("BENCH discovery_change_to_kafka_samples %d reports%n", sorted.size());
            System.out.printf("BENCH discovery_changes_never_reported %d changes%n", changedAt.size());
            if (!sorted.isEmpty()) {
                System.out.printf("BENCH discovery_change_to_kafka_p50 %.2f s%n", sorted.get(sorted.size() / 2) / 1000.0);
                System.out.printf("BENCH discovery_change_to_kafka_p99 %.2f s%n", sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)) / 1000.0);
                System.out.printf("BENCH discovery_change_to_kafka_max %.2f s%n", sorted.get(sorted.size() - 1) / 1000.0);
            }
            consumer.interrupt();
        }
    }

    private static void consumeReports(Endpoints platform, SchemaRegistryClient registry, TopicCatalog topics,
                                       Map<String, Long> changedAt, List<Long> delays) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "discovery-bench");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        try (KafkaConsumer<String, DeviceReport> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new AvroDeserializer<>(registry, DeviceReport.class))) {
            consumer.subscribe(List.of(topics.deviceReports().name()));
            while (!Thread.currentThread().isInterrupted()) {
                consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                    Long at = changedAt.remove(record.value().getDeviceId() + "/" + record.value().getLocked());
                    if (at != null) {
                        delays.add(System.currentTimeMillis() - at);
                    }
                });
            }
        } catch (org.apache.kafka.common.errors.InterruptException e) {
            Thread.interrupted(); // done: the benchmark is over
        }
    }
}
