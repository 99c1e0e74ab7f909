package io.otaflow.devstack;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.otaflow.devstack.junit.SharedDevStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Akri Instances on the embedded Kubernetes API: create, watch, and patch the status subresource. */
@ExtendWith(SharedDevStack.class)
class KubernetesIT {
    static final ResourceDefinitionContext INSTANCES = new ResourceDefinitionContext.Builder()
            .withGroup("akri.sh").withVersion("v0").withPlural("instances").withKind("Instance").withNamespaced(true).build();

    static GenericKubernetesResource instanceNamed(String name) {
        return new GenericKubernetesResourceBuilder()
                .withApiVersion("akri.sh/v0").withKind("Instance")
                .withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withAdditionalProperties(Map.of("spec", Map.of(
                        "configurationName", "picow-blink",
                        "cdiName", "akri.sh/picow-blink=" + name,
                        "capacity", 1,
                        "shared", false,
                        "nodes", List.of("node-a"),
                        "brokerProperties", Map.of("HOST_ENDPOINT", "http://10.0.0.7", "FW_VERSION", "1.0.0"))))
                .build();
    }

    @Test
    void theAkriCrdsAreInstalledWithAStatusSubresource(DevStack stack) {
        try (KubernetesClient client = stack.kubernetes().newClient()) {
            var crds = client.apiextensions().v1().customResourceDefinitions().list().getItems();
            assertThat(crds).extracting(c -> c.getMetadata().getName()).contains("instances.akri.sh", "configurations.akri.sh");
            var instanceCrd = client.apiextensions().v1().customResourceDefinitions().withName("instances.akri.sh").get();
            assertThat(instanceCrd.getSpec().getVersions().get(0).getSubresources().getStatus()).isNotNull();
            assertThat(instanceCrd.getSpec().getNames().getShortNames()).contains("akrii");
        }
    }

    @Test
    void anInstanceIsCreatedWatchedAndItsStatusPatchedWithoutTouchingItsSpec(DevStack stack) {
        try (KubernetesClient client = stack.kubernetes().newClient()) {
            var instances = client.genericKubernetesResources(INSTANCES).inNamespace("default");
            List<String> events = new CopyOnWriteArrayList<>();
            try (Watch ignored = instances.watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, GenericKubernetesResource resource) {
                    events.add(action + " " + resource.getMetadata().getName());
                }

                @Override
                public void onClose(WatcherException cause) {
                }
            })) {
                instances.resource(instanceNamed("picow-blink-a1b2c3")).create();
                await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("ADDED picow-blink-a1b2c3"));

                String patch = """
                        {"status":{"firmware":{"type":"blink","version":"1.0.0","locked":false,"mode":"APP"},
                         "update":{"phase":"WRITING","commandId":"c-1","targetVersion":"1.1.0","progress":40},
                         "conditions":[{"type":"UpToDate","status":"False","reason":"UpdateInProgress","message":"",
                                        "lastTransitionTime":"2026-11-27T00:00:00Z"}]}}""";
                instances.withName("picow-blink-a1b2c3").subresource("status")
                        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
                await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("MODIFIED picow-blink-a1b2c3"));
            }

            GenericKubernetesResource stored = instances.withName("picow-blink-a1b2c3").get();
            Map<String, Object> status = stored.get("status");
            assertThat(stored.<String>get("status", "firmware", "version")).isEqualTo("1.0.0");
            assertThat(stored.<String>get("status", "update", "phase")).isEqualTo("WRITING");
            assertThat(status).containsKey("conditions");
            assertThat(stored.<String>get("spec", "configurationName")).isEqualTo("picow-blink");
            assertThat(stored.<Map<String, String>>get("spec", "brokerProperties")).containsEntry("FW_VERSION", "1.0.0");
        }
    }

    @Test
    void anUpdateOfTheSpecLeavesTheStatusAlone(DevStack stack) {
        try (KubernetesClient client = stack.kubernetes().newClient()) {
            var instances = client.genericKubernetesResources(INSTANCES).inNamespace("default");
            instances.resource(instanceNamed("picow-blink-d4e5f6")).create();
            instances.withName("picow-blink-d4e5f6").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"status\":{\"update\":{\"phase\":\"SUCCEEDED\"}}}");
            // Akri's agent owns spec: its writes must not wipe what otaflow wrote to status.
            instances.withName("picow-blink-d4e5f6").patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"spec\":{\"capacity\":2},\"status\":{\"update\":{\"phase\":\"BOGUS\"}}}");
            GenericKubernetesResource stored = instances.withName("picow-blink-d4e5f6").get();
            assertThat(stored.<Integer>get("spec", "capacity")).isEqualTo(2);
            assertThat(stored.<String>get("status", "update", "phase")).isEqualTo("SUCCEEDED");
        }
    }
}
