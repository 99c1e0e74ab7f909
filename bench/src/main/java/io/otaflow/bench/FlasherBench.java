package io.otaflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import io.otaflow.devstack.Endpoints;
import io.otaflow.flasher.FlasherWorker;
import io.otaflow.flasher.FlasherWorkerConfig;
import io.otaflow.flasher.FlasherWorkerMain;
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
import io.otaflow.simulators.device.TimingProfile;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The flasher's figures (issues 6 and 16): the platform ({@code otaflow up}) and {@code --devices}
 * (default 1,000) simulated devices (fast profile) run in child processes; one real flasher
 * worker runs in this JVM, and every flash goes through Kafka as in production: Avro commands on
 * the commands topic, the worker's consumer, its desired-generation follower, its producer, and an
 * observer that counts each command's terminal events. All devices are flashed with a 256 KiB
 * image at once: wall time against the device-bound lower bound, CPU per flash, and the live heap
 * per in-flight flash: once 90% of the flashes are in flight, a full GC, then the used heap minus
 * the idle worker's, divided by the flashes still in flight. Then {@code --one-shot} (default 100)
 * flashes as that many {@code otaflow flash} processes (4 at a time) against the same flashes by
 * the worker, again through Kafka: total CPU seconds and peak memory, the price of a Job per flash.
 * A run in which a command ends other than once, or not SUCCEEDED, exits non-zero.
 */
public final class FlasherBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int IMAGE_BYTES = 256 * 1024;
    private static final double PEAK_SHARE = 0.9;

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (IncompleteRun e) {
            System.out.flush();
            System.err.println("FlasherBench did not complete: " + e.getMessage());
            System.exit(1);
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private static void run(String[] args) throws Exception {
        int devices = 1000;
        int oneShot = 100;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> devices = Integer.parseInt(args[++i]);
                case "--one-shot" -> oneShot = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path root = Path.of(System.getProperty("otaflow.root", ".")).toAbsolutePath();
        Path work = Files.createTempDirectory("otaflow-flasher-bench-");
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (ChildProcesses children = new ChildProcesses(root)) {
            Path platformFile = work.resolve("platform.json");
            Path fleetFile = work.resolve("fleet.jsonl");
            Process up = children.start(work.resolve("up.log"), "up", "--endpoints-file", platformFile.toString());
            Process fleet = children.start(work.resolve("fleet.log"), "simulate", "--devices", String.valueOf(devices),
                    "--image-size", "256KiB", "--endpoints-file", fleetFile.toString());
            ChildProcesses.awaitFile(platformFile, Duration.ofSeconds(180), up);
            ChildProcesses.awaitFile(fleetFile, Duration.ofSeconds(180), fleet);
            Thread.sleep(3000); // the devices' apps come up
            List<JsonNode> targets = new ArrayList<>();
            for (String line : Files.readAllLines(fleetFile)) {
                targets.add(JSON.readTree(line));
            }
            Endpoints platform = Endpoints.readJson(platformFile);
            SchemaRegistryClient registry = new SchemaRegistryClient(platform.schemaRegistry());
            TopicCatalog topics = new TopicCatalog();

            try (FlasherWorker worker = FlasherWorkerMain.start(Map.of(
                         FlasherWorkerConfig.KAFKA_BOOTSTRAP, platform.kafka(),
                         FlasherWorkerConfig.SCHEMA_REGISTRY, platform.schemaRegistry(),
                         FlasherWorkerConfig.ALLOW_UNSIGNED, "true",
                         FlasherWorkerConfig.POST_CONNECT_PAUSE_MS, "0",
                         FlasherWorkerConfig.CONCURRENCY, String.valueOf(Math.max(1000, devices)),
                         FlasherWorkerConfig.CACHE_DIR, work.resolve("cache").toString(),
                         FlasherWorkerConfig.WORKER_ID, "bench-worker"));
                 Observer observer = new Observer(platform, registry, topics);
                 KafkaProducer<String, FlashCommand> producer = producer(platform, registry)) {
                Thread.sleep(5000); // the worker joins its group and is assigned every partition
                gc();
                long idleHeap = memory.getHeapMemoryUsage().getUsed();
                double idleRss = rss("self");

                FirmwareImage v11 = image(work, "1.1.0");
                Round all = Round.run(producer, topics, observer, worker, os, targets, v11, "1.1.0", true);
                double bound = TimingProfile.FAST.flashLowerBound(IMAGE_BYTES).toNanos() / 1e9;
                Peak peak = all.peak.get();
                if (peak == null) {
                    fail("the worker never had " + (int) Math.ceil(PEAK_SHARE * devices) + " of " + devices
                            + " flashes in flight at once (peak " + all.maxInFlight + "): no heap per in-flight flash to report");
                }
                System.out.printf("BENCH flasher_devices %d devices%n", devices);
                System.out.printf("BENCH flasher_succeeded %d flashes (each command exactly one terminal event)%n", all.succeeded);
                System.out.printf("BENCH flasher_wall %.2f s (commands sent to last terminal event seen; includes one full GC)%n", all.wall);
                System.out.printf("BENCH flasher_device_bound %.3f s%n", bound);
                System.out.printf("BENCH flasher_wall_vs_device_bound %.1f x%n", all.wall / bound);
                System.out.printf("BENCH flasher_cpu_per_flash %.4f s (this JVM: worker, producer, observer; the explicit GC excluded)%n",
                        all.cpuWithoutGc / devices);
                System.out.printf("BENCH flasher_peak_in_flight %d flashes%n", all.maxInFlight);
                System.out.printf("BENCH flasher_live_heap_per_inflight_flash %.1f KiB (after a full GC with %d in flight; goal <= 256)%n",
                        (peak.heap - idleHeap) / 1024.0 / peak.inFlight, peak.inFlight);
                System.out.printf("BENCH flasher_idle_worker_heap %.1f MiB%n", idleHeap / 1048576.0);
                System.out.printf("BENCH flasher_rss_growth_per_inflight_flash %.1f KiB (RSS at the peak minus idle)%n",
                        (peak.rss - idleRss) * 1024 / peak.inFlight);

                // The same flashes as one-shot processes (the paper's Job per flash) and by the worker.
                List<JsonNode> first = targets.subList(0, Math.min(oneShot, targets.size()));
                OneShot shots = OneShot.run(root, first, image(work, "1.2.0"));
                Round byWorker = Round.run(producer, topics, observer, worker, os, first, image(work, "1.3.0"), "1.3.0", false);
                System.out.printf("BENCH oneshot_flashes %d ok of %d%n", shots.ok, first.size());
                System.out.printf("BENCH oneshot_total_cpu %.1f s (sampled every 50 ms until exit: a lower bound)%n", shots.cpuSeconds);
                System.out.printf("BENCH oneshot_peak_rss_4_concurrent %.0f MiB%n", shots.peakRssMiB);
                System.out.printf("BENCH oneshot_wall %.1f s%n", shots.wall);
                System.out.printf("BENCH worker_same_flashes %d ok of %d%n", byWorker.succeeded, first.size());
                System.out.printf("BENCH worker_total_cpu %.1f s%n", byWorker.cpuWithoutGc);
                System.out.printf("BENCH worker_rss %.0f MiB%n", rss("self"));
                System.out.printf("BENCH worker_wall %.1f s%n", byWorker.wall);
                System.out.printf("BENCH oneshot_vs_worker_cpu %.1f x%n", shots.cpuSeconds / Math.max(0.001, byWorker.cpuWithoutGc));
                if (shots.ok != first.size()) {
                    fail((first.size() - shots.ok) + " one-shot flashes did not succeed (logs discarded; rerun one by hand)");
                }
            }
        }
    }

    /** The heap after a full GC once most flashes were in flight, and how many were still in flight. */
    private record Peak(long heap, double rss, int inFlight) {
    }

    /**
     * One flash per target, sent as commands through Kafka; ends when every command has its terminal
     * event. With {@code samplePeak}, a sampler takes the {@link Peak} the first time the worker has
     * {@link #PEAK_SHARE} of the targets in flight.
     */
    private static final class Round {
        final AtomicReference<Peak> peak = new AtomicReference<>();
        volatile int maxInFlight;
        volatile long gcCpuNanos;
        double wall;
        double cpuWithoutGc;
        int succeeded;

        static Round run(KafkaProducer<String, FlashCommand> producer, TopicCatalog topics, Observer observer, FlasherWorker worker,
                         OperatingSystemMXBean os, List<JsonNode> targets, FirmwareImage image, String version, boolean samplePeak)
                throws Exception {
            Round round = new Round();
            int wanted = (int) Math.ceil(PEAK_SHARE * targets.size());
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    int now = worker.inFlight();
                    round.maxInFlight = Math.max(round.maxInFlight, now);
                    if (samplePeak && round.peak.get() == null && now >= wanted) {
                        long cpu = os.getProcessCpuTime();
                        gc();
                        round.gcCpuNanos = os.getProcessCpuTime() - cpu;
                        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                        // The fewer flashes, the more heap each: take the smaller count, before or after the GC.
                        round.peak.set(new Peak(heap, rss("self"), Math.min(now, worker.inFlight())));
                    }
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            Set<String> ids = ConcurrentHashMap.newKeySet();
            long cpu0 = os.getProcessCpuTime();
            long start = System.nanoTime();
            for (JsonNode device : targets) {
                FlashCommand command = FlashCommand.newBuilder().setCommandId(UUID.randomUUID().toString())
                        .setDeviceId(device.path("deviceId").asText()).setEndpoint(device.path("http").asText())
                        .setOtaEndpoint(device.path("ota").asText()).setConfiguration("default/bench").setGeneration(1)
                        .setTo(new FirmwareRef("blink", version)).setImage(image).setDeadline(Instant.now().plusSeconds(600))
                        .setIssuedAt(Instant.now()).build();
                ids.add(command.getCommandId());
                producer.send(new ProducerRecord<>(topics.flashCommands().name(), command.getDeviceId(), command));
            }
            producer.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(600).toNanos();
            while (!observer.allEnded(ids)) {
                if (System.nanoTime() > deadline) {
                    sampler.interrupt();
                    fail(observer.ended(ids) + " of " + ids.size() + " commands ended within 600 s");
                }
                Thread.sleep(20);
            }
            round.wall = (System.nanoTime() - start) / 1e9;
            sampler.interrupt();
            sampler.join();
            round.cpuWithoutGc = (os.getProcessCpuTime() - cpu0 - round.gcCpuNanos) / 1e9;
            Thread.sleep(2000); // a second terminal event for a command would arrive now
            Map<FlashPhase, Integer> results = observer.results(ids);
            int duplicates = observer.duplicates(ids);
            round.succeeded = results.getOrDefault(FlashPhase.SUCCEEDED, 0);
            if (round.succeeded != ids.size() || duplicates > 0) {
                fail("of " + ids.size() + " commands to " + version + ": " + results + ", " + duplicates
                        + " with more than one terminal event (" + observer.someErrors(ids) + ")");
            }
            return round;
        }
    }

    /** Counts every command's terminal events on the progress topic, as any consumer of it would. */
    private static final class Observer implements AutoCloseable {
        private final Map<String, AtomicInteger> terminals = new ConcurrentHashMap<>();
        private final Map<String, FlashProgress> last = new ConcurrentHashMap<>();
        private final KafkaConsumer<String, FlashProgress> consumer;
        private final Thread thread;
        private volatile boolean open = true;

        Observer(Endpoints platform, SchemaRegistryClient registry, TopicCatalog topics) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.kafka());
            props.put(ConsumerConfig.GROUP_ID_CONFIG, "flasher-bench-observer");
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            consumer = new KafkaConsumer<>(props, new StringDeserializer(), new AvroDeserializer<>(registry, FlashProgress.class));
            consumer.subscribe(List.of(topics.flashProgress().name()));
            thread = Thread.ofPlatform().daemon().name("flasher-bench-observer").start(() -> {
                try (consumer) {
                    while (open) {
                        consumer.poll(Duration.ofMillis(100)).forEach(record -> {
                            FlashProgress progress = record.value();
                            if (progress.getTerminal()) {
                                terminals.computeIfAbsent(progress.getCommandId(), id -> new AtomicInteger()).incrementAndGet();
                                last.put(progress.getCommandId(), progress);
                            }
                        });
                    }
                } catch (org.apache.kafka.common.errors.WakeupException e) {
                    // done: the benchmark is over
                }
            });
        }

        boolean allEnded(Set<String> ids) {
            return ended(ids) == ids.size();
        }

        int ended(Set<String> ids) {
            return (int) ids.stream().filter(terminals::containsKey).count();
        }

        int duplicates(Set<String> ids) {
            return (int) ids.stream().filter(id -> terminals.containsKey(id) && terminals.get(id).get() > 1).count();
        }

        Map<FlashPhase, Integer> results(Set<String> ids) {
            Map<FlashPhase, Integer> results = new HashMap<>();
            ids.stream().map(last::get).filter(p -> p != null).forEach(p -> results.merge(p.getPhase(), 1, Integer::sum));
            return results;
        }

        List<String> someErrors(Set<String> ids) {
            return ids.stream().map(last::get).filter(p -> p != null && p.getPhase() != FlashPhase.SUCCEEDED).limit(3)
                    .map(p -> p.getDeviceId() + ": " + p.getPhase() + " " + p.getError()).toList();
        }

        @Override
        public void close() throws InterruptedException {
            open = false;
            consumer.wakeup(); // not an interrupt: the consumer then closes cleanly, leaving its group
            thread.join(10_000);
        }
    }

    /** The same flashes as {@code otaflow flash} processes, four at a time. */
    private record OneShot(int ok, double cpuSeconds, double peakRssMiB, double wall) {
        static OneShot run(Path root, List<JsonNode> devices, FirmwareImage image) throws Exception {
            long cpuNanos = 0;
            double peak = 0;
            int ok = 0;
            long start = System.nanoTime();
            for (int i = 0; i < devices.size(); i += 4) {
                List<Process> batch = new ArrayList<>();
                for (JsonNode device : devices.subList(i, Math.min(i + 4, devices.size()))) {
                    ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                            "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED",
                            "-jar", root.resolve("cli/target/otaflow.jar").toString(), "flash", "--allow-unsigned", "--post-connect-pause-ms", "0")
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                    builder.environment().putAll(Map.of("HOST_ENDPOINT", device.path("http").asText(),
                            "OTA_ENDPOINT", device.path("ota").asText(), "DEVICE_ID", device.path("deviceId").asText(),
                            "FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.2.0", "FIRMWARE_URI", image.getUri(),
                            "FIRMWARE_SHA256", image.getSha256(), "FIRMWARE_SIZE", String.valueOf(image.getSize())));
                    batch.add(builder.start());
                }
                double concurrentRss = 0;
                boolean alive = true;
                Map<Long, Long> cpuTicks = new HashMap<>();
                while (alive) {
                    alive = false;
                    double sum = 0;
                    for (Process p : batch) {
                        if (p.isAlive()) {
                            alive = true;
                            sum += rss(String.valueOf(p.pid()));
                            long ticks = cpuTicks(p.pid());
                            if (ticks > 0) {
                                cpuTicks.put(p.pid(), ticks);
                            }
                        }
                    }
                    concurrentRss = Math.max(concurrentRss, sum);
                    Thread.sleep(50);
                }
                peak = Math.max(peak, concurrentRss);
                for (Process p : batch) {
                    cpuNanos += cpuTicks.getOrDefault(p.pid(), 0L) * 10_000_000L; // 100 ticks a second (last sample before exit)
                    ok += p.waitFor() == 0 ? 1 : 0;
                }
            }
            return new OneShot(ok, cpuNanos / 1e9, peak, (System.nanoTime() - start) / 1e9);
        }
    }

    private static KafkaProducer<String, FlashCommand> producer(Endpoints platform, SchemaRegistryClient registry) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, platform.kafka());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(props, new StringSerializer(), new AvroSerializer<>(registry, false));
    }

    private static FirmwareImage image(Path work, String version) throws Exception {
        byte[] bytes = AppImage.build("blink", version, IMAGE_BYTES);
        Path file = Files.write(work.resolve("blink-" + version + ".bin"), bytes);
        return FirmwareImage.newBuilder().setUri(file.toUri().toString()).setSha256(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes))).setSize(bytes.length).build();
    }

    /** Two collections, so that what the first left for finalization is gone too. */
    private static void gc() {
        System.gc();
        System.gc();
    }

    /** Ends the run without figures; {@link #main} stops the worker and the children first, then exits 1. */
    private static void fail(String why) {
        throw new IncompleteRun(why);
    }

    private static final class IncompleteRun extends RuntimeException {
        IncompleteRun(String why) {
            super(why);
        }
    }

    /** User plus system CPU of a live process, in clock ticks (from /proc/PID/stat); 0 when gone. */
    private static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
        } catch (Exception e) {
            return 0;
        }
    }

    /** Resident memory of a process (pid or "self"), MiB; 0 when gone. */
    private static double rss(String pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }
}
