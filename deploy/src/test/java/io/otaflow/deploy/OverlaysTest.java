package io.otaflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.otaflow.connectors.mqtt.MqttSourceConfig;
import io.otaflow.deploy.Manifests.Workload;
import io.otaflow.flasher.FlasherWorkerConfig;
import io.otaflow.schemas.topics.Topic;
import io.otaflow.schemas.topics.TopicCatalog;
import io.strimzi.api.kafka.model.connect.KafkaConnect;
import io.strimzi.api.kafka.model.connector.KafkaConnector;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.w3c.dom.Document;
import picocli.CommandLine.Model.CommandSpec;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Every overlay, rendered with {@code kubectl kustomize} and parsed into typed objects, checked
 * against the code it deploys: topics against the catalog, settings and arguments against each
 * service's definition, images against the Jib build, RBAC against the bridge's modes, and every
 * selector, port and reference against what it points to.
 */
class OverlaysTest {
    private static final Map<Path, Manifests> RENDERED = new ConcurrentHashMap<>();
    private static final Set<String> OTAFLOW_NAMESPACES = Set.of("otaflow", "otaflow-node");
    /** The one Pod allowed to run as root, and why (see its DaemonSet). */
    private static final Map<String, String> ROOT_ALLOWED = Map.of("otaflow-node/otaflow-discovery",
            "connects to the Akri agent's root-owned registration socket");

    static List<Path> overlays() throws Exception {
        List<Path> overlays = Kustomize.overlays();
        assertThat(overlays).as("overlays under deploy/overlays").hasSizeGreaterThanOrEqualTo(4);
        return overlays;
    }

    static Manifests rendered(Path overlay) {
        return RENDERED.computeIfAbsent(overlay, dir -> {
            try {
                return Manifests.parse(dir.getFileName().toString(), Kustomize.render(dir));
            } catch (Exception e) {
                throw new AssertionError("cannot render " + dir + ": " + e.getMessage(), e);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyObjectParsesIntoItsTypedModelWithNoUnknownField(Path overlay) {
        Manifests m = rendered(overlay);
        assertThat(m.objects()).isNotEmpty();
        List<String> unknown = new ArrayList<>();
        for (HasMetadata object : m.objects()) {
            assertThat(object.getMetadata().getName()).as("name of a " + object.getKind()).isNotBlank();
            if (object instanceof GenericKubernetesResource generic) {
                // Kinds without a Java model here (KEDA): at least they must be ones this test knows.
                assertThat(generic.getApiVersion() + "/" + generic.getKind()).as(m.overlay() + ": an object with no typed model")
                        .isIn("keda.sh/v1alpha1/ScaledObject");
                continue;
            }
            UnknownFields.of(object).forEach(field -> unknown.add(object.getKind() + " " + object.getMetadata().getName() + ": " + field));
            boolean clusterScoped = object instanceof Namespace || object instanceof ClusterRole || object instanceof ClusterRoleBinding
                    || object.getKind().equals("CustomResourceDefinition");
            if (!clusterScoped) {
                assertThat(object.getMetadata().getNamespace()).as(m.overlay() + ": namespace of " + object.getKind() + " "
                        + object.getMetadata().getName()).isIn(OTAFLOW_NAMESPACES);
            }
        }
        assertThat(unknown).as(m.overlay() + ": fields the typed models do not know").isEmpty();
        Set<String> ids = new HashSet<>();
        for (HasMetadata object : m.objects()) {
            assertThat(ids.add(object.getApiVersion() + " " + object.getKind() + " " + object.getMetadata().getNamespace() + "/"
                    + object.getMetadata().getName())).as("duplicate " + object.getKind() + " " + object.getMetadata().getName()).isTrue();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theKafkaTopicsAreExactlyTheCatalogsTopics(Path overlay) {
        Manifests m = rendered(overlay);
        List<KafkaTopic> topics = m.all(KafkaTopic.class);
        if (topics.isEmpty()) {
            assertThat(m.all(Kafka.class)).as("a Strimzi Kafka without KafkaTopics").isEmpty();
            return;
        }
        TopicCatalog catalog = new TopicCatalog(m.platform().get("OTAFLOW_TOPIC_PREFIX"), TopicCatalog.DEFAULT_PARTITIONS);
        Map<String, KafkaTopic> byName = topics.stream().collect(Collectors.toMap(t -> t.getSpec().getTopicName(), t -> t));
        assertThat(byName.keySet()).as(m.overlay() + ": KafkaTopic names").containsExactlyInAnyOrderElementsOf(
                catalog.all().stream().map(Topic::name).toList());
        Kafka kafka = single(m, Kafka.class);
        int brokers = m.all(KafkaNodePool.class).stream().filter(pool -> pool.getSpec().getRoles().contains(ProcessRoles.BROKER))
                .mapToInt(pool -> pool.getSpec().getReplicas()).sum();
        int minIsr = Integer.parseInt(String.valueOf(kafka.getSpec().getKafka().getConfig().getOrDefault("min.insync.replicas", 1)));
        for (Topic<?> topic : catalog.all()) {
            KafkaTopic resource = byName.get(topic.name());
            assertThat(resource.getMetadata().getLabels()).as(topic.name() + " cluster label").containsEntry("strimzi.io/cluster",
                    kafka.getMetadata().getName());
            assertThat(resource.getSpec().getPartitions()).as(topic.name() + " partitions").isEqualTo(topic.partitions());
            Map<String, String> config = new HashMap<>();
            resource.getSpec().getConfig().forEach((k, v) -> config.put(k, String.valueOf(v)));
            assertThat(config).as(topic.name() + " config").containsExactlyInAnyOrderEntriesOf(topic.configs());
            // At most the brokers; above min.insync.replicas, so one broker's loss does not stop writes (one-broker clusters aside).
            int replicas = resource.getSpec().getReplicas();
            assertThat(replicas).as(topic.name() + " replicas").isBetween(brokers == 1 ? 1 : minIsr + 1, brokers);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void servicesFindKafkaTheRegistryAndEachOtherWhereTheyAre(Path overlay) {
        Manifests m = rendered(overlay);
        Map<String, String> platform = m.platform();
        // One ConfigMap is the truth; the discovery handler's namespace holds a copy.
        assertThat(m.find(ConfigMap.class, "otaflow-node", "otaflow-platform").orElseThrow().getData())
                .as(m.overlay() + ": otaflow-node's copy of the platform settings").isEqualTo(platform);
        assertThat(platform.get("OTAFLOW_SCHEMA_REGISTRY_URL")).matches("https?://[^\\s/]+.*");
        assertThatCode(() -> new TopicCatalog(platform.get("OTAFLOW_TOPIC_PREFIX"), 1)).doesNotThrowAnyException();
        for (String server : platform.get("OTAFLOW_KAFKA_BOOTSTRAP").split(",")) {
            assertThat(server).as("bootstrap server").matches("[a-zA-Z0-9.-]+:\\d+");
        }
        List<Kafka> kafkas = m.all(Kafka.class);
        if (!kafkas.isEmpty()) {
            Kafka kafka = kafkas.getFirst();
            GenericKafkaListener plain = kafka.getSpec().getKafka().getListeners().stream().filter(l -> !l.isTls()).findFirst().orElseThrow();
            String service = kafka.getMetadata().getName() + "-kafka-bootstrap";
            assertThat(platform.get("OTAFLOW_KAFKA_BOOTSTRAP")).as(m.overlay() + ": the services' Kafka is the Strimzi cluster's bootstrap")
                    .isEqualTo(service + "." + kafka.getMetadata().getNamespace() + ".svc:" + plain.getPort());
            for (KafkaConnect connect : m.all(KafkaConnect.class)) {
                assertThat(connect.getSpec().getBootstrapServers()).isIn(service + ":" + plain.getPort(),
                        platform.get("OTAFLOW_KAFKA_BOOTSTRAP"));
            }
            assertThat(kafka.getSpec().getKafkaExporter()).as("Kafka Exporter (consumer lag for the dashboard and the HPA)").isNotNull();
            assertThat("otaflow-flasher").matches(kafka.getSpec().getKafkaExporter().getGroupRegex());
            assertThat(new TopicCatalog(platform.get("OTAFLOW_TOPIC_PREFIX"), 1).flashCommands().name())
                    .matches(kafka.getSpec().getKafkaExporter().getTopicRegex());
            for (KafkaNodePool pool : m.all(KafkaNodePool.class)) {
                assertThat(pool.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", kafka.getMetadata().getName());
            }
            // Strimzi turns the listener's peers into its NetworkPolicy: otaflow's Pods in both namespaces
            // (namespace AND Pod selector of one peer), Kafka Connect's Pods, and KEDA's operator when it scales.
            for (Workload workload : m.workloads()) {
                assertThat(plain.getNetworkPolicyPeers()).as("listener peers admit " + workload.id()).anyMatch(peer ->
                        (peer.getNamespaceSelector() == null || workload.namespace().equals(peer.getNamespaceSelector().getMatchLabels()
                                .get("kubernetes.io/metadata.name")))
                                && (peer.getPodSelector() == null || matches(peer.getPodSelector(), workload.template().getMetadata().getLabels()))
                                && (peer.getNamespaceSelector() != null || workload.namespace().equals(kafka.getMetadata().getNamespace())));
            }
            if (!m.all(KafkaConnect.class).isEmpty()) {
                assertThat(plain.getNetworkPolicyPeers()).as("listener peers admit Kafka Connect").anyMatch(peer -> peer.getPodSelector() != null
                        && "KafkaConnect".equals(peer.getPodSelector().getMatchLabels().get("strimzi.io/kind")));
            }
            if (!m.kind("ScaledObject").isEmpty()) {
                assertThat(plain.getNetworkPolicyPeers()).as("listener peers admit KEDA's operator").anyMatch(peer -> peer.getNamespaceSelector() != null
                        && "keda".equals(peer.getNamespaceSelector().getMatchLabels().get("kubernetes.io/metadata.name")));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theMqttConnectorIsOtaflowsWithValidSettingsAndReadableSecrets(Path overlay) throws Exception {
        Manifests m = rendered(overlay);
        for (KafkaConnector connector : m.all(KafkaConnector.class)) {
            String cluster = connector.getMetadata().getLabels().get("strimzi.io/cluster");
            KafkaConnect connect = m.find(KafkaConnect.class, connector.getMetadata().getNamespace(), cluster)
                    .orElseThrow(() -> new AssertionError("KafkaConnector " + connector.getMetadata().getName() + " names no KafkaConnect " + cluster));
            assertThat(connect.getMetadata().getAnnotations()).containsEntry("strimzi.io/use-connector-resources", "true");
            Class<?> type = Class.forName(connector.getSpec().getClassName());
            assertThat(org.apache.kafka.connect.source.SourceConnector.class).isAssignableFrom(type);
            Map<String, Object> config = new LinkedHashMap<>(connector.getSpec().getConfig());
            assertThat(config.get(MqttSourceConfig.SCHEMA_REGISTRY_URL)).isEqualTo(m.platform().get("OTAFLOW_SCHEMA_REGISTRY_URL"));
            assertThat(config.get(MqttSourceConfig.TOPIC_PREFIX)).isEqualTo(m.platform().get("OTAFLOW_TOPIC_PREFIX"));
            Set<String> connectKeys = Set.of("key.converter", "value.converter");
            Set<String> unknown = new TreeSet<>(config.keySet());
            unknown.removeAll(MqttSourceConfig.DEFINITION.names());
            unknown.removeAll(connectKeys);
            assertThat(unknown).as("connector settings the connector does not define").isEmpty();
            // Secrets come through Strimzi's config provider, readable by exactly the Connect service account.
            Pattern secretRef = Pattern.compile("\\$\\{secrets:([^/]+)/([^:]+):[^}]+}");
            for (Object value : config.values()) {
                Matcher ref = secretRef.matcher(String.valueOf(value));
                while (ref.find()) {
                    String subject = connect.getMetadata().getName() + "-connect";
                    assertThat(rulesFor(m, ref.group(1), subject)).as("Connect's " + subject + " may read Secret " + ref.group(2))
                            .anyMatch(rule -> rule.getResources().contains("secrets") && rule.getVerbs().contains("get")
                                    && rule.getResourceNames().contains(ref.group(2)));
                    assertThat(connect.getSpec().getConfig()).containsKey("config.providers");
                }
            }
            Map<String, Object> parsed = new HashMap<>(config);
            parsed.replaceAll((k, v) -> String.valueOf(v));
            connectKeys.forEach(parsed::remove);
            assertThatCode(() -> MqttSourceConfig.DEFINITION.parse(parsed)).doesNotThrowAnyException();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyContainerRunsAnOtaflowCommandWithSettingsItReads(Path overlay) {
        Manifests m = rendered(overlay);
        for (Workload workload : m.workloads()) {
            for (Container container : workload.template().getSpec().getContainers()) {
                String where = m.overlay() + ": " + workload.id() + " container " + container.getName();
                CommandSpec command = ServiceContracts.command(container.getArgs());
                Map<String, String> reads = ServiceContracts.variables(command);
                Map<String, String> literal = new HashMap<>();
                for (EnvVar env : container.getEnv()) {
                    assertThat(reads).as(where + ": env " + env.getName() + " is read by '" + command.name() + "'").containsKey(env.getName());
                    if (env.getValue() != null) {
                        literal.put(env.getName(), env.getValue());
                    } else {
                        assertThat(env.getValueFrom().getFieldRef()).as(where + ": " + env.getName() + " from the downward API").isNotNull();
                    }
                }
                for (EnvFromSource from : container.getEnvFrom()) {
                    if (from.getSecretRef() != null) {
                        // The user's Secret, not in the manifests: only the optional credentials one, whose keys the service checks at start.
                        assertThat(from.getSecretRef().getName()).as(where + " Secret").isEqualTo("otaflow-kafka-credentials");
                        assertThat(from.getSecretRef().getOptional()).as(where + " optional Secret").isTrue();
                        continue;
                    }
                    ConfigMap map = m.find(ConfigMap.class, workload.namespace(), from.getConfigMapRef().getName())
                            .orElseThrow(() -> new AssertionError(where + ": no ConfigMap " + from.getConfigMapRef().getName()
                                    + " in " + workload.namespace()));
                    for (Map.Entry<String, String> entry : map.getData().entrySet()) {
                        assertThat(reads).as(where + ": " + entry.getKey() + " (ConfigMap " + map.getMetadata().getName()
                                + ") is read by '" + command.name() + "'").containsKey(entry.getKey());
                        literal.putIfAbsent(entry.getKey(), entry.getValue());
                    }
                }
                assertThat(ServiceContracts.invalidValues(command, literal)).as(where + ": values the service refuses").isEmpty();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyImageIsWhatJibBuildsAtOneRegistryAndTag(Path overlay) throws Exception {
        Manifests m = rendered(overlay);
        String service = jibImage(Path.of("..", "cli", "pom.xml"));
        String connectImage = jibImage(Path.of("..", "connectors", "pom.xml"));
        Set<String> images = new TreeSet<>();
        for (Workload workload : m.workloads()) {
            workload.template().getSpec().getContainers().forEach(c -> images.add(c.getImage()));
        }
        assertThat(images).as(m.overlay() + ": otaflow's workloads run one image").hasSize(1);
        String image = images.iterator().next();
        Map<String, String> declared = declaredImages(overlay);
        assertThat(image).as(m.overlay() + ": the image its kustomization.yaml names (" + repository(service) + ")")
                .isEqualTo(declared.get(repository(service)));
        assertThat(image).as("the image Jib builds (cli/pom.xml: " + service + ")").matches(".+/" + repository(service) + ":[\\w.-]+");
        String registryAndTag = image.replace("/" + repository(service) + ":", " ");
        for (KafkaConnect connect : m.all(KafkaConnect.class)) {
            assertThat(connect.getSpec().getImage()).as("KafkaConnect image: " + connectImage + " at the same registry and tag")
                    .isEqualTo(registryAndTag.replace(" ", "/" + repository(connectImage) + ":"))
                    .isEqualTo(declared.get(repository(connectImage)));
        }
        // Job mode runs flashes in the same image.
        for (Workload workload : m.workloads()) {
            for (Container container : workload.template().getSpec().getContainers()) {
                container.getEnv().stream().filter(e -> e.getName().equals("OTAFLOW_BRIDGE_JOBS_IMAGE"))
                        .forEach(e -> assertThat(e.getValue()).as("flash Jobs' image").isEqualTo(image));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyPodHasProbesResourcesAndALockedDownSecurityContext(Path overlay) {
        Manifests m = rendered(overlay);
        for (Workload workload : m.workloads()) {
            var pod = workload.template().getSpec();
            String id = workload.namespace() + "/" + workload.name();
            PodSecurityContext podSecurity = pod.getSecurityContext();
            assertThat(podSecurity).as(id + " pod securityContext").isNotNull();
            assertThat(podSecurity.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            if (ROOT_ALLOWED.containsKey(id)) {
                assertThat(podSecurity.getRunAsUser()).isZero();
                assertThat(namespaceLabels(m, workload.namespace())).as(id + " runs as root, so only in a namespace that allows it")
                        .containsEntry("pod-security.kubernetes.io/enforce", "privileged");
            } else {
                assertThat(podSecurity.getRunAsNonRoot()).as(id + " runAsNonRoot").isTrue();
                assertThat(podSecurity.getRunAsUser()).as(id + " runAsUser (the image's non-root user)").isEqualTo(65532L);
                assertThat(pod.getVolumes()).as(id + ": no host paths outside the privileged namespace").allMatch(v -> v.getHostPath() == null);
            }
            assertThat(pod.getServiceAccountName()).as(id + " service account").isNotBlank();
            for (Container container : pod.getContainers()) {
                String where = id + " container " + container.getName();
                Set<String> ports = container.getPorts().stream().map(ContainerPort::getName).collect(Collectors.toSet());
                assertThat(ports).as(where + " ports").contains("ops");
                probe(where + " liveness", container.getLivenessProbe(), "/livez", ports);
                probe(where + " readiness", container.getReadinessProbe(), "/readyz", ports);
                assertThat(container.getResources().getRequests()).as(where + " requests").containsKeys("cpu", "memory");
                assertThat(container.getResources().getLimits()).as(where + " memory limit").containsKey("memory");
                memoryFits(where, container);
                SecurityContext security = container.getSecurityContext();
                assertThat(security.getAllowPrivilegeEscalation()).as(where + " allowPrivilegeEscalation").isFalse();
                assertThat(security.getReadOnlyRootFilesystem()).as(where + " readOnlyRootFilesystem").isTrue();
                assertThat(security.getCapabilities().getDrop()).as(where + " capabilities").containsExactly("ALL");
                assertThat(security.getPrivileged()).as(where + " privileged").isNotEqualTo(Boolean.TRUE);
                // A read-only root: every folder a service writes must be a mounted volume.
                Set<String> mounts = container.getVolumeMounts().stream().map(VolumeMount::getMountPath).collect(Collectors.toSet());
                assertThat(mounts).as(where + " /tmp (native libraries unpack there)").contains("/tmp");
                for (EnvVar env : container.getEnv()) {
                    if (env.getValue() != null && env.getValue().startsWith("/") && (env.getName().endsWith("_DIR")
                            || env.getName().endsWith("_DIRECTORY"))) {
                        assertThat(mounts).as(where + ": " + env.getName() + "=" + env.getValue() + " is on a volume")
                                .anyMatch(mount -> env.getValue().equals(mount) || env.getValue().startsWith(mount + "/"));
                    }
                }
                Set<String> volumes = pod.getVolumes().stream().map(v -> v.getName()).collect(Collectors.toSet());
                container.getVolumeMounts().forEach(mount -> assertThat(volumes).as(where + " volume " + mount.getName()).contains(mount.getName()));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void serviceAccountsHoldExactlyTheRbacTheirComponentNeeds(Path overlay) throws Exception {
        Manifests m = rendered(overlay);
        for (Workload workload : m.workloads()) {
            String account = workload.template().getSpec().getServiceAccountName();
            assertThat(m.find(ServiceAccount.class, workload.namespace(), account)).as(workload.id() + ": ServiceAccount " + account).isPresent();
            List<PolicyRule> rules = rulesFor(m, workload.namespace(), account);
            boolean bridge = ServiceContracts.command(workload.template().getSpec().getContainers().getFirst().getArgs()).name().equals("bridge");
            if (!bridge) {
                // Only the bridge calls the Kubernetes API: the others get no token at all.
                assertThat(rules).as(workload.id() + " RBAC").isEmpty();
                assertThat(workload.template().getSpec().getAutomountServiceAccountToken()).as(workload.id() + " automount token").isFalse();
                continue;
            }
            // The bridge: exactly the rules its mode needs, as RbacIT (akri-bridge) proves they are used and sufficient.
            Path deploy = Path.of("");
            List<Path> expected = new ArrayList<>(List.of(deploy.resolve("base/akri-bridge/rbac.yaml")));
            Map<String, String> env = workload.template().getSpec().getContainers().getFirst().getEnv().stream()
                    .filter(e -> e.getValue() != null).collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
            if ("true".equals(env.get("OTAFLOW_BRIDGE_JOBS_ENABLED"))) {
                expected.add(deploy.resolve("components/flash-jobs/rbac.yaml"));
                String jobAccount = env.get("OTAFLOW_BRIDGE_JOBS_SERVICE_ACCOUNT");
                ServiceAccount jobs = m.find(ServiceAccount.class, workload.namespace(), jobAccount).orElseThrow(() ->
                        new AssertionError("flash Jobs' ServiceAccount " + jobAccount));
                assertThat(jobs.getAutomountServiceAccountToken()).isFalse();
                assertThat(rulesFor(m, workload.namespace(), jobAccount)).isEmpty();
                assertThat(m.find(io.fabric8.kubernetes.api.model.apps.Deployment.class, workload.namespace(), "otaflow-flasher"))
                        .as("Job mode or workers, not both").isEmpty();
            }
            boolean otaflowCrds = m.kind("CustomResourceDefinition").stream().anyMatch(crd -> crd.getMetadata().getName().equals("instances.akri.sh"));
            if (!otaflowCrds) {
                expected.add(deploy.resolve("components/akri-stock-crds/rbac.yaml"));
            }
            assertThat(grants(rules)).as(m.overlay() + ": the bridge's RBAC = " + expected).isEqualTo(grants(rulesIn(expected)));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void selectorsPortsAndTargetsPointAtSomething(Path overlay) {
        Manifests m = rendered(overlay);
        for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
            assertThat(selected(m, pdb.getMetadata().getNamespace(), pdb.getSpec().getSelector()))
                    .as("PDB " + pdb.getMetadata().getName() + " selects a workload").isNotEmpty();
        }
        for (Service service : m.all(Service.class)) {
            List<Workload> pods = selected(m, service.getMetadata().getNamespace(), new LabelSelector(null, service.getSpec().getSelector()));
            assertThat(pods).as("Service " + service.getMetadata().getName() + " selects Pods").isNotEmpty();
            for (ServicePort port : service.getSpec().getPorts()) {
                pods.forEach(w -> assertThat(ports(w)).as("Service " + service.getMetadata().getName() + " targetPort on " + w.id())
                        .contains(port.getTargetPort().getStrVal()));
            }
        }
        for (NetworkPolicy policy : m.all(NetworkPolicy.class)) {
            List<Workload> pods = selected(m, policy.getMetadata().getNamespace(), policy.getSpec().getPodSelector());
            assertThat(pods).as("NetworkPolicy " + policy.getMetadata().getName() + " selects Pods").isNotEmpty();
            policy.getSpec().getIngress().forEach(rule -> {
                for (NetworkPolicyPort port : rule.getPorts()) {
                    pods.forEach(w -> assertThat(ports(w)).as("NetworkPolicy " + policy.getMetadata().getName() + " port on " + w.id())
                            .contains(port.getPort().getStrVal()));
                }
            });
        }
        for (PodMonitor monitor : m.all(PodMonitor.class)) {
            String exporter = monitor.getSpec().getSelector().getMatchLabels().get("strimzi.io/name");
            if (exporter != null) {
                // Strimzi's Kafka Exporter, Pods the operator makes: the Kafka must have one, of that name.
                Kafka kafka = single(m, Kafka.class);
                assertThat(exporter).isEqualTo(kafka.getMetadata().getName() + "-kafka-exporter");
                assertThat(kafka.getSpec().getKafkaExporter()).isNotNull();
                assertThat(monitor.getSpec().getPodMetricsEndpoints()).allMatch(e -> e.getPort().equals("tcp-prometheus"));
                continue;
            }
            List<String> namespaces = monitor.getSpec().getNamespaceSelector().getMatchNames();
            List<Workload> pods = m.workloads().stream().filter(w -> namespaces.contains(w.namespace())
                    && matches(monitor.getSpec().getSelector(), w.template().getMetadata().getLabels())).toList();
            assertThat(pods).as("the PodMonitor scrapes every otaflow workload").containsExactlyInAnyOrderElementsOf(m.workloads());
            monitor.getSpec().getPodMetricsEndpoints().forEach(endpoint ->
                    pods.forEach(w -> assertThat(ports(w)).as("PodMonitor port on " + w.id()).contains(endpoint.getPort())));
        }
        // Kafka Streams and the workers share work by partition: more replicas than partitions idle.
        for (Workload workload : m.workloads()) {
            if (workload.replicas() != null) {
                assertThat(workload.replicas()).as(workload.id() + " replicas").isBetween(1, TopicCatalog.DEFAULT_PARTITIONS);
            }
        }
        TopicCatalog catalog = new TopicCatalog(m.platform().get("OTAFLOW_TOPIC_PREFIX"), 1);
        for (GenericKubernetesResource scaled : m.all(GenericKubernetesResource.class)) {
            JsonNode spec = new ObjectMapper().valueToTree(scaled.getAdditionalProperties().get("spec"));
            String target = spec.path("scaleTargetRef").path("name").asText();
            assertThat(m.find(io.fabric8.kubernetes.api.model.apps.Deployment.class, scaled.getMetadata().getNamespace(), target))
                    .as("ScaledObject target " + target).isPresent();
            assertThat(m.find(io.fabric8.kubernetes.api.model.apps.Deployment.class, scaled.getMetadata().getNamespace(), target).orElseThrow()
                    .getSpec().getReplicas()).as(target + " has no replicas: the autoscaler owns them, an apply must not reset them").isNull();
            assertThat(spec.path("maxReplicaCount").asInt()).as("no more workers than flash.commands partitions")
                    .isLessThanOrEqualTo(TopicCatalog.DEFAULT_PARTITIONS);
            for (JsonNode trigger : spec.path("triggers")) {
                assertThat(trigger.path("type").asText()).isEqualTo("kafka");
                JsonNode md = trigger.path("metadata");
                assertThat(md.path("bootstrapServers").asText()).isEqualTo(m.platform().get("OTAFLOW_KAFKA_BOOTSTRAP"));
                assertThat(md.path("topic").asText()).isEqualTo(catalog.flashCommands().name());
                assertThat(md.path("consumerGroup").asText()).isEqualTo(flasherGroup(m, target));
            }
        }
        for (HorizontalPodAutoscaler hpa : m.all(HorizontalPodAutoscaler.class)) {
            String target = hpa.getSpec().getScaleTargetRef().getName();
            assertThat(m.find(io.fabric8.kubernetes.api.model.apps.Deployment.class, hpa.getMetadata().getNamespace(), target))
                    .as("HPA target " + target).isPresent();
            assertThat(m.find(io.fabric8.kubernetes.api.model.apps.Deployment.class, hpa.getMetadata().getNamespace(), target).orElseThrow()
                    .getSpec().getReplicas()).as(target + " has no replicas: the HPA owns them").isNull();
            assertThat(hpa.getSpec().getMaxReplicas()).isLessThanOrEqualTo(TopicCatalog.DEFAULT_PARTITIONS);
            hpa.getSpec().getMetrics().forEach(metric -> {
                Map<String, String> labels = metric.getExternal().getMetric().getSelector().getMatchLabels();
                assertThat(labels).as("HPA lag selector").containsEntry("topic", catalog.flashCommands().name())
                        .containsEntry("consumergroup", flasherGroup(m, target));
            });
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void theDashboardIsValidAndReadsOnlyMetricsThatExist(Path overlay) throws Exception {
        Manifests m = rendered(overlay);
        ConfigMap dashboard = m.find(ConfigMap.class, "otaflow", "otaflow-grafana-dashboard").orElseThrow();
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("otaflow-dashboard.json"));
        Set<String> metrics = DashboardMetrics.of(json);
        assertThat(metrics).as("metrics the dashboard reads").isNotEmpty();
        Set<String> external = new TreeSet<>(metrics);
        external.removeIf(name -> name.startsWith("otaflow_") || name.startsWith("jvm_") || name.startsWith("process_"));
        // What otaflow's own services export is checked against a live scrape (ContainersRunIT).
        assertThat(external).as("metrics from outside otaflow (Kafka Exporter)").allMatch(name -> name.startsWith("kafka_consumergroup_"));
    }

    static String flasherGroup(Manifests m, String deployment) {
        var worker = m.find(io.fabric8.kubernetes.api.model.apps.Deployment.class, "otaflow", deployment).orElseThrow();
        return worker.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv().stream()
                .filter(e -> e.getName().equals(ServiceContracts.variable(FlasherWorkerConfig.GROUP_ID))).map(EnvVar::getValue).findFirst()
                .orElse((String) FlasherWorkerConfig.DEFINITION.defaultValues().get(FlasherWorkerConfig.GROUP_ID));
    }

    /** Heap (a share of the limit) plus RocksDB's bound plus 256 MiB for the JVM itself fit the memory limit. */
    private static void memoryFits(String where, Container container) {
        long limit = io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(container.getResources().getLimits().get("memory")).longValue();
        Map<String, String> env = new HashMap<>();
        container.getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));
        Matcher share = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(env.getOrDefault("JDK_JAVA_OPTIONS", ""));
        assertThat(share.find()).as(where + ": JDK_JAVA_OPTIONS sets the heap's share of the limit").isTrue();
        long heap = limit * Integer.parseInt(share.group(1)) / 100;
        long rocksDb = Long.parseLong(env.getOrDefault("OTAFLOW_TOPOLOGY_ROCKSDB_MEMORY_BYTES", "0"));
        if (container.getArgs().getFirst().equals("topology")) {
            assertThat(rocksDb).as(where + ": RocksDB is bounded").isPositive();
        }
        assertThat(heap + rocksDb + 256L * 1024 * 1024).as(where + ": heap " + heap + " + RocksDB " + rocksDb + " + 256 MiB within the limit")
                .isLessThanOrEqualTo(limit);
        assertThat(container.getResources().getRequests().get("memory")).as(where + " memory request").isNotNull();
    }

    private static void probe(String what, Probe probe, String path, Set<String> ports) {
        assertThat(probe).as(what).isNotNull();
        assertThat(probe.getHttpGet()).as(what + " httpGet").isNotNull();
        assertThat(probe.getHttpGet().getPath()).as(what + " path").isEqualTo(path);
        assertThat(ports).as(what + " port").contains(probe.getHttpGet().getPort().getStrVal());
    }

    private static Set<String> ports(Workload workload) {
        return workload.template().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream()).map(ContainerPort::getName)
                .collect(Collectors.toSet());
    }

    private static List<Workload> selected(Manifests m, String namespace, LabelSelector selector) {
        return m.workloads().stream().filter(w -> w.namespace().equals(namespace) && matches(selector, w.template().getMetadata().getLabels()))
                .toList();
    }

    private static boolean matches(LabelSelector selector, Map<String, String> labels) {
        assertThat(selector.getMatchExpressions()).as("match expressions are not used here").isNullOrEmpty();
        return selector.getMatchLabels() == null || labels.entrySet().containsAll(selector.getMatchLabels().entrySet());
    }

    private static Map<String, String> namespaceLabels(Manifests m, String namespace) {
        return m.all(Namespace.class).stream().filter(n -> n.getMetadata().getName().equals(namespace)).findFirst()
                .orElseThrow(() -> new AssertionError("Namespace " + namespace + " is not in the overlay")).getMetadata().getLabels();
    }

    /** Every rule bound to a service account, through Roles (its namespace) and ClusterRoles. */
    static List<PolicyRule> rulesFor(Manifests m, String namespace, String account) {
        List<PolicyRule> rules = new ArrayList<>();
        for (RoleBinding binding : m.all(RoleBinding.class)) {
            if (binding.getMetadata().getNamespace().equals(namespace) && binds(binding.getSubjects(), namespace, account)) {
                String kind = binding.getRoleRef().getKind();
                String name = binding.getRoleRef().getName();
                rules.addAll(kind.equals("Role")
                        ? m.find(Role.class, namespace, name).orElseThrow(() -> new AssertionError("no Role " + name)).getRules()
                        : m.all(ClusterRole.class).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst().orElseThrow().getRules());
            }
        }
        for (ClusterRoleBinding binding : m.all(ClusterRoleBinding.class)) {
            if (binds(binding.getSubjects(), namespace, account)) {
                String name = binding.getRoleRef().getName();
                rules.addAll(m.all(ClusterRole.class).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
                        .orElseThrow(() -> new AssertionError("no ClusterRole " + name)).getRules());
            }
        }
        return rules;
    }

    private static boolean binds(List<Subject> subjects, String namespace, String account) {
        return subjects.stream().anyMatch(s -> s.getKind().equals("ServiceAccount") && s.getName().equals(account)
                && namespace.equals(s.getNamespace()));
    }

    private static List<PolicyRule> rulesIn(List<Path> files) throws Exception {
        List<PolicyRule> rules = new ArrayList<>();
        for (Path file : files) {
            Manifests parsed = Manifests.parse(file.toString(), Files.readString(file));
            parsed.all(Role.class).forEach(r -> rules.addAll(r.getRules()));
            parsed.all(ClusterRole.class).forEach(r -> rules.addAll(r.getRules()));
        }
        return rules;
    }

    /** Rules flattened to single grants, so two ways of writing the same permissions compare equal. */
    private static Set<String> grants(List<PolicyRule> rules) {
        Set<String> grants = new TreeSet<>();
        for (PolicyRule rule : rules) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        grants.add(group + "/" + resource + " " + verb + (rule.getResourceNames().isEmpty() ? "" : " " + rule.getResourceNames()));
                    }
                }
            }
        }
        return grants;
    }

    private static <T extends HasMetadata> T single(Manifests m, Class<T> type) {
        List<T> all = m.all(type);
        assertThat(all).as(m.overlay() + ": one " + type.getSimpleName()).hasSize(1);
        return all.getFirst();
    }

    /** {@code to.image} of a module's Jib configuration, with the parent's properties filled in. */
    static String jibImage(Path pom) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        Document module = factory.newDocumentBuilder().parse(pom.toFile());
        Document parent = factory.newDocumentBuilder().parse(Path.of("..", "pom.xml").toFile());
        String image = null;
        var plugins = module.getElementsByTagName("plugin");
        for (int i = 0; i < plugins.getLength(); i++) {
            var plugin = (org.w3c.dom.Element) plugins.item(i);
            if (plugin.getElementsByTagName("artifactId").item(0).getTextContent().equals("jib-maven-plugin")) {
                var to = (org.w3c.dom.Element) plugin.getElementsByTagName("to").item(0);
                image = to.getElementsByTagName("image").item(0).getTextContent().trim();
            }
        }
        assertThat(image).as("Jib to.image in " + pom).isNotNull();
        Matcher property = Pattern.compile("\\$\\{([^}]+)}").matcher(image);
        StringBuilder resolved = new StringBuilder();
        while (property.find()) {
            String name = property.group(1);
            String value = name.equals("project.version") ? parent.getElementsByTagName("version").item(0).getTextContent()
                    : parent.getElementsByTagName(name).item(0).getTextContent();
            property.appendReplacement(resolved, Matcher.quoteReplacement(value.trim()));
        }
        property.appendTail(resolved);
        return resolved.toString();
    }

    /** The overlay's {@code images:}: placeholder name to newName:newTag. */
    static Map<String, String> declaredImages(Path overlay) throws Exception {
        JsonNode kustomization = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
                .readTree(overlay.resolve("kustomization.yaml").toFile());
        Map<String, String> images = new HashMap<>();
        for (JsonNode entry : kustomization.path("images")) {
            images.put(entry.path("name").asText(), entry.path("newName").asText() + ":" + entry.path("newTag").asText());
        }
        return images;
    }

    private static String repository(String image) {
        String withoutTag = image.substring(0, image.lastIndexOf(':'));
        return withoutTag.substring(withoutTag.lastIndexOf('/') + 1);
    }
}
