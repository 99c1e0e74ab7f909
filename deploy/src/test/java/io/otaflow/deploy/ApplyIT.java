package io.otaflow.deploy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.otaflow.devstack.EmbeddedKubernetes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every overlay applied, object by object, to a Kubernetes API (fabric8's CRUD server, the
 * embedded one of the tests), then read back unchanged. The API also knows the kinds of the
 * operators otaflow relies on (Strimzi, KEDA, the Prometheus Operator) through stand-in CRDs that
 * name them and nothing more; their fields are checked against their typed models in
 * {@link OverlaysTest}.
 */
class ApplyIT {
    /** group, version, kind, plural of the operators' kinds the overlays use. */
    private static final List<List<String>> OPERATOR_KINDS = List.of(
            List.of("kafka.strimzi.io", "v1", "Kafka", "kafkas"),
            List.of("kafka.strimzi.io", "v1", "KafkaNodePool", "kafkanodepools"),
            List.of("kafka.strimzi.io", "v1", "KafkaTopic", "kafkatopics"),
            List.of("kafka.strimzi.io", "v1", "KafkaConnect", "kafkaconnects"),
            List.of("kafka.strimzi.io", "v1", "KafkaConnector", "kafkaconnectors"),
            List.of("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"),
            List.of("monitoring.coreos.com", "v1", "PodMonitor", "podmonitors"));

    private static EmbeddedKubernetes kubernetes;

    @BeforeAll
    static void start() {
        kubernetes = new EmbeddedKubernetes().start();
        try (KubernetesClient client = kubernetes.newClient()) {
            for (List<String> kind : OPERATOR_KINDS) {
                client.apiextensions().v1().customResourceDefinitions().resource(standIn(kind.get(0), kind.get(1), kind.get(2), kind.get(3))).create();
            }
        }
    }

    @AfterAll
    static void stop() {
        if (kubernetes != null) {
            kubernetes.close();
        }
    }

    static List<Path> overlays() throws Exception {
        return OverlaysTest.overlays();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("overlays")
    void everyObjectOfTheOverlayIsAcceptedAndReadBack(Path overlay) {
        Manifests m = OverlaysTest.rendered(overlay);
        List<HasMetadata> applied = new ArrayList<>();
        try (KubernetesClient client = kubernetes.newClient()) {
            for (HasMetadata object : m.objects()) {
                if (object instanceof CustomResourceDefinition crd && client.apiextensions().v1().customResourceDefinitions()
                        .withName(crd.getMetadata().getName()).get() != null) {
                    continue; // the embedded API starts with otaflow's CRDs installed
                }
                HasMetadata created = client.resource(object).createOr(existing -> existing.update());
                assertThat(created.getMetadata().getUid()).as(m.overlay() + ": " + object.getKind() + " " + object.getMetadata().getName()).isNotBlank();
                applied.add(object);
            }
            for (HasMetadata object : applied) {
                HasMetadata stored = client.resource(object).get();
                assertThat(stored).as(m.overlay() + ": " + object.getKind() + " " + object.getMetadata().getName() + " read back").isNotNull();
                assertThat(spec(stored)).as(m.overlay() + ": " + object.getKind() + " " + object.getMetadata().getName() + " as applied")
                        .isEqualTo(spec(object));
            }
            // Next overlay on a clean API: the same names come back with other settings.
            for (HasMetadata object : applied.reversed()) {
                client.resource(object).delete();
            }
        }
        assertThat(applied).hasSizeGreaterThan(20);
    }

    /** What the user wrote, without what the server adds (metadata bookkeeping, status). */
    private static Map<String, Object> spec(HasMetadata object) {
        Map<String, Object> tree = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper().convertValue(object,
                new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {
                });
        tree.remove("metadata");
        tree.remove("status");
        return tree;
    }

    private static CustomResourceDefinition standIn(String group, String version, String kind, String plural) {
        return new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(plural + "." + group).endMetadata()
                .withNewSpec()
                    .withGroup(group)
                    .withScope("Namespaced")
                    .withNewNames().withKind(kind).withPlural(plural).withSingular(kind.toLowerCase()).endNames()
                    .addNewVersion()
                        .withName(version).withServed(true).withStorage(true)
                        .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true)
                        .endOpenAPIV3Schema().endSchema()
                    .endVersion()
                .endSpec()
                .build();
    }
}
