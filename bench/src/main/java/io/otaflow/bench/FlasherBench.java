package io.otaflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import io.otaflow.flasher.ArtifactStore;
import io.otaflow.flasher.FlashJob;
import io.otaflow.picowota.AppImage;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.simulators.device.TimingProfile;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The flasher's figures (issue 6): {@code --devices} (default 1,000) simulated devices (fast
 * profile, in a child process) flashed with a 256 KiB image by one worker in this JVM, all at
 * once on virtual threads: wall time against the device-bound lower bound, heap and RSS per
 * in-flight flash, CPU seconds per flash. Then {@code --one-shot} (default 100) flashes as that
 * many {@code otaflow flash} processes (4 at a time) against the same flashes by the worker:
 * total CPU seconds and peak memory, the price of the paper's Job per flash.
 */
public final class FlasherBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int IMAGE_BYTES = 256 * 1024;

    public static void main(String[] args) throws Exception {
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
        try (ChildProcesses children = new ChildProcesses(root)) {
            Path fleetFile = work.resolve("fleet.jsonl");
            Process fleet = children.start(work.resolve("fleet.log"), "simulate", "--devices", String.valueOf(devices),
                    "--image-size", "256KiB", "--endpoints-file", fleetFile.toString());
            ChildProcesses.awaitFile(fleetFile, Duration.ofSeconds(120), fleet);
            Thread.sleep(3000);
            List<JsonNode> targets = new ArrayList<>();
            for (String line : Files.readAllLines(fleetFile)) {
                targets.add(JSON.readTree(line));
            }

            FlashJob job = new FlashJob(new ArtifactStore(work.resolve("cache"), List.of(), true),
                    FlashJob.Settings.DEFAULTS.withPostConnectPause(Duration.ZERO), "bench-worker", HttpClient.newHttpClient(), Clock.systemUTC());
            FirmwareImage v11 = image(work, "1.1.0");
            MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            System.gc();
            long heapBefore = memory.getHeapMemoryUsage().getUsed();
            double rssBefore = rss("self");
            AtomicLong peakHeap = new AtomicLong();
            Thread sampler = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peakHeap.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            long cpu0 = os.getProcessCpuTime();
            long start = System.nanoTime();
            int succeeded = runAll(job, targets, v11, "1.1.0");
            double wall = (System.nanoTime() - start) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            sampler.interrupt();
            double bound = TimingProfile.FAST.flashLowerBound(IMAGE_BYTES).toNanos() / 1e9;
            System.out.printf("BENCH flasher_devices %d devices%n", devices);
            System.out.printf("BENCH flasher_succeeded %d flashes%n", succeeded);
            System.out.printf("BENCH flasher_wall %.2f s%n", wall);
            System.out.printf("BENCH flasher_device_bound %.3f s%n", bound);
            System.out.printf("BENCH flasher_wall_vs_device_bound %.0f x%n", wall / bound);
            System.out.printf("BENCH flasher_cpu_per_flash %.4f s%n", cpu / devices);
            System.out.printf("BENCH flasher_heap_per_inflight_flash %.1f KiB%n", (peakHeap.get() - heapBefore) / 1024.0 / devices);
            System.out.printf("BENCH flasher_rss_growth_per_inflight_flash %.1f KiB%n", (rss("self") - rssBefore) * 1024 / devices);

            // The same flashes as one-shot processes (the paper's Job per flash) and by the worker.
            List<JsonNode> first = targets.subList(0, Math.min(oneShot, targets.size()));
            FirmwareImage v12 = image(work, "1.2.0");
            long oneShotCpu = 0;
            double oneShotPeak = 0;
            int oneShotOk = 0;
            long oneShotStart = System.nanoTime();
            for (int i = 0; i < first.size(); i += 4) {
                List<Process> batch = new ArrayList<>();
                for (JsonNode device : first.subList(i, Math.min(i + 4, first.size()))) {
                    ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                            "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED",
                            "-jar", root.resolve("cli/target/otaflow.jar").toString(), "flash", "--allow-unsigned", "--post-connect-pause-ms", "0")
                            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
                    builder.environment().putAll(java.util.Map.of("HOST_ENDPOINT", device.path("http").asText(),
                            "OTA_ENDPOINT", device.path("ota").asText(), "DEVICE_ID", device.path("deviceId").asText(),
                            "FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.2.0", "FIRMWARE_URI", v12.getUri(),
                            "FIRMWARE_SHA256", v12.getSha256(), "FIRMWARE_SIZE", String.valueOf(v12.getSize())));
                    batch.add(builder.start());
                }
                double concurrentRss = 0;
                boolean alive = true;
                java.util.Map<Long, Long> cpuTicks = new java.util.HashMap<>();
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
                oneShotPeak = Math.max(oneShotPeak, concurrentRss);
                for (Process p : batch) {
                    oneShotCpu += cpuTicks.getOrDefault(p.pid(), 0L) * 10_000_000L; // 100 ticks a second (last sample before exit)
                    oneShotOk += p.waitFor() == 0 ? 1 : 0;
                }
            }
            double oneShotWall = (System.nanoTime() - oneShotStart) / 1e9;
            FirmwareImage v13 = image(work, "1.3.0");
            double rssBeforeWorker = rss("self");
            long cpu1 = os.getProcessCpuTime();
            long workerStart = System.nanoTime();
            int workerOk = runAll(job, first, v13, "1.3.0");
            double workerWall = (System.nanoTime() - workerStart) / 1e9;
            double workerCpu = (os.getProcessCpuTime() - cpu1) / 1e9;
            System.out.printf("BENCH oneshot_flashes %d ok of %d%n", oneShotOk, first.size());
            System.out.printf("BENCH oneshot_total_cpu %.1f s (sampled every 50 ms until exit: a lower bound)%n", oneShotCpu / 1e9);
            System.out.printf("BENCH oneshot_peak_rss_4_concurrent %.0f MiB%n", oneShotPeak);
            System.out.printf("BENCH oneshot_wall %.1f s%n", oneShotWall);
            System.out.printf("BENCH worker_same_flashes %d ok of %d%n", workerOk, first.size());
            System.out.printf("BENCH worker_total_cpu %.1f s%n", workerCpu);
            System.out.printf("BENCH worker_rss %.0f MiB (before: %.0f MiB)%n", rss("self"), rssBeforeWorker);
            System.out.printf("BENCH worker_wall %.1f s%n", workerWall);
            System.out.printf("BENCH oneshot_vs_worker_cpu %.1f x%n", (oneShotCpu / 1e9) / Math.max(0.001, workerCpu));
        }
        System.exit(0);
    }

    private static int runAll(FlashJob job, List<JsonNode> devices, FirmwareImage image, String version) throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<FlashProgress>> results = new ArrayList<>();
            for (JsonNode device : devices) {
                FlashCommand command = FlashCommand.newBuilder().setCommandId(UUID.randomUUID().toString())
                        .setDeviceId(device.path("deviceId").asText()).setEndpoint(device.path("http").asText())
                        .setOtaEndpoint(device.path("ota").asText()).setConfiguration("default/bench").setGeneration(1)
                        .setTo(new FirmwareRef("blink", version)).setImage(image).setDeadline(Instant.now().plusSeconds(600))
                        .setIssuedAt(Instant.now()).build();
                results.add(executor.submit(() -> job.run(command, p -> { })));
            }
            int ok = 0;
            for (Future<FlashProgress> result : results) {
                FlashProgress p = result.get();
                ok += p != null && p.getPhase() == FlashPhase.SUCCEEDED ? 1 : 0;
            }
            return ok;
        }
    }

    private static FirmwareImage image(Path work, String version) throws Exception {
        byte[] bytes = AppImage.build("blink", version, IMAGE_BYTES);
        Path file = Files.write(work.resolve("blink-" + version + ".bin"), bytes);
        return FirmwareImage.newBuilder().setUri(file.toUri().toString())
                .setSha256(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).setSize(bytes.length).build();
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
