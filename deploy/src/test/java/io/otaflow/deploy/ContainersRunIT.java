package io.otaflow.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.desired.FirmwareProperties;
import io.otaflow.bridge.desired.RolloutPolicyAnnotations;
import io.otaflow.cli.demo.EmbeddedAkriAgent;
import io.otaflow.connectors.discovery.DiscoveryDetails;
import io.otaflow.deploy.Manifests.Workload;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.FreePorts;
import io.otaflow.picowota.AppImage;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.fleet.Fleet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dev overlay's containers, started as the manifests specify them (args, env, ConfigMaps,
 * downward API, volumes) as processes of the otaflow command, against the embedded platform in
 * place of the cluster's: Kafka and the registry for the Strimzi cluster and the URL in
 * otaflow-platform, the fabric8 API server for the cluster's, the demo's Akri agent stand-in for
 * Akri's. They must become live and ready on their probe paths, roll the example Configuration's
 * firmware out to simulated devices, and serve every otaflow metric the Grafana dashboard reads.
 */
class ContainersRunIT {
    private static final Path DEV = Kustomize.DEPLOY.resolve("overlays/dev");
    private static final String NAMESPACE = "iot";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static DevStack stack;
    private static Fleet fleet;
    private static KubernetesClient kubernetes;
    private static EmbeddedAkriAgent agent;
    private static final List<Process> processes = new ArrayList<>();

    @TempDir
    static Path work;

    @BeforeAll
    static void platform() throws Exception {
        stack = DevStack.temporary().start();
        stack.createTopics(new TopicCatalog());
        fleet = Fleet.start(Fleet.Spec.of(2).withFirmware("blink", "1.0.0", 32 * 1024).withTiming(TimingProfile.FAST));
        kubernetes = stack.kubernetes().newClient();
        agent = new EmbeddedAkriAgent(Files.createDirectories(work.resolve("akri")), kubernetes, NAMESPACE, "node-1").start();
    }

    @AfterAll
    static void stop() throws Exception {
        for (Process process : processes) {
            process.destroy(); // SIGTERM, as the kubelet sends
        }
        for (Process process : processes) {
            if (!process.waitFor(100, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        for (AutoCloseable closeable : new AutoCloseable[]{agent, kubernetes, fleet, stack}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    void theDevOverlaysContainersRunRollOutAndServeTheDashboardsMetrics() throws Exception {
        Manifests m = OverlaysTest.rendered(DEV);
        KeyPair signer = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Map<String, Integer> opsPorts = new LinkedHashMap<>();
        for (Workload workload : m.workloads()) {
            for (Container container : workload.template().getSpec().getContainers()) {
                int port = FreePorts.next();
                opsPorts.put(workload.name(), port);
                processes.add(start(m, workload, container, port, Base64.getEncoder().encodeToString(signer.getPublic().getEncoded())));
            }
        }
        assertThat(opsPorts).containsOnlyKeys("otaflow-topology", "otaflow-flasher", "otaflow-akri-bridge", "otaflow-discovery");

        // Live and ready where the probes look.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (Map.Entry<String, Integer> ops : opsPorts.entrySet()) {
                assertThat(get(ops.getValue(), "/livez").statusCode()).as(ops.getKey() + " /livez").isEqualTo(200);
                assertThat(get(ops.getValue(), "/readyz").statusCode()).as(ops.getKey() + " /readyz").isEqualTo(200);
            }
        });

        // The example Configuration, pointed at the simulated devices and a signed image on disk.
        GenericKubernetesResource configuration = example();
        byte[] image = AppImage.build("blink", "1.1.0", 32 * 1024);
        Path file = Files.write(work.resolve("blink-1.1.0.bin"), image);
        Signature signature = Signature.getInstance("Ed25519");
        signature.initSign(signer.getPrivate());
        signature.update(image);
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) configuration.getAdditionalProperties().get("spec");
        StringBuilder endpoints = new StringBuilder();
        for (SimulatedDevice device : fleet.devices()) {
            endpoints.append("  - ").append(device.config().httpUrl()).append('\n');
        }
        spec.put("discoveryHandler", Map.of("name", "otaflow-http", "discoveryDetails",
                "configuration: " + NAMESPACE + "/picow-blink\npollInterval: 1s\ntimeout: 1s\nendpoints:\n" + endpoints));
        spec.put("brokerProperties", Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0", "FIRMWARE_URI", file.toUri().toString(),
                "FIRMWARE_SHA256", HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(image)),
                "FIRMWARE_SIGNATURE", Base64.getEncoder().encodeToString(signature.sign())));
        configuration.getMetadata().getAnnotations().put("otaflow.io/waves", "1,100%");
        configuration.getMetadata().getAnnotations().put("otaflow.io/wave-success-threshold", "1.0");
        kubernetes.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(NAMESPACE).resource(configuration).create();

        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            for (SimulatedDevice device : fleet.devices()) {
                assertThat(device.running().map(p -> p.version()).orElse(null)).as(device.id()).isEqualTo("1.1.0");
            }
            assertThat(scrape(opsPorts.get("otaflow-akri-bridge")))
                    .contains("otaflow_rollout_state{configuration=\"" + NAMESPACE + "/picow-blink\",state=\"COMPLETED\"} 1.0");
        });

        // What each service holds after a rollout, to size requests and limits from (Linux only).
        int index = 0;
        for (Map.Entry<String, Integer> ops : opsPorts.entrySet()) {
            Path status = Path.of("/proc", String.valueOf(processes.get(index++).pid()), "status");
            if (Files.exists(status)) {
                Files.readAllLines(status).stream().filter(line -> line.startsWith("VmRSS") || line.startsWith("VmHWM"))
                        .forEach(line -> System.out.println("BENCH container_memory " + ops.getKey() + " " + line.replaceAll("\\s+", " ")));
            }
        }
        Set<String> served = new TreeSet<>();
        for (int port : opsPorts.values()) {
            Matcher series = Pattern.compile("(?m)^([a-zA-Z_:][a-zA-Z0-9_:]*)").matcher(scrape(port));
            while (series.find()) {
                served.add(series.group(1));
            }
        }
        ConfigMap dashboard = m.find(ConfigMap.class, "otaflow", "otaflow-grafana-dashboard").orElseThrow();
        Set<String> read = DashboardMetrics.of(new ObjectMapper().readTree(dashboard.getData().get("otaflow-dashboard.json")));
        Set<String> missing = new TreeSet<>();
        for (String metric : read) {
            if (metric.startsWith("kafka_consumergroup_")) {
                continue; // Strimzi's Kafka Exporter; OverlaysTest checks it is enabled for otaflow's groups
            }
            if (!served.contains(metric)) {
                missing.add(metric);
            }
        }
        assertThat(missing).as("metrics the dashboard reads that no otaflow service serves").isEmpty();
    }

    /** deploy/examples/akri-configuration.yaml, checked as the bridge and the handler would read it. */
    private static GenericKubernetesResource example() throws Exception {
        GenericKubernetesResource example = Serialization.unmarshal(Files.readString(Kustomize.DEPLOY.resolve("examples/akri-configuration.yaml")),
                GenericKubernetesResource.class);
        assertThat(example.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        RolloutPolicyAnnotations.policy(example.getMetadata().getAnnotations());
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = (Map<String, Object>) example.getAdditionalProperties().get("spec");
        @SuppressWarnings("unchecked")
        Map<String, String> handler = (Map<String, String>) spec.get("discoveryHandler");
        assertThat(handler.get("name")).isEqualTo("otaflow-http");
        assertThat(DiscoveryDetails.parse(handler.get("discoveryDetails"))).isNotNull();
        @SuppressWarnings("unchecked")
        Map<String, String> properties = (Map<String, String>) spec.get("brokerProperties");
        assertThat(FirmwareProperties.parse(properties)).isPresent();
        return example;
    }

    /**
     * A container as a process: its args to the otaflow command, its environment as the kubelet
     * would build it, with only the addresses of this machine put in place of the cluster's.
     */
    private static Process start(Manifests m, Workload workload, Container container, int opsPort, String trustedKey) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (EnvFromSource from : container.getEnvFrom()) {
            if (from.getSecretRef() != null) {
                // The user's credentials Secret, as a secured Kafka would have it: settings that are valid and harmless here.
                env.putAll(Map.of("OTAFLOW_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT",
                        "OTAFLOW_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO", "otaflow:not-checked-by-the-embedded-registry"));
                continue;
            }
            env.putAll(m.find(ConfigMap.class, workload.namespace(), from.getConfigMapRef().getName()).orElseThrow().getData());
        }
        Path pod = Files.createDirectories(work.resolve(workload.name()));
        for (EnvVar var : container.getEnv()) {
            if (var.getValue() != null) {
                env.put(var.getName(), var.getValue());
            } else {
                String field = var.getValueFrom().getFieldRef().getFieldPath();
                env.put(var.getName(), switch (field) {
                    case "metadata.name" -> workload.name() + "-0";
                    case "metadata.namespace" -> workload.namespace();
                    case "status.podIP" -> "127.0.0.1";
                    case "spec.nodeName" -> "node-1";
                    default -> throw new AssertionError("downward API field " + field);
                });
            }
        }
        // Volumes: each mount path becomes a folder of this Pod's.
        for (VolumeMount mount : container.getVolumeMounts()) {
            Path local = Files.createDirectories(pod.resolve(mount.getMountPath().substring(1)));
            env.replaceAll((k, v) -> v.startsWith(mount.getMountPath()) ? local + v.substring(mount.getMountPath().length()) : v);
        }
        env.replaceAll((k, v) -> k.equals("DISCOVERY_HANDLERS_DIRECTORY") ? agent.directory().toString() : v);
        // The cluster's addresses, as this machine has them; loopback in place of 0.0.0.0.
        env.put("OTAFLOW_KAFKA_BOOTSTRAP", stack.endpoints().kafka());
        env.put("OTAFLOW_SCHEMA_REGISTRY_URL", stack.endpoints().schemaRegistry());
        int declared = container.getPorts().stream().filter(p -> p.getName().equals("ops")).map(ContainerPort::getContainerPort).findFirst().orElseThrow();
        assertThat(env.get("OTAFLOW_OPS_LISTEN")).isEqualTo("0.0.0.0:" + declared);
        env.put("OTAFLOW_OPS_LISTEN", "127.0.0.1:" + opsPort);
        if (env.containsKey("OTAFLOW_TOPOLOGY_HTTP_HOST")) {
            env.put("OTAFLOW_TOPOLOGY_HTTP_HOST", "127.0.0.1");
            env.put("OTAFLOW_TOPOLOGY_HTTP_PORT", String.valueOf(FreePorts.next()));
        }
        if (env.containsKey("OTAFLOW_FLASHER_TRUSTED_KEYS")) {
            env.put("OTAFLOW_FLASHER_TRUSTED_KEYS", trustedKey); // what an overlay sets: the key the images are signed with
            env.put("OTAFLOW_FLASHER_POST_CONNECT_PAUSE_MS", "100");
        }
        if (container.getArgs().getFirst().equals("bridge")) {
            // In a Pod: the service account's token and the API server's address; here the embedded API.
            env.put("KUBERNETES_MASTER", stack.endpoints().kubernetes());
            env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
            env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
            env.put("KUBERNETES_HTTP2_DISABLE", "true");
            env.put("KUBERNETES_NAMESPACE", workload.namespace());
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m", "-cp", System.getProperty("java.class.path"), "io.otaflow.cli.Otaflow"));
        command.addAll(container.getArgs());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(Files.createDirectories(Path.of("target", "containers")).resolve(workload.name() + ".log").toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("OTAFLOW_") || name.startsWith("KUBERNETES_"));
        builder.environment().putAll(env);
        return builder.start();
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("nothing answers on " + port + path + " yet: " + e);
        }
    }

    private static String scrape(int port) throws Exception {
        HttpResponse<String> response = get(port, "/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

}
