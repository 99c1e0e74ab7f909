package io.otaflow.bridge;

import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.status.StatusMode;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.EmbeddedKubernetes;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** On a cluster with Akri's stock CRDs (no status subresource) the bridge notices and writes status to an annotation. */
@ExtendWith(SharedDevStack.class)
class AnnotationFallbackIT {
    @Test
    void withoutTheStatusSubresourceStatusGoesToAnAnnotation(DevStack stack) throws Exception {
        try (EmbeddedKubernetes stock = new EmbeddedKubernetes().withStockAkriCrds().start();
             BridgeFixture fixture = new BridgeFixture(stack, stock::newClient, stock.newClient())) {
            fixture.leadingBridge(Map.of());
            fixture.create(Akri.INSTANCE, InstancesIT.instance("picow-blink-abcdef", "picow-blink",
                    Map.of("DEVICE_ID", "pico-a", "HOST_ENDPOINT", "http://127.10.0.2:8080")));
            var instances = fixture.client.genericKubernetesResources(Akri.INSTANCE).inNamespace(fixture.namespace);
            fixture.produce(fixture.topics.deviceState(), "pico-a", DeviceState.newBuilder().setDeviceId("pico-a").setOnline(true)
                    .setMode(DeviceMode.APP).setConfiguration(fixture.key("picow-blink")).setFirmware(new FirmwareRef("blink", "1.1.0"))
                    .setLastSeen(Instant.now()).setEligibility(EligibilityClass.UP_TO_DATE).build());
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                var stored = instances.withName("picow-blink-abcdef").get();
                String annotation = stored.getMetadata().getAnnotations() == null ? null : stored.getMetadata().getAnnotations().get(StatusMode.ANNOTATION);
                assertThat(annotation).isNotNull();
                JsonNode status = new ObjectMapper().readTree(annotation);
                assertThat(status.at("/firmware/version").asText()).isEqualTo("1.1.0");
                assertThat(status.at("/conditions/0/type").asText()).isEqualTo("UpToDate");
                assertThat(status.at("/conditions/0/status").asText()).isEqualTo("True");
                assertThat(stored.getAdditionalProperties()).doesNotContainKey("status");
                assertThat(Akri.brokerProperties(stored)).containsEntry("DEVICE_ID", "pico-a");
            });
        }
    }
}
