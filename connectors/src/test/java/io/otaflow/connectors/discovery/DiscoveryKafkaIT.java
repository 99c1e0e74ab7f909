package io.otaflow.connectors.discovery;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.fleet.Fleet;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Discovery of a simulated fleet onto the embedded Kafka: events, reports, absence, and dead letters for bad devices. */
@ExtendWith(SharedDevStack.class)
class DiscoveryKafkaIT {

    private static HttpServer badDevice(String contentType, byte[] body) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static <T extends org.apache.avro.specific.SpecificRecord> List<T> read(DevStack stack, String topic, Class<T> type,
                                                                             java.util.function.Predicate<T> mine, int atLeast) {
        return io.otaflow.devstack.junit.TopicRecords.read(stack, topic, type, mine, atLeast, Duration.ofSeconds(30));
    }

    @Test
    void aFleetIsDiscoveredReportedAndLostAndBadDevicesAreDeadLettered(DevStack stack) throws Exception {
        TopicCatalog topics = new TopicCatalog();
        HttpServer html = badDevice("text/html", "<html>login</html>".getBytes(StandardCharsets.UTF_8));
        HttpServer broken = badDevice("application/json", "{\"deviceId\": \"x\", \"firmwareVersion\": ".getBytes(StandardCharsets.UTF_8));
        try (Fleet fleet = Fleet.start(Fleet.Spec.of(10).withIdPrefix("kafka-pico-").withAddressing(Fleet.Addressing.PORTS));
             KafkaEventSink sink = new KafkaEventSink(stack.endpoints().kafka(), new SchemaRegistryClient(stack.endpoints().schemaRegistry()), topics, Map.of())) {
            await().atMost(Duration.ofSeconds(20)).until(() -> fleet.devices().stream().allMatch(d -> d.mode() == SimulatedDevice.Mode.APP));
            String endpoints = fleet.devices().stream().map(d -> "\"" + d.config().httpUrl() + "\"").collect(Collectors.joining(", "));
            DiscoveryDetails details = DiscoveryDetails.parse("endpoints: [" + endpoints + ", \"http://127.0.0.1:" + html.getAddress().getPort()
                    + "\", \"http://127.0.0.1:" + broken.getAddress().getPort() + "\"]\nmissesBeforeAbsent: 2\nconfiguration: default/fleet-it");
            try (DiscoveryLoop loop = new DiscoveryLoop(details, Map.of(), "node-it", new FlashHolds(Duration.ofMinutes(1)), sink, new SimpleMeterRegistry())) {
                assertThat(loop.runOnce()).hasSize(10);
                loop.runOnce(); // unchanged: no new reports, no repeated dead letters
                SimulatedDevice gone = fleet.device("kafka-pico-0003");
                gone.powerOff();
                loop.runOnce();
                assertThat(loop.runOnce()).hasSize(9);
                sink.flush();
            }
            List<DiscoveryEvent> events = read(stack, topics.deviceDiscovery().name(), DiscoveryEvent.class,
                    e -> e.getDeviceId().startsWith("kafka-pico-"), 11);
            assertThat(events).filteredOn(DiscoveryEvent::getPresent).hasSize(10);
            assertThat(events).filteredOn(e -> !e.getPresent()).singleElement()
                    .satisfies(e -> assertThat(e.getDeviceId()).isEqualTo("kafka-pico-0003"));
            assertThat(events).allSatisfy(e -> assertThat(e.getConfiguration()).isEqualTo("default/fleet-it"));

            List<DeviceReport> reports = read(stack, topics.deviceReports().name(), DeviceReport.class,
                    r -> r.getDeviceId().startsWith("kafka-pico-"), 10);
            assertThat(reports).hasSize(10).allSatisfy(r -> assertThat(r.getFirmwareVersion()).isEqualTo("1.0.0"));

            List<DeadLetter> letters = read(stack, topics.deadLetters().name(), DeadLetter.class,
                    d -> d.getComponent().equals("discovery") && (d.getOriginalTopic().contains(":" + html.getAddress().getPort())
                            || d.getOriginalTopic().contains(":" + broken.getAddress().getPort())), 2);
            assertThat(letters).hasSize(2);
            assertThat(letters).extracting(DeadLetter::getErrorMessage)
                    .anySatisfy(m -> assertThat(m).contains("text/html"))
                    .anySatisfy(m -> assertThat(m).contains("not JSON"));
        } finally {
            html.stop(0);
            broken.stop(0);
        }
    }
}
