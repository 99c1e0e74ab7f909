package io.otaflow.flasher;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.FreePorts;
import io.otaflow.picowota.AppImage;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.simulators.device.DeviceConfig;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.flash.SectorPool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/** What the worker ITs share: a simulated device on 1.0.0, an image, a command, a real worker, an observer, committed offsets. */
final class WorkerKit {
    private WorkerKit() {
    }

    /** A Pico W running blink 1.0.0, powered on (not yet awaited). */
    static SimulatedDevice device(String id, TimingProfile timing, SectorPool pool, HttpFrontend frontend) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        SimulatedDevice device = new SimulatedDevice(DeviceConfig.of(id, new InetSocketAddress(lo, FreePorts.next()),
                new InetSocketAddress(lo, FreePorts.next())).withTiming(timing), pool, frontend);
        device.install(AppImage.build("blink", "1.0.0", 64 * 1024), AppImage.DEFAULT_BASE);
        device.powerOn();
        return device;
    }

    /** blink at {@code version}, 64 KiB, in a file under {@code work}. */
    static FirmwareImage image(Path work, String version) throws Exception {
        byte[] bytes = AppImage.build("blink", version, 64 * 1024);
        Path file = Files.write(work.resolve("blink-" + version + "-" + UUID.randomUUID() + ".bin"), bytes);
        return FirmwareImage.newBuilder().setUri(file.toUri().toString()).setSha256(ArtifactStore.sha256(bytes)).setSize(bytes.length).build();
    }

    /** Generation 1 of {@code configuration}: flash {@code device} to the image's blink {@code version}, five minutes to do it. */
    static FlashCommand command(SimulatedDevice device, FirmwareImage image, String version, String configuration) {
        return FlashCommand.newBuilder().setCommandId(UUID.randomUUID().toString()).setDeviceId(device.id())
                .setEndpoint(device.config().httpUrl()).setOtaEndpoint(device.config().otaEndpoint()).setConfiguration(configuration)
                .setGeneration(1).setTo(new FirmwareRef("blink", version)).setImage(image)
                .setDeadline(Instant.now().plusSeconds(300)).setIssuedAt(Instant.now()).build();
    }

    /** A real worker in this JVM, in group {@code run}, on the topics prefixed {@code run}. */
    static FlasherWorker worker(DevStack stack, String run, Path work, String id) throws Exception {
        return FlasherWorkerMain.start(Map.of(FlasherWorkerConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka(),
                FlasherWorkerConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry(), FlasherWorkerConfig.TOPIC_PREFIX, run,
                FlasherWorkerConfig.GROUP_ID, run, FlasherWorkerConfig.ALLOW_UNSIGNED, "true", FlasherWorkerConfig.POST_CONNECT_PAUSE_MS, "0",
                FlasherWorkerConfig.SESSION_TIMEOUT_MS, "6000", FlasherWorkerConfig.CACHE_DIR, work.resolve("cache-" + id).toString(),
                FlasherWorkerConfig.WORKER_ID, id));
    }

    static <V> KafkaConsumer<String, V> consumer(DevStack stack, String group, Deserializer<V> values) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props, new StringDeserializer(), values);
    }

    /** The group's committed offset of partition 0 of {@code topic}; -1 when it committed none. */
    static long committed(DevStack stack, String group, String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka()))) {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(new TopicPartition(topic, 0));
            return offset == null ? -1 : offset.offset();
        }
    }
}
