package io.otaflow.flasher;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.flash.SectorPool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The broker refuses the terminal event (the progress topic takes no record that large): the
 * flash is done on the device, but the command's offset is not committed while the event is
 * unacknowledged, and once the broker takes records again the event is resent and lands once.
 */
@ExtendWith(SharedDevStack.class)
class WorkerRefusedSendIT {
    @Test
    void anUnacknowledgedTerminalEventHoldsTheOffsetAndIsSentAgain(DevStack stack, @TempDir Path work) throws Exception {
        String run = "fr" + java.util.UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, 1);
        stack.createTopics(topics);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        ConfigResource progressTopic = new ConfigResource(ConfigResource.Type.TOPIC, topics.flashProgress().name());
        HttpFrontend frontend = new HttpFrontend(1);
        SimulatedDevice device = WorkerKit.device("pico-refused", TimingProfile.FAST, new SectorPool(4096), frontend);
        FlasherWorker worker = null;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka()))) {
            await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);
            admin.incrementalAlterConfigs(Map.of(progressTopic, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "64"), AlterConfigOp.OpType.SET)))).all().get();
            FlashCommand command = WorkerKit.command(device, WorkerKit.image(work, "1.1.0"), "1.1.0", "default/refused");
            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
            try (KafkaProducer<String, FlashCommand> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                    new AvroSerializer<>(registry, false))) {
                producer.send(new ProducerRecord<>(topics.flashCommands().name(), device.id(), command)).get();
            }
            worker = WorkerKit.worker(stack, run, work, "worker-refused");

            await().atMost(Duration.ofSeconds(60)).until(() -> device.mode() == SimulatedDevice.Mode.APP
                    && device.metadata().path("firmwareVersion").asText().equals("1.1.0"));
            Thread.sleep(3_000); // the worker has had its time to send, fail, resend and (wrongly) commit
            assertThat(WorkerKit.committed(stack, run, topics.flashCommands().name()))
                    .as("nothing committed while the terminal event is refused").isLessThan(1L);

            admin.incrementalAlterConfigs(Map.of(progressTopic, List.of(new AlterConfigOp(
                    new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, ""), AlterConfigOp.OpType.DELETE)))).all().get();
            List<FlashProgress> progress = new ArrayList<>();
            try (KafkaConsumer<String, FlashProgress> observer = WorkerKit.consumer(stack, "observer-" + run,
                    new AvroDeserializer<>(registry, FlashProgress.class))) {
                observer.subscribe(List.of(topics.flashProgress().name()));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    observer.poll(Duration.ofMillis(200)).forEach(r -> progress.add(r.value()));
                    return progress.stream().anyMatch(FlashProgress::getTerminal);
                });
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < until) {
                    observer.poll(Duration.ofMillis(200)).forEach(r -> progress.add(r.value()));
                }
            }
            assertThat(progress.stream().filter(FlashProgress::getTerminal)).as("resent, and landed once").singleElement()
                    .satisfies(t -> {
                        assertThat(t.getCommandId()).isEqualTo(command.getCommandId());
                        assertThat(t.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
                    });
            await().atMost(Duration.ofSeconds(30)).until(() -> WorkerKit.committed(stack, run, topics.flashCommands().name()) == 1L);
        } finally {
            if (worker != null) {
                worker.close();
            }
            device.close();
            frontend.close();
        }
    }
}
