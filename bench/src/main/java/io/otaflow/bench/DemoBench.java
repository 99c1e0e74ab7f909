package io.otaflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Issue 8's figure: {@code otaflow demo} at {@code --devices} (default 1,000, realistic device
 * timing), run as its own process from the packaged CLI. Reports the wall time from the
 * Configuration change to the end of the rollout against the device-bound lower bound for the
 * policy (the flash time of one Pico W times the rounds max-in-flight allows; waves, retries and
 * rollbacks only add to it), how soon a device whose new firmware never boots is judged (from the
 * boot request to BOOT_FAILED, the slowest), and the process's peak RSS (VmHWM, sampled until it exits).
 */
public final class DemoBench {
    public static void main(String[] args) throws Exception {
        int devices = 1000;
        int maxInFlight = 100;
        String timing = "realistic";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> devices = Integer.parseInt(args[++i]);
                case "--max-in-flight" -> maxInFlight = Integer.parseInt(args[++i]);
                case "--timing" -> timing = args[++i];
                default -> throw new IllegalArgumentException("usage: DemoBench [--devices N] [--max-in-flight M] [--timing realistic|fast]");
            }
        }
        Path root = Path.of(System.getProperty("otaflow.root", "."));
        Path work = Files.createTempDirectory("otaflow-demo-bench");
        Path summary = work.resolve("summary.json");
        Path log = work.resolve("demo.log");
        long peakRssKiB = 0;
        long started = System.nanoTime();
        int exit;
        try (ChildProcesses children = new ChildProcesses(root)) {
            Process demo = children.start(log, "demo", "--devices", String.valueOf(devices), "--timing", timing,
                    "--max-in-flight", String.valueOf(maxInFlight), "--timeout", "PT40M", "--json-summary", summary.toString());
            Path status = Path.of("/proc", String.valueOf(demo.pid()), "status");
            while (!demo.waitFor(500, TimeUnit.MILLISECONDS)) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmHWM:")) {
                            peakRssKiB = Math.max(peakRssKiB, Long.parseLong(line.replaceAll("\\D", "")));
                        }
                    }
                } catch (java.io.IOException e) {
                    // exited between the check and the read
                }
            }
            exit = demo.exitValue();
        }
        double total = Duration.ofNanos(System.nanoTime() - started).toMillis() / 1000.0;
        if (!Files.exists(summary)) {
            System.out.println(String.join("\n", tail(log, 40)));
            throw new IllegalStateException("the demo wrote no summary (exit " + exit + "); log above");
        }
        JsonNode s = new ObjectMapper().readTree(summary.toFile());
        System.out.printf("BENCH demo_devices %d devices (%s timing, max-in-flight %d)%n", devices, timing, maxInFlight);
        System.out.printf("BENCH demo_exit_code %d%n", exit);
        System.out.printf("BENCH demo_updated %d of %d devices (locked %d, not updated %d, rolled back %d, duplicate commands %d)%n",
                s.get("updated").asInt(), devices, s.get("locked").asInt(), s.get("failed").asInt(), s.get("rolledBack").asInt(),
                s.get("duplicateCommands").asInt());
        System.out.printf("BENCH demo_rollout_wall %.1f s%n", s.get("wallSeconds").asDouble());
        System.out.printf("BENCH demo_device_bound %.1f s%n", s.get("deviceBoundSeconds").asDouble());
        System.out.printf("BENCH demo_wall_vs_bound %.2f ratio%n", s.get("wallSeconds").asDouble() / s.get("deviceBoundSeconds").asDouble());
        System.out.printf("BENCH demo_flash_p50 %.1f s%n", s.get("flashP50Seconds").asDouble());
        System.out.printf("BENCH demo_flash_p95 %.1f s%n", s.get("flashP95Seconds").asDouble());
        System.out.printf("BENCH demo_no_boot_verdicts %d flashes judged BOOT_FAILED%n", s.get("noBootVerdicts").asInt());
        System.out.printf("BENCH demo_no_boot_verdict_max %.1f s after the boot request (goal <= boot time %.1f s + 5 s)%n",
                s.get("noBootVerdictMaxSeconds").asDouble(), s.get("deviceBootSeconds").asDouble());
        System.out.printf("BENCH demo_peak_rss %.0f MiB%n", peakRssKiB / 1024.0);
        System.out.printf("BENCH demo_process_total %.1f s (platform start, discovery, update, shutdown)%n", total);
    }

    private static List<String> tail(Path log, int lines) throws java.io.IOException {
        List<String> all = Files.readAllLines(log);
        return all.subList(Math.max(0, all.size() - lines), all.size());
    }
}
