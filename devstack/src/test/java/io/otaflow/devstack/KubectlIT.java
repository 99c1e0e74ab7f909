package io.otaflow.devstack;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kubectl binary against the embedded Kubernetes API, through the kubeconfig it writes:
 * discovery, short names, printer columns, YAML, describe, annotate, merge patch, NotFound.
 */
class KubectlIT {
    private static final ResourceDefinitionContext CONFIGURATIONS = new ResourceDefinitionContext.Builder()
            .withGroup("akri.sh").withVersion("v0").withPlural("configurations").withKind("Configuration").withNamespaced(true).build();

    @TempDir
    static Path work;
    private static EmbeddedKubernetes kubernetes;
    private static Path kubeconfig;

    @BeforeAll
    static void start() throws Exception {
        kubernetes = new EmbeddedKubernetes().start();
        kubeconfig = kubernetes.writeKubeconfig(work.resolve("kubeconfig"));
        try (KubernetesClient client = kubernetes.newClient()) {
            GenericKubernetesResource instance = client.genericKubernetesResources(KubernetesIT.INSTANCES).inNamespace("default")
                    .resource(KubernetesIT.instanceNamed("picow-blink-a1b2c3")).create();
            client.genericKubernetesResources(KubernetesIT.INSTANCES).inNamespace("default").withName(instance.getMetadata().getName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), """
                            {"status":{"firmware":{"type":"blink","version":"1.0.0","locked":false},"update":{"phase":"WRITING","targetVersion":"1.1.0"}}}""");
            GenericKubernetesResource configuration = new io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder()
                    .withApiVersion("akri.sh/v0").withKind("Configuration")
                    .withNewMetadata().withName("picow-blink").withNamespace("default").endMetadata()
                    .withAdditionalProperties(Map.of("spec", Map.of("discoveryHandler", Map.of("name", "otaflow-http", "discoveryDetails", ""),
                            "capacity", 1, "brokerProperties", Map.of("FIRMWARE_VERSION", "1.0.0"))))
                    .build();
            client.genericKubernetesResources(CONFIGURATIONS).inNamespace("default").resource(configuration).create();
        }
    }

    @AfterAll
    static void stop() {
        kubernetes.close();
    }

    private static String ok(String... args) throws Exception {
        Kubectl.Result run = Kubectl.run(kubeconfig, args);
        assertThat(run.exit()).as("kubectl %s: %s", List.of(args), run.output()).isZero();
        System.out.println("$ kubectl " + String.join(" ", args) + "\n" + run.output());
        return run.output();
    }

    @Test
    void versionAndDiscoveryNameTheAkriResourcesWithTheirShortNames() throws Exception {
        assertThat(ok("version", "-o", "json")).contains(KubectlDispatcher.SERVER_VERSION);
        String resources = ok("api-resources", "--api-group=akri.sh", "-o", "wide");
        assertThat(resources).containsPattern("configurations +akric +akri.sh/v0 +true +Configuration");
        assertThat(resources).containsPattern("instances +akrii +akri.sh/v0 +true +Instance");
        assertThat(ok("api-versions")).contains("akri.sh/v0");
    }

    @Test
    void getShowsThePrinterColumnsFilled() throws Exception {
        String table = ok("get", "akrii", "-A");
        List<String> lines = table.lines().toList();
        assertThat(lines.get(0)).containsPattern("NAMESPACE +NAME +CONFIG +SHARED +NODES +FIRMWARE +VERSION +LOCKED +PHASE");
        assertThat(lines).anySatisfy(line -> assertThat(line)
                .containsPattern("default +picow-blink-a1b2c3 +picow-blink +false +\\[\"node-a\"\\] +blink +1\\.0\\.0 +false +WRITING"));
        assertThat(ok("get", "instance.akri.sh", "picow-blink-a1b2c3", "-o", "name")).isEqualTo("instance.akri.sh/picow-blink-a1b2c3\n");
    }

    @Test
    void yamlListsAreTypedAndDescribeReadsAConfiguration() throws Exception {
        String yaml = ok("get", "instances.akri.sh", "-A", "-o", "yaml");
        assertThat(yaml).contains("kind: Instance").contains("configurationName: picow-blink").contains("version: 1.0.0");
        String described = ok("describe", "akric", "picow-blink");
        assertThat(described).containsPattern("Name: +picow-blink").contains("FIRMWARE_VERSION").contains("otaflow-http");
    }

    @Test
    void annotateAndMergePatchChangeAConfiguration() throws Exception {
        ok("annotate", "akric", "picow-blink", "otaflow.io/paused=true", "--overwrite");
        ok("patch", "akric", "picow-blink", "--type=merge", "-p", "{\"spec\":{\"brokerProperties\":{\"FIRMWARE_VERSION\":\"1.1.0\"}}}");
        try (KubernetesClient client = kubernetes.newClient()) {
            GenericKubernetesResource stored = client.genericKubernetesResources(CONFIGURATIONS).inNamespace("default").withName("picow-blink").get();
            assertThat(stored.getMetadata().getAnnotations()).containsEntry("otaflow.io/paused", "true");
            assertThat(stored.<String>get("spec", "brokerProperties", "FIRMWARE_VERSION")).isEqualTo("1.1.0");
        }
    }

    @Test
    void aMissingObjectIsNotFound() throws Exception {
        Kubectl.Result run = Kubectl.run(kubeconfig, "get", "akrii", "no-such-device");
        assertThat(run.exit()).isNotZero();
        assertThat(run.output()).contains("Error from server (NotFound): instances.akri.sh \"no-such-device\" not found");
    }
}
