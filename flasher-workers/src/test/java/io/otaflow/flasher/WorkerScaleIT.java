package io.otaflow.flasher;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.FreePorts;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * 100 flashes in flight while the workers scale 1 → 3 → 1. With cooperative rebalancing only the
 * partitions that move are revoked: flashes on the partitions the first worker keeps run on
 * uninterrupted (an eager rebalance would restart every one of them), moved flashes resume on
 * their new owner, and every command ends in exactly one terminal event.
 */
@ExtendWith(SharedDevStack.class)
class WorkerScaleIT {
    private static final int DEVICES = 100;
    /** About 18 s to write 64 KiB: the rebalance lands while every flash is still writing. */
    private static final TimingProfile SLOW_FLASH = new TimingProfile("slow-flash", Duration.ZERO, Duration.ZERO,
            Duration.ofMillis(50), Duration.ofMillis(50), Duration.ofMillis(60), Duration.ofMillis(70));

    @Test
    void flashesOnPartitionsThatDoNotMoveGoOnWhileWorkersScaleOutAndIn(DevStack stack, @TempDir Path work) throws Exception {
        String run = "fs" + UUID.randomUUID().toString().substring(0, 6);
        TopicCatalog topics = new TopicCatalog(run, TopicCatalog.DEFAULT_PARTITIONS);
        stack.createTopics(topics);
        SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
        List<SimulatedDevice> devices = new ArrayList<>();
        List<FlasherWorker> workers = new ArrayList<>();
        HttpFrontend frontend = new HttpFrontend(2);
        try {
            SectorPool pool = new SectorPool(4096);
            for (int i = 0; i < DEVICES; i++) {
                devices.add(WorkerKit.device(String.format("pico-%03d", i), SLOW_FLASH, pool, frontend));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> devices.stream().allMatch(d -> d.mode() == SimulatedDevice.Mode.APP));

            FirmwareImage image = WorkerKit.image(work, "1.1.0");
            Map<String, Integer> partitionOf = new HashMap<>();
            Properties producerProps = new Properties();
            producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.endpoints().kafka());
            try (KafkaProducer<String, FlashCommand> producer = new KafkaProducer<>(producerProps, new StringSerializer(),
                    new AvroSerializer<>(registry, false))) {
                for (SimulatedDevice device : devices) {
                    FlashCommand command = WorkerKit.command(device, image, "1.1.0", "default/scale");
                    partitionOf.put(command.getCommandId(),
                            producer.send(new ProducerRecord<>(topics.flashCommands().name(), device.id(), command)).get().partition());
                }
            }

            List<FlashProgress> progress = new ArrayList<>();
            try (KafkaConsumer<String, FlashProgress> observer = WorkerKit.consumer(stack, "observer-" + run,
                    new AvroDeserializer<>(registry, FlashProgress.class))) {
                observer.subscribe(List.of(topics.flashProgress().name()));
                workers.add(WorkerKit.worker(stack, run, work, "worker-1"));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    observer.poll(Duration.ofMillis(100)).forEach(r -> progress.add(r.value()));
                    return commandsIn(progress, FlashPhase.WRITING).size() == DEVICES;
                });
                workers.add(WorkerKit.worker(stack, run, work, "worker-2"));
                workers.add(WorkerKit.worker(stack, run, work, "worker-3"));
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    observer.poll(Duration.ofMillis(100)).forEach(r -> progress.add(r.value()));
                    return workersSeen(progress).containsAll(Set.of("worker-2", "worker-3"));
                });
                Instant scaledOut = progress.stream().filter(p -> !p.getWorker().equals("worker-1")).map(FlashProgress::getAt)
                        .min(Instant::compareTo).orElseThrow();
                // 3 → 1: a worker that stops finishes what it runs before it lets its partitions go.
                workers.remove(2).close();
                workers.remove(1).close();
                await().atMost(Duration.ofSeconds(180)).until(() -> {
                    observer.poll(Duration.ofMillis(200)).forEach(r -> progress.add(r.value()));
                    return progress.stream().filter(FlashProgress::getTerminal).count() >= DEVICES;
                });
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // no second terminal event may follow
                while (System.nanoTime() < until) {
                    observer.poll(Duration.ofMillis(200)).forEach(r -> progress.add(r.value()));
                }

                Map<String, List<FlashProgress>> byCommand = progress.stream().collect(Collectors.groupingBy(FlashProgress::getCommandId));
                assertThat(byCommand).hasSize(DEVICES);
                byCommand.forEach((id, events) -> assertThat(events.stream().filter(FlashProgress::getTerminal))
                        .as("command %s: exactly one terminal event", id).singleElement()
                        .satisfies(t -> assertThat(t.getPhase()).isEqualTo(FlashPhase.SUCCEEDED)));
                Set<Integer> moved = new HashSet<>();
                byCommand.forEach((id, events) -> {
                    if (events.stream().anyMatch(e -> !e.getWorker().equals("worker-1"))) {
                        moved.add(partitionOf.get(id));
                    }
                });
                List<String> onKept = byCommand.keySet().stream().filter(id -> !moved.contains(partitionOf.get(id))).toList();
                assertThat(moved).as("partitions that moved to the new workers").isNotEmpty();
                assertThat(onKept).as("commands on the partitions worker-1 kept").isNotEmpty();
                List<String> keptAndRunningAtScaleOut = onKept.stream().filter(id -> terminal(byCommand.get(id)).getAt().isAfter(scaledOut))
                        .toList();
                assertThat(keptAndRunningAtScaleOut).as("flashes on kept partitions still running when the new workers took over")
                        .isNotEmpty();
                for (String id : onKept) {
                    assertThat(byCommand.get(id).stream().filter(e -> e.getPhase() == FlashPhase.ACCEPTED))
                            .as("command %s on a partition that did not move: started once, never interrupted", id).hasSize(1);
                }
                long interrupted = byCommand.values().stream()
                        .filter(events -> events.stream().filter(e -> e.getPhase() == FlashPhase.ACCEPTED).count() > 1).count();
                System.out.printf("scale 1->3->1: %d of %d partitions moved; %d flashes on kept partitions (%d still running at the"
                                + " scale-out) not interrupted; %d flashes interrupted and resumed by their new owner%n", moved.size(),
                        TopicCatalog.DEFAULT_PARTITIONS, onKept.size(), keptAndRunningAtScaleOut.size(), interrupted);
            }
            for (SimulatedDevice device : devices) {
                assertThat(device.metadata().path("firmwareVersion").asText()).as(device.id()).isEqualTo("1.1.0");
            }
        } finally {
            for (FlasherWorker worker : workers) {
                worker.close();
            }
            devices.forEach(SimulatedDevice::close);
            frontend.close();
        }
    }

    private static Set<String> commandsIn(List<FlashProgress> progress, FlashPhase phase) {
        return progress.stream().filter(p -> p.getPhase() == phase).map(FlashProgress::getCommandId).collect(Collectors.toSet());
    }

    private static Set<String> workersSeen(List<FlashProgress> progress) {
        return progress.stream().map(FlashProgress::getWorker).collect(Collectors.toSet());
    }

    private static FlashProgress terminal(List<FlashProgress> events) {
        return events.stream().filter(FlashProgress::getTerminal).findFirst().orElseThrow();
    }
}
