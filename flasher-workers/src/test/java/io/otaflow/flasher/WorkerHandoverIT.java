package io.otaflow.flasher;

import io.otaflow.devstack.FreePorts;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.picowota.AppImage;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.simulators.device.DeviceConfig;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.flash.SectorPool;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A worker in its own JVM is SIGKILLed in the middle of writing an image; the command is
 * redelivered to a second worker, which finds the device waiting in its bootloader, flashes it
 * again and ends the command: exactly one terminal event, and the device runs the target.
 */
@ExtendWith(SharedDevStack.class)
class WorkerHandoverIT {
    /** Slow enough writing (about 5 s for 64 KiB) that the kill lands mid-flash. */
    private static final TimingProfile SLOW_FLASH = new TimingProfile("slow-flash", Duration.ZERO, Duration.ZERO,
            Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(60), Duration.ofMillis(15));

    @Test
    void aSecondWorkerFinishesWhatAKilledOneStarted(DevStack stack, @TempDir Path work) throws Exception {
        String run = "fw" + UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, 1);
        stack.createTopics(topics);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (HttpFrontend frontend = new HttpFrontend(1)) {
            SimulatedDevice device = new SimulatedDevice(DeviceConfig.of("pico-handover", new InetSocketAddress(lo, FreePorts.next()),
                    new InetSocketAddress(lo, FreePorts.next())).withTiming(SLOW_FLASH), new SectorPool(4096), frontend);
            device.install(AppImage.build("blink", "1.0.0", 64 * 1024), AppImage.DEFAULT_BASE);
            device.powerOn();
            await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);

            byte[] bytes = AppImage.build("blink", "1.1.0", 64 * 1024);
            Path file = Files.write(work.resolve("blink-1.1.0.bin"), bytes);
            FlashCommand command = FlashCommand.newBuilder().setCommandId(UUID.randomUUID().toString()).setDeviceId(device.id())
                    .setEndpoint(device.config().httpUrl()).setOtaEndpoint(device.config().otaEndpoint()).setConfiguration("default/handover")
                    .setGeneration(1).setTo(new FirmwareRef("blink", "1.1.0"))
                    .setImage(FirmwareImage.newBuilder().setUri(file.toUri().toString()).setSha256(ArtifactStore.sha256(bytes))
                            .setSize(bytes.length).build())
                    .setDeadline(Instant.now().plusSeconds(120)).setIssuedAt(Instant.now()).build();
            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
            try (KafkaProducer<String, FlashCommand> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                    new AvroSerializer<>(registry, false))) {
                producer.send(new ProducerRecord<>(topics.flashCommands().name(), device.id(), command)).get();
            }

            List<String> settings = List.of(FlasherWorkerConfig.KAFKA_BOOTSTRAP + "=" + stack.endpoints().kafka(),
                    FlasherWorkerConfig.SCHEMA_REGISTRY + "=" + stack.endpoints().schemaRegistry(), FlasherWorkerConfig.TOPIC_PREFIX + "=" + run,
                    FlasherWorkerConfig.GROUP_ID + "=" + run, FlasherWorkerConfig.ALLOW_UNSIGNED + "=true",
                    FlasherWorkerConfig.POST_CONNECT_PAUSE_MS + "=0", FlasherWorkerConfig.SESSION_TIMEOUT_MS + "=6000",
                    FlasherWorkerConfig.CACHE_DIR + "=" + work.resolve("cache-a"), FlasherWorkerConfig.WORKER_ID + "=worker-a");
            List<String> commandLine = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-cp",
                    System.getProperty("java.class.path"), FlasherWorkerMain.class.getName()));
            commandLine.addAll(settings);
            Process workerA = new ProcessBuilder(commandLine).redirectErrorStream(true).redirectOutput(work.resolve("worker-a.log").toFile()).start();

            Properties consumerProps = new Properties();
            consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
            consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "observer-" + run);
            consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            List<FlashProgress> progress = new ArrayList<>();
            FlasherWorker workerB = null;
            try (KafkaConsumer<String, FlashProgress> observer = new KafkaConsumer<>(consumerProps, new StringDeserializer(),
                    new AvroDeserializer<>(registry, FlashProgress.class))) {
                observer.subscribe(List.of(topics.flashProgress().name()));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    observer.poll(Duration.ofMillis(100)).forEach(r -> progress.add(r.value()));
                    return progress.stream().anyMatch(p -> p.getPhase() == FlashPhase.WRITING && p.getBytesWritten() > 0);
                });
                workerA.destroyForcibly(); // SIGKILL mid-write
                workerA.waitFor(30, TimeUnit.SECONDS);
                assertThat(device.mode()).as("left in its bootloader, half written").isEqualTo(SimulatedDevice.Mode.BOOTLOADER);

                workerB = FlasherWorkerMain.start(Map.of(FlasherWorkerConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka(),
                        FlasherWorkerConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(), FlasherWorkerConfig.TOPIC_PREFIX, run,
                        FlasherWorkerConfig.GROUP_ID, run, FlasherWorkerConfig.ALLOW_UNSIGNED, "true", FlasherWorkerConfig.POST_CONNECT_PAUSE_MS, "0",
                        FlasherWorkerConfig.SESSION_TIMEOUT_MS, "6000", FlasherWorkerConfig.CACHE_DIR, work.resolve("cache-b").toString(),
                        FlasherWorkerConfig.WORKER_ID, "worker-b"));
                await().atMost(Duration.ofSeconds(90)).until(() -> {
                    observer.poll(Duration.ofMillis(200)).forEach(r -> progress.add(r.value()));
                    return progress.stream().anyMatch(FlashProgress::getTerminal);
                });
                // A little longer: no second terminal event may follow.
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                while (System.nanoTime() < until) {
                    observer.poll(Duration.ofMillis(200)).forEach(r -> progress.add(r.value()));
                }
            } finally {
                workerA.destroyForcibly();
                if (workerB != null) {
                    workerB.close();
                }
            }
            List<FlashProgress> terminal = progress.stream().filter(FlashProgress::getTerminal).toList();
            assertThat(terminal).singleElement().satisfies(t -> {
                assertThat(t.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
                assertThat(t.getWorker()).isEqualTo("worker-b");
                assertThat(t.getCommandId()).isEqualTo(command.getCommandId());
            });
            assertThat(progress).extracting(FlashProgress::getWorker).contains("worker-a", "worker-b");
            assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");
            device.close();
        }
    }
}
