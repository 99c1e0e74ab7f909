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
            String host = URI.create(first.path("http").asText()).getHost();
            assertThat(host).matches("127\\.10\\.\\d+\\.1");
            assertThat(first.path("http").asText()).isEqualTo("http://" + host + ":8080");
            assertThat(first.path("ota").asText()).isEqualTo(host + ":4242");

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
    void twoFleetsAtOnceNeverShareAnEndpointAndDevicesKeepTheirsAcrossReboots(@TempDir Path work) throws Exception {
        for (Fleet.Addressing addressing : Fleet.Addressing.values()) {
            try (Fleet a = Fleet.start(Fleet.Spec.of(20).withIdPrefix("a-").withAddressing(addressing));
                 Fleet b = Fleet.start(Fleet.Spec.of(20).withIdPrefix("b-").withAddressing(addressing))) {
                Path endpointsA = work.resolve(addressing + "-a.jsonl");
                Path endpointsB = work.resolve(addressing + "-b.jsonl");
                a.writeEndpoints(endpointsA);
                b.writeEndpoints(endpointsB);
                List<String> all = new java.util.ArrayList<>();
                for (String line : Files.readAllLines(endpointsA)) {
                    all.add(JSON.readTree(line).path("http").asText());
                    all.add(JSON.readTree(line).path("ota").asText());
                }
                for (String line : Files.readAllLines(endpointsB)) {
                    all.add(JSON.readTree(line).path("http").asText());
                    all.add(JSON.readTree(line).path("ota").asText());
                }
                assertThat(all).doesNotHaveDuplicates().hasSize(80);
                await().atMost(Duration.ofSeconds(20)).until(() -> java.util.stream.Stream.concat(a.devices().stream(), b.devices().stream())
                        .allMatch(d -> d.mode() == SimulatedDevice.Mode.APP));

                SimulatedDevice device = b.devices().get(7);
                String url = device.config().httpUrl();
                HttpClient http = HttpClient.newHttpClient();
                // Up for a moment first, so that a fresh uptime after the reboot is told apart.
                long uptimeBefore = await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> metadata(http, url).path("uptimeMs").asLong(), up -> up >= 200);
                http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/reboot")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                // Back on the same endpoint after the reboot: the same device, with a fresh uptime.
                JsonNode metadata = await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> metadata(http, url), m -> m.path("uptimeMs").asLong() < uptimeBefore);
                assertThat(metadata.path("deviceId").asText()).isEqualTo(device.id());
            }
        }
    }

    private static JsonNode metadata(HttpClient http, String url) throws Exception {
        return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/metadata")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
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
