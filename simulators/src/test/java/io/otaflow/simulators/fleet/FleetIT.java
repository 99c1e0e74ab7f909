package io.otaflow.simulators.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.simulators.device.SimulatedDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A fleet on its own loopback addresses, its endpoints file, and the devices' MQTT face through HiveMQ. */
@ExtendWith(SharedDevStack.class)
class FleetIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyDeviceAnswersOnItsOwnAddressAndTheEndpointsFileListsThem(@TempDir Path work) throws Exception {
        FaultPlan faults = FaultPlan.parse("locked=10%,no-boot=2");
        try (Fleet fleet = Fleet.start(Fleet.Spec.of(50).withFaults(faults))) {
            Path endpoints = work.resolve("fleet.jsonl");
            fleet.writeEndpoints(endpoints);
            List<String> lines = Files.readAllLines(endpoints);
            assertThat(lines).hasSize(50);
            JsonNode first = JSON.readTree(lines.get(0));
            assertThat(first.path("deviceId").asText()).isEqualTo("pico-0001");
            assertThat(first.path("http").asText()).isEqualTo("http://127.10.0.1:8080");
            assertThat(first.path("ota").asText()).isEqualTo("127.10.0.1:4242");

            await().atMost(Duration.ofSeconds(20)).until(() -> fleet.devices().stream().allMatch(d -> d.mode() == SimulatedDevice.Mode.APP));
            HttpClient http = HttpClient.newHttpClient();
            Map<String, Integer> lockedByLabel = new HashMap<>();
            for (String line : lines) {
                JsonNode endpoint = JSON.readTree(line);
                JsonNode metadata = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(endpoint.path("http").asText() + "/api/v1/metadata")).build(),
                        HttpResponse.BodyHandlers.ofString()).body());
                assertThat(metadata.path("deviceId").asText()).isEqualTo(endpoint.path("deviceId").asText());
                assertThat(metadata.path("firmwareVersion").asText()).isEqualTo("1.0.0");
                if (metadata.path("locked").asBoolean()) {
                    lockedByLabel.merge(endpoint.path("fault").asText(), 1, Integer::sum);
                }
            }
            assertThat(lockedByLabel).containsExactly(Map.entry("locked", 5));
            assertThat(lines.stream().filter(l -> l.contains("\"no-boot\"")).count()).isEqualTo(2);
            // Identical images share their flash sectors: 50 devices hold one copy of the 256 KiB image.
            assertThat(fleet.sectorPool().size()).isLessThanOrEqualTo(256 / 4 + 2);
        }
    }

    @Test
    void devicesPublishRetainedStateTakeRebootCommandsAndLeaveAWill(DevStack stack) throws Exception {
        try (Fleet fleet = Fleet.start(Fleet.Spec.of(3).withIdPrefix("mqtt-pico-").withMqtt(stack.endpoints().mqtt())
                .withAddressing(Fleet.Addressing.PORTS))) {
            URI broker = URI.create(stack.endpoints().mqtt());
            Mqtt5BlockingClient observer = Mqtt5Client.builder().identifier("fleet-it-observer")
                    .serverHost(broker.getHost()).serverPort(broker.getPort()).buildBlocking();
            observer.connect();
            try (Mqtt5BlockingClient.Mqtt5Publishes publishes = observer.publishes(MqttGlobalPublishFilter.ALL)) {
                observer.subscribeWith().topicFilter("otaflow/devices/mqtt-pico-0001/state").send();
                Optional<Mqtt5Publish> state = receive(publishes, p -> p.startsWith("{"));
                assertThat(state).isPresent();
                assertThat(JSON.readTree(state.get().getPayloadAsBytes()).path("firmwareVersion").asText()).isEqualTo("1.0.0");

                observer.publishWith().topic("otaflow/devices/mqtt-pico-0001/command")
                        .payload("{\"command\":\"reboot\",\"bootloader\":true}".getBytes(StandardCharsets.UTF_8)).send();
                // The reboot drops the device's MQTT connection: its will says it is offline.
                Optional<Mqtt5Publish> will = receive(publishes, p -> p.equals("offline"));
                assertThat(will).isPresent();
                SimulatedDevice device = fleet.device("mqtt-pico-0001");
                await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.BOOTLOADER);
            } finally {
                observer.disconnect();
            }
        }
    }

    private static Optional<Mqtt5Publish> receive(Mqtt5BlockingClient.Mqtt5Publishes publishes,
                                                  java.util.function.Predicate<String> wanted) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            Optional<Mqtt5Publish> next = publishes.receive(1, TimeUnit.SECONDS);
            if (next.isPresent() && wanted.test(new String(next.get().getPayloadAsBytes(), StandardCharsets.UTF_8))) {
                return next;
            }
        }
        return Optional.empty();
    }
}
