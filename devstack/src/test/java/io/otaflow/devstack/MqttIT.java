package io.otaflow.devstack;

import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.otaflow.devstack.junit.SharedDevStack;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** MQTT 5 and 3.1.1 clients through the embedded HiveMQ CE broker. */
@ExtendWith(SharedDevStack.class)
class MqttIT {

    @Test
    void anMqtt5PublishReachesAnMqtt311SubscriberAndRetainedStateReachesLateSubscribers(DevStack stack) throws Exception {
        int port = stack.mqtt().port();
        Mqtt3BlockingClient subscriber = Mqtt3Client.builder().identifier("it-sub").serverHost("127.0.0.1").serverPort(port).buildBlocking();
        Mqtt5BlockingClient publisher = Mqtt5Client.builder().identifier("it-pub").serverHost("127.0.0.1").serverPort(port).buildBlocking();
        subscriber.connect();
        publisher.connect();
        try (var publishes = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            subscriber.subscribeWith().topicFilter("otaflow/devices/+/state").qos(MqttQos.AT_LEAST_ONCE).send();
            publisher.publishWith().topic("otaflow/devices/pico-1/state").qos(MqttQos.AT_LEAST_ONCE).retain(true)
                    .payload("{\"firmwareVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8)).send();

            var received = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(received).isPresent();
            assertThat(received.get().getTopic().toString()).isEqualTo("otaflow/devices/pico-1/state");
            assertThat(new String(received.get().getPayloadAsBytes(), StandardCharsets.UTF_8)).contains("1.0.0");
        } finally {
            subscriber.disconnect();
        }

        Mqtt5BlockingClient late = Mqtt5Client.builder().identifier("it-late").serverHost("127.0.0.1").serverPort(port).buildBlocking();
        late.connect();
        try (Mqtt5BlockingClient.Mqtt5Publishes publishes = late.publishes(MqttGlobalPublishFilter.ALL)) {
            late.subscribeWith().topicFilter("otaflow/devices/pico-1/state").send();
            Optional<Mqtt5Publish> retained = publishes.receive(10, TimeUnit.SECONDS);
            assertThat(retained).isPresent();
            assertThat(retained.get().isRetain()).isTrue();
        } finally {
            late.disconnect();
            publisher.disconnect();
        }
    }
}
