package io.otaflow.bench;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.bridge.AkriBridge;
import io.otaflow.bridge.BridgeConfig;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.devstack.DevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Issue 7's figure: Instance status for {@code --instances} devices after a rollout, on the
 * embedded platform. Every device goes through a whole flash in Kafka (state: accepted; progress:
 * writing twice, verifying; state: succeeded and up to date), all at once, the worst burst a
 * rollout can produce. Measured per status rate limit, side by side in one run: API calls the
 * bridge made (counted below the fabric8 client), patches per Instance, and the time until every
 * Instance shows SUCCEEDED and UpToDate=True, against the bound the rate limit sets (one patch per
 * Instance at the given rate). The API server is fabric8's mock (it scans all stored objects per
 * request), so convergence above the bound is partly the mock's cost, not the bridge's.
 */
public final class BridgeBench {

    /** Counts the bridge's requests to the API server by verb. */
    static final class CallCounter implements Interceptor {
        final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

        @Override
        public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
            String query = request.uri().getQuery() == null ? "" : request.uri().getQuery();
            String verb = request.method().equals("GET") && query.contains("watch=true") ? "WATCH" : request.method();
            calls.computeIfAbsent(verb, k -> new AtomicLong()).incrementAndGet();
        }

        long total() {
            return calls.values().stream().mapToLong(AtomicLong::get).sum();
        }
    }

    public static void main(String[] args) throws Exception {
        int instances = 10_000;
        List<Integer> rates = List.of(200, 2000);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--instances" -> instances = Integer.parseInt(args[++i]);
                case "--rates" -> rates = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                default -> throw new IllegalArgumentException("usage: BridgeBench [--instances N] [--rates R1,R2]");
            }
        }
        try (DevStack stack = DevStack.temporary().start(); KubernetesClient admin = stack.kubernetes().newClient()) {
            System.out.printf("BENCH bridge_instances %d instances%n", instances);
            for (int rate : rates) {
                run(stack, admin, instances, rate);
            }
        }
    }

    private static void run(DevStack stack, KubernetesClient admin, int instances, int rate) throws Exception {
        String run = "bench-r" + rate;
        TopicCatalog topics = new TopicCatalog(run, 6);
        stack.createTopics(topics);
        createInstances(admin, run, instances);

        CallCounter counter = new CallCounter();
        Map<String, Object> config = new HashMap<>();
        config.put(BridgeConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka());
        config.put(BridgeConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry());
        config.put(BridgeConfig.TOPIC_PREFIX, run);
        config.put(BridgeConfig.NAMESPACE, run);
        config.put(BridgeConfig.LEASE_NAMESPACE, run);
        config.put(BridgeConfig.STATUS_RATE, rate);
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(stack.kubernetes().clientConfig())
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", counter)).build();
             AkriBridge bridge = new AkriBridge(new BridgeConfig(config), client, new SchemaRegistryClient(stack.endpoints().schemaRegistry()),
                     new SimpleMeterRegistry(), Clock.systemUTC()).start()) {
            waitFor(Duration.ofSeconds(120), () -> bridge.active() && bridge.idle());
            long callsBefore = counter.total();
            long patchesBefore = bridge.statusPatches();

            long start = System.nanoTime();
            int events = produceRollout(stack, topics, run, instances);
            double produced = (System.nanoTime() - start) / 1e9;
            waitFor(Duration.ofMinutes(10), () -> converged(admin, run) >= instances && bridge.idle());
            double seconds = (System.nanoTime() - start) / 1e9;
            long calls = counter.total() - callsBefore;
            long patches = bridge.statusPatches() - patchesBefore;
            String name = "bridge_rate" + rate;
            System.out.printf("BENCH %s_events %d records (produced in %.1f s)%n", name, events, produced);
            System.out.printf("BENCH %s_api_calls %d calls (%s)%n", name, calls, counter.calls);
            System.out.printf("BENCH %s_patches_per_instance %.2f patches%n", name, patches / (double) instances);
            System.out.printf("BENCH %s_calls_per_event %.3f ratio%n", name, calls / (double) events);
            System.out.printf("BENCH %s_converge_seconds %.1f s%n", name, seconds);
            System.out.printf("BENCH %s_rate_bound_seconds %.1f s%n", name, instances / (double) rate);
            System.out.printf("BENCH %s_converge_vs_bound %.2f ratio%n", name, seconds / (instances / (double) rate));
        }
        // fabric8's mock API server scans all its objects on every request: keep each run at the same size.
        admin.genericKubernetesResources(Akri.INSTANCE).inNamespace(run).delete();
    }

    private static void createInstances(KubernetesClient admin, String namespace, int count) throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> created = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String device = "pico-" + i;
                GenericKubernetesResource instance = new GenericKubernetesResourceBuilder()
                        .withApiVersion("akri.sh/v0").withKind("Instance")
                        .withNewMetadata().withName(String.format("picow-blink-%06x", i)).withNamespace(namespace).endMetadata()
                        .addToAdditionalProperties("spec", Map.of("configurationName", "picow-blink", "cdiName", "akri.sh/picow-blink=" + i,
                                "capacity", 1, "shared", false, "nodes", List.of("edge-1"),
                                "brokerProperties", Map.of("DEVICE_ID", device, "HOST_ENDPOINT", "http://10.0.0.1:8080")))
                        .build();
                created.add(pool.submit(() -> admin.genericKubernetesResources(Akri.INSTANCE).inNamespace(namespace).resource(instance).create()));
            }
            for (Future<?> future : created) {
                future.get();
            }
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static int produceRollout(DevStack stack, TopicCatalog topics, String namespace, int instances) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        int events = 0;
        Instant t0 = Instant.now();
        FirmwareRef before = new FirmwareRef("blink", "1.0.0");
        FirmwareRef target = new FirmwareRef("blink", "1.1.0");
        String configuration = namespace + "/picow-blink";
        try (KafkaProducer<String, GenericContainer> producer = new KafkaProducer<>(props, new StringSerializer(),
                (AvroSerializer) new AvroSerializer<>(new SchemaRegistryClient(stack.endpoints().schemaRegistry()), false))) {
            for (int i = 0; i < instances; i++) {
                String device = "pico-" + i;
                String command = "cmd-" + i;
                FlashSummary accepted = FlashSummary.newBuilder().setCommandId(command).setConfiguration(configuration).setGeneration(1)
                        .setAttempt(1).setPhase(FlashPhase.ACCEPTED).setTarget(target).setStartedAt(t0).setUpdatedAt(t0).build();
                DeviceState inFlight = DeviceState.newBuilder().setDeviceId(device).setOnline(true).setMode(DeviceMode.APP)
                        .setConfiguration(configuration).setFirmware(before).setLastSeen(t0).setCurrentFlash(accepted)
                        .setEligibility(EligibilityClass.IN_FLIGHT).build();
                producer.send(new ProducerRecord<>(topics.deviceState().name(), device, inFlight));
                for (FlashPhase phase : List.of(FlashPhase.WRITING, FlashPhase.WRITING, FlashPhase.VERIFYING)) {
                    producer.send(new ProducerRecord<>(topics.flashProgress().name(), device, FlashProgress.newBuilder().setCommandId(command)
                            .setDeviceId(device).setConfiguration(configuration).setGeneration(1L).setPhase(phase)
                            .setBytesWritten(phase == FlashPhase.WRITING ? 300_000 : 600_000).setBytesTotal(600_000)
                            .setTarget(target).setWorker("w").setAt(t0.plusSeconds(events % 7 + 1)).build()));
                }
                DeviceState done = DeviceState.newBuilder(inFlight).setFirmware(target).setPreviousFirmware(before)
                        .setCurrentFlash(FlashSummary.newBuilder(accepted).setPhase(FlashPhase.SUCCEEDED).setBytesWritten(600_000)
                                .setBytesTotal(600_000).setUpdatedAt(t0.plusSeconds(20)).setFinishedAt(t0.plusSeconds(20)).build())
                        .setEligibility(EligibilityClass.UP_TO_DATE).build();
                producer.send(new ProducerRecord<>(topics.deviceState().name(), device, done));
                events += 5;
            }
            producer.flush();
        }
        return events;
    }

    /** Instances showing the finished update, read with a client that is not the bridge's. */
    private static int converged(KubernetesClient admin, String namespace) {
        int done = 0;
        for (GenericKubernetesResource instance : admin.genericKubernetesResources(Akri.INSTANCE).inNamespace(namespace).list().getItems()) {
            Object phase = instance.get("status", "update", "phase");
            Object version = instance.get("status", "firmware", "version");
            if ("SUCCEEDED".equals(phase) && "1.1.0".equals(version)) {
                done++;
            }
        }
        return done;
    }

    private static void waitFor(Duration timeout, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("not reached within " + timeout);
            }
            Thread.sleep(1000);
        }
    }
}
