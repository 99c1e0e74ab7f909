package io.otaflow.cli.demo;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.bridge.AkriBridge;
import io.otaflow.bridge.BridgeConfig;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.desired.RolloutPolicyAnnotations;
import io.otaflow.connectors.discovery.DiscoveryHandler;
import io.otaflow.connectors.discovery.DiscoveryHandlerConfig;
import io.otaflow.devstack.DevStack;
import io.otaflow.flasher.FlasherWorker;
import io.otaflow.flasher.FlasherWorkerConfig;
import io.otaflow.flasher.FlasherWorkerMain;
import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.BinaryInfo;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutReason;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.fleet.FaultPlan;
import io.otaflow.simulators.fleet.Fleet;
import io.otaflow.topology.TopologyApp;
import io.otaflow.topology.TopologyConfig;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * The main job on the embedded default, all in one process: the platform, a simulated Pico W
 * fleet, an Akri agent stand-in, otaflow's discovery handler, the topology, two flasher workers
 * and the bridge. It applies an Akri Configuration that discovers the fleet on blink 1.0.0, then
 * changes it to 1.1.0 under a wave policy, shows the rollout as it happens, and judges the result
 * from the devices themselves.
 */
public final class DemoRun implements AutoCloseable {
    public static final String NAMESPACE = "default";
    public static final String CONFIGURATION = "picow-blink";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What to run. */
    public record Options(int devices, String faults, TimingProfile timing, int imageBytes, int maxInFlight, String waves,
                          double waveSuccessThreshold, long seed, Duration timeout, Path workDir) {
        public static Options defaults(Path workDir) {
            return new Options(50, "locked=4%,drop-after:48KiB=2%,no-boot=2%,unreachable:10m=2%", TimingProfile.FAST,
                    96 * 1024, 10, "10%,50%,100%", 0.75, 42, Duration.ofMinutes(10), workDir);
        }
    }

    private final Options options;
    private final PrintWriter out;
    private final List<AutoCloseable> started = new ArrayList<>();
    private final List<String> operatorResumes = new ArrayList<>();
    private DevStack stack;
    private Fleet fleet;
    private FleetWatch watch;
    private KubernetesClient kubernetes;
    private Path kubeconfig;
    private TopicCatalog topics;

    public DemoRun(Options options, PrintWriter out) {
        this.options = options;
        this.out = out;
    }

    public DevStack stack() {
        return stack;
    }

    /** The kubeconfig written for the embedded Kubernetes API (null before the platform is up). */
    public Path kubeconfig() {
        return kubeconfig;
    }

    public KubernetesClient kubernetes() {
        return kubernetes;
    }

    public DemoSummary run(ProgressView view) throws Exception {
        long startedAt = System.nanoTime();
        stack = DevStack.temporary().start();
        started.add(stack);
        topics = new TopicCatalog();
        stack.createTopics(topics);
        out.printf("platform up in %.1f s: Kafka %s, registry %s, Kubernetes API %s%n", seconds(startedAt),
                stack.endpoints().kafka(), stack.endpoints().schemaRegistry(), stack.endpoints().kubernetes());
        kubeconfig = stack.kubernetes().writeKubeconfig(options.workDir().resolve("kubeconfig"));
        out.printf("kubectl: export KUBECONFIG=%s%n", kubeconfig);

        fleet = Fleet.start(Fleet.Spec.of(options.devices()).withFirmware("blink", "1.0.0", options.imageBytes())
                .withTiming(options.timing()).withFaults(FaultPlan.parse(options.faults())).withSeed(options.seed()));
        started.add(fleet);
        Map<String, Integer> faultCounts = new TreeMap<>();
        fleet.devices().forEach(d -> faultCounts.merge(fleet.label(d.id()), 1, Integer::sum));
        out.printf("fleet: %d simulated Pico W on blink 1.0.0 (%s)%n", options.devices(), faultCounts);

        Path images = Files.createDirectories(options.workDir().resolve("images"));
        KeyPair signer = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String trustedKey = Base64.getEncoder().encodeToString(signer.getPublic().getEncoded());
        Image v100 = image(images, "1.0.0", signer);
        Image v110 = image(images, "1.1.0", signer);

        kubernetes = stack.kubernetes().newClient();
        started.add(kubernetes);
        Path akriDirectory = Files.createDirectories(options.workDir().resolve("akri"));
        started.add(new EmbeddedAkriAgent(akriDirectory, kubernetes, NAMESPACE, "demo-node").start());
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        String kafka = stack.endpoints().kafka();
        started.add(new DiscoveryHandler(DiscoveryHandlerConfig.fromEnvironment(Map.of(), Map.of(
                DiscoveryHandlerConfig.MODE, "akri", DiscoveryHandlerConfig.SOCKET_DIRECTORY, akriDirectory.toString(),
                DiscoveryHandlerConfig.NODE, "demo-node",
                DiscoveryHandlerConfig.KAFKA_BOOTSTRAP, kafka, DiscoveryHandlerConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry())),
                new SimpleMeterRegistry()).start());
        started.add(new TopologyApp(TopologyConfig.fromEnvironment(Map.of(), Map.of(
                TopologyConfig.KAFKA_BOOTSTRAP, kafka, TopologyConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(),
                TopologyConfig.STATE_DIR, Files.createDirectories(options.workDir().resolve("streams")).toString(),
                TopologyConfig.GATE_INTERVAL_MS, "250"))).start());
        for (String worker : List.of("flasher-1", "flasher-2")) {
            FlasherWorker flasher = FlasherWorkerMain.start(Map.of(FlasherWorkerConfig.KAFKA_BOOTSTRAP, kafka,
                    FlasherWorkerConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(), FlasherWorkerConfig.TRUSTED_KEYS, trustedKey,
                    FlasherWorkerConfig.WORKER_ID, worker, FlasherWorkerConfig.POST_CONNECT_PAUSE_MS, "100",
                    FlasherWorkerConfig.CACHE_DIR, Files.createDirectories(options.workDir().resolve(worker)).toString()));
            started.add(flasher);
        }
        Map<String, Object> bridgeConfig = new HashMap<>();
        bridgeConfig.put(BridgeConfig.KAFKA_BOOTSTRAP, kafka);
        bridgeConfig.put(BridgeConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry());
        bridgeConfig.put(BridgeConfig.LEASE_NAMESPACE, NAMESPACE);
        bridgeConfig.put(BridgeConfig.STATUS_BATCH_MS, 200L);
        bridgeConfig.put(BridgeConfig.STATUS_RATE, 500);
        KubernetesClient bridgeClient = stack.kubernetes().newClient();
        started.add(bridgeClient);
        AkriBridge bridge = new AkriBridge(new BridgeConfig(bridgeConfig), bridgeClient, registry,
                new SimpleMeterRegistry(), java.time.Clock.systemUTC()).start();
        started.add(bridge);
        watch = new FleetWatch(kafka, registry, topics).start();
        started.add(watch);
        out.printf("services up in %.1f s: Akri agent stand-in, discovery handler, topology, 2 flasher workers, akri-bridge%n", seconds(startedAt));
        out.flush();

        // 1. Discover the fleet under a Configuration that names the firmware it already runs.
        String key = NAMESPACE + "/" + CONFIGURATION;
        kubernetes.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(NAMESPACE).resource(configuration(v100, Map.of())).create();
        Set<String> reachable = new HashSet<>();
        fleet.devices().stream().filter(d -> !fleet.label(d.id()).equals("unreachable")).forEach(d -> reachable.add(d.id()));
        view.phase("discovering " + reachable.size() + " reachable devices (blink 1.0.0)");
        await(Duration.ofMinutes(3), () -> {
            RolloutStatus status = watch.rollouts.get(key);
            long known = reachable.stream().filter(id -> watch.devices.containsKey(id) && watch.devices.get(id).getFirmware() != null).count();
            view.discovery((int) known, reachable.size(), status);
            return known >= reachable.size() && status != null && status.getState() == RolloutState.COMPLETED
                    && status.getCounts().getTotal() >= reachable.size();
        });
        Map<String, Integer> before = versions();
        Map<String, Long> resetsBefore = new HashMap<>();
        fleet.devices().forEach(d -> resetsBefore.put(d.id(), d.resets()));
        long generationBefore = watch.rollouts.get(key).getGeneration();

        // 2. The update: 1.1.0 under a wave policy.
        long updateStart = System.nanoTime();
        // A merge patch, not an edit: the bridge writes the Configuration's status meanwhile, and an
        // edit carrying the old resourceVersion would be refused (409).
        Map<String, Object> change = Map.of("metadata", Map.of("annotations", annotations()),
                "spec", Map.of("brokerProperties", configuration(v110, Map.of()).get("spec", "brokerProperties")));
        kubernetes.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(NAMESPACE).withName(CONFIGURATION)
                .patch(PatchContext.of(PatchType.JSON_MERGE), JSON.writeValueAsString(change));
        view.phase("updating to blink 1.1.0 (waves " + options.waves() + ", at most " + options.maxInFlight() + " in flight)");
        RolloutStatus[] last = new RolloutStatus[1];
        long[] quietSince = {0};
        Set<Integer> resumedWaves = new HashSet<>();
        await(options.timeout(), () -> {
            RolloutStatus status = watch.rollouts.get(key);
            if (status == null || status.getGeneration() <= generationBefore) {
                return false;
            }
            last[0] = status;
            view.rollout(status, watch, seconds(updateStart));
            if (status.getState() == RolloutState.PAUSED && status.getReasonCode() == RolloutReason.WAVE_MISSED
                    && resumedWaves.add(status.getWave())) {
                resumeAsAnOperator(view, status);
            }
            boolean stuck = status.getCounts().getInFlight() == 0 && status.getCounts().getEligible() == 0;
            if (!stuck) {
                quietSince[0] = 0;
            } else if (quietSince[0] == 0) {
                quietSince[0] = System.nanoTime();
            }
            return status.getState() == RolloutState.COMPLETED || status.getState() == RolloutState.ABORTED
                    || (quietSince[0] != 0 && System.nanoTime() - quietSince[0] > Duration.ofSeconds(10).toNanos());
        });
        double wall = seconds(updateStart);
        // Let status reach the Instances before the table shows them (best effort: the verdict does not depend on it).
        try {
            await(Duration.ofSeconds(30), () -> bridge.idle() && instancesShowWhatTheDevicesRun());
        } catch (IllegalStateException e) {
            out.println("(Instance status still being written; the table may lag)");
        }
        return judge(last[0], before, resetsBefore, wall);
    }

    /**
     * A wave that missed its success threshold pauses the rollout for an operator's decision. The
     * demo's fault mix can put a faulty device in a small canary, so the demo takes that decision
     * as {@code otaflow rollout resume} would, and says so in the summary.
     */
    private void resumeAsAnOperator(ProgressView view, RolloutStatus status) {
        String why = status.getReason() + "; resumed as `otaflow rollout resume " + NAMESPACE + "/" + CONFIGURATION + "` would";
        view.phase("paused: " + why);
        operatorResumes.add(why);
        String patch;
        try {
            patch = JSON.writeValueAsString(Map.of("metadata", Map.of("annotations", Map.of(RolloutPolicyAnnotations.RESUMED_AT, Instant.now().toString()))));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        kubernetes.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(NAMESPACE).withName(CONFIGURATION)
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }

    /** Every discovered device's Instance reports the version the device runs (a flash's result reaches it before the next poll). */
    private boolean instancesShowWhatTheDevicesRun() {
        Map<String, String> running = new HashMap<>();
        fleet.devices().forEach(d -> d.running().ifPresent(p -> running.put(d.id(), p.version())));
        for (GenericKubernetesResource instance : kubernetes.genericKubernetesResources(Akri.INSTANCE).inNamespace(NAMESPACE).list().getItems()) {
            String device = String.valueOf(Akri.brokerProperties(instance).get("DEVICE_ID"));
            String shown = instance.get("status", "firmware", "version");
            if (running.containsKey(device) && !running.get(device).equals(shown)) {
                return false;
            }
        }
        return true;
    }

    private DemoSummary judge(RolloutStatus rollout, Map<String, Integer> before, Map<String, Long> resetsBefore, double wall) {
        int updated = 0;
        int locked = 0;
        int rolledBack = rollout == null ? 0 : rollout.getCounts().getRolledBack();
        Map<String, Integer> failuresByCode = new TreeMap<>();
        List<String> unexplained = new ArrayList<>();
        List<String> healthyMissed = new ArrayList<>();
        List<String> lockedTouched = new ArrayList<>();
        Set<String> commanded = new HashSet<>();
        for (FlashCommand command : watch.commands) {
            commanded.add(command.getDeviceId());
        }
        for (SimulatedDevice device : fleet.devices()) {
            String id = device.id();
            String label = fleet.label(id);
            boolean atTarget = device.running().map(BinaryInfo.ProgramInfo::version).filter("1.1.0"::equals).isPresent();
            DeviceState state = watch.devices.get(id);
            if (device.config().locked() || label.equals("locked")) {
                locked++;
                if (commanded.contains(id) || device.resets() != resetsBefore.get(id)) {
                    lockedTouched.add(id);
                }
                continue;
            }
            if (atTarget) {
                updated++;
                continue;
            }
            if (label.equals("healthy")) {
                healthyMissed.add(id);
            }
            String reason = explanation(state);
            if (reason == null) {
                unexplained.add(id + " (" + label + ")");
            } else {
                failuresByCode.merge(reason, 1, Integer::sum);
            }
        }
        int failed = options.devices() - updated - locked;
        Map<String, Integer> seen = new HashMap<>();
        int duplicates = 0;
        for (FlashCommand c : watch.commands) {
            String identity = c.getDeviceId() + "/" + c.getGeneration() + "/" + c.getAttempt() + "/" + c.getRollback();
            if (seen.merge(identity, 1, Integer::sum) > 1) {
                duplicates++;
            }
        }
        List<Double> durations = watch.finished.stream().filter(f -> f.terminal().getPhase() == FlashPhase.SUCCEEDED)
                .map(f -> f.took().toMillis() / 1000.0).sorted().toList();
        long flashed = watch.commands.stream().map(FlashCommand::getDeviceId).distinct().count();
        double perFlash = options.timing().flashLowerBound(options.imageBytes()).toMillis() / 1000.0;
        double bound = perFlash * Math.ceil(flashed / (double) options.maxInFlight());
        double boot = options.timing().networkUp().plus(options.timing().appStart()).toMillis() / 1000.0;
        double slowestNoBoot = watch.noBootVerdicts.stream().mapToLong(Duration::toMillis).max().orElse(0) / 1000.0;
        boolean passed = healthyMissed.isEmpty() && lockedTouched.isEmpty() && unexplained.isEmpty() && duplicates == 0;
        return new DemoSummary(options.devices(), updated, locked, failed, rolledBack,
                rollout == null ? 0 : rollout.getCounts().getSkipped(), duplicates, round(wall), round(bound),
                round(percentile(durations, 0.50)), round(percentile(durations, 0.95)),
                round(boot), watch.noBootVerdicts.size(), round(slowestNoBoot), rollout == null ? "UNKNOWN" : rollout.getState().name(),
                before, versions(), failuresByCode, unexplained, healthyMissed, lockedTouched, List.copyOf(operatorResumes), passed);
    }

    /** Why a device is not at the target, from what otaflow recorded about it; null if nothing explains it. */
    private static String explanation(DeviceState state) {
        if (state == null) {
            return "UNREACHABLE"; // never discovered
        }
        FlashSummary flash = state.getCurrentFlash();
        if (flash != null && flash.getLastError() != null) {
            return flash.getLastError().getCode().name();
        }
        if (flash != null && flash.getRollback() && flash.getPhase() == FlashPhase.SUCCEEDED) {
            return "ROLLED_BACK";
        }
        if (!state.getOnline()) {
            return "OFFLINE";
        }
        if (state.getEligibility() != null) {
            return switch (state.getEligibility()) {
                case LOCKED, TYPE_MISMATCH, DOWNGRADE_REFUSED, OFFLINE -> state.getEligibility().name();
                default -> null;
            };
        }
        return null;
    }

    private Map<String, Integer> versions() {
        Map<String, Integer> versions = new TreeMap<>();
        for (SimulatedDevice device : fleet.devices()) {
            String running = device.running().map(p -> p.name() + " " + p.version()).orElse("unknown");
            versions.merge(running, 1, Integer::sum);
        }
        return versions;
    }

    private Map<String, String> annotations() {
        Map<String, String> annotations = new HashMap<>();
        annotations.put("otaflow.io/max-in-flight", String.valueOf(options.maxInFlight()));
        annotations.put("otaflow.io/waves", options.waves());
        annotations.put("otaflow.io/wave-success-threshold", String.valueOf(options.waveSuccessThreshold()));
        annotations.put("otaflow.io/max-attempts", "3");
        annotations.put("otaflow.io/retry-backoff", "1s");
        annotations.put("otaflow.io/device-timeout", "2m");
        return annotations;
    }

    private GenericKubernetesResource configuration(Image image, Map<String, String> annotations) {
        StringBuilder endpoints = new StringBuilder();
        for (SimulatedDevice device : fleet.devices()) {
            endpoints.append("  - http://").append(device.config().http().getHostString()).append(':').append(device.config().http().getPort()).append('\n');
        }
        String details = "configuration: " + NAMESPACE + "/" + CONFIGURATION + "\npollInterval: 1s\ntimeout: 1s\nmissesBeforeAbsent: 3\nendpoints:\n" + endpoints;
        Map<String, Object> spec = new HashMap<>();
        spec.put("discoveryHandler", Map.of("name", "otaflow-http", "discoveryDetails", details));
        spec.put("capacity", 1);
        spec.put("brokerProperties", Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", image.version(),
                "FIRMWARE_URI", image.file().toUri().toString(), "FIRMWARE_SHA256", image.sha256(), "FIRMWARE_SIGNATURE", image.signature()));
        GenericKubernetesResource resource = new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                .withApiVersion(Akri.GROUP + "/" + Akri.VERSION).withKind("Configuration")
                .withNewMetadata().withName(CONFIGURATION).withNamespace(NAMESPACE).withAnnotations(new HashMap<>(annotations)).endMetadata()
                .build();
        resource.setAdditionalProperty("spec", spec);
        return resource;
    }

    /** A firmware image on disk, its digest and its Ed25519 signature. */
    record Image(String version, Path file, String sha256, String signature) {
    }

    private Image image(Path dir, String version, KeyPair signer) throws Exception {
        byte[] bytes = AppImage.build("blink", version, options.imageBytes());
        Path file = Files.write(dir.resolve("blink-" + version + ".bin"), bytes);
        Signature signature = Signature.getInstance("Ed25519");
        signature.initSign(signer.getPrivate());
        signature.update(bytes);
        return new Image(version, file, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
                Base64.getEncoder().encodeToString(signature.sign()));
    }

    private static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("gave up after " + timeout.toSeconds() + " s");
            }
            Thread.sleep(250);
        }
    }

    private static double percentile(List<Double> sorted, double p) {
        return sorted.isEmpty() ? 0 : sorted.get((int) Math.min(sorted.size() - 1, Math.floor(p * sorted.size())));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    @Override
    public void close() {
        for (AutoCloseable closeable : started.reversed()) {
            try {
                closeable.close();
            } catch (Exception e) {
                // shutting down: nothing left to save
            }
        }
    }
}
