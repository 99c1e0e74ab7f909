package io.otaflow.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.otaflow.cli.demo.DemoLog;
import io.otaflow.cli.demo.DemoReport;
import io.otaflow.cli.demo.DemoRun;
import io.otaflow.cli.demo.DemoSummary;
import io.otaflow.cli.demo.ProgressView;
import io.otaflow.simulators.device.TimingProfile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** {@code otaflow demo}: the whole mission on the embedded default, in one process. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run a whole fleet update on the embedded default: Kafka, a schema registry, HiveMQ and a Kubernetes API with Akri's CRDs; "
                + "a simulated Pico W fleet (some locked, some faulty); an Akri agent stand-in, otaflow's discovery handler, the topology, "
                + "two flasher workers and the akri-bridge. An Akri Configuration discovers the fleet on blink 1.0.0, then moves it to 1.1.0 "
                + "in waves. Exit code 0 only if every healthy unlocked device reached 1.1.0, no locked device was touched, every failure "
                + "is explained and no device got two commands for one generation and attempt."})
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--devices", defaultValue = "50", description = "Fleet size (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--faults", description = "Fault plan, as for otaflow simulate (default: about 10 %%: "
            + "locked=4%%,drop-after:48KiB=2%%,no-boot=2%%,unreachable:10m=2%%).")
    String faults;

    @Option(names = "--timing", defaultValue = "realistic", description = "Device timing: realistic (Wi-Fi join, flash erase and program times of a Pico W) or fast (default: ${DEFAULT-VALUE}).")
    String timing;

    @Option(names = "--max-in-flight", defaultValue = "10", description = "Rollout policy: most devices flashing at once (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(names = "--waves", defaultValue = "10%,50%,100%", description = "Rollout policy: cumulative waves (default: ${DEFAULT-VALUE}).")
    String waves;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for picking faulty devices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "Give up on the rollout after this long (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--json-summary", paramLabel = "FILE", description = "Write the figures as JSON.")
    Path jsonSummary;

    @Option(names = "--keep-running", description = "Leave everything up afterwards (endpoints in ./otaflow-demo.json) until Ctrl-C.")
    boolean keepRunning;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TimingProfile profile = switch (timing) {
            case "fast" -> TimingProfile.FAST;
            case "realistic" -> TimingProfile.REALISTIC;
            default -> throw new IllegalArgumentException("--timing is fast or realistic, not " + timing);
        };
        Path work = Files.createTempDirectory("otaflow-demo");
        DemoRun.Options defaults = DemoRun.Options.defaults(work);
        DemoRun.Options options = new DemoRun.Options(devices, faults == null ? defaults.faults() : faults, profile, defaults.imageBytes(),
                maxInFlight, waves, defaults.waveSuccessThreshold(), seed, timeout, work);
        DemoLog log = DemoLog.divert(work.resolve("otaflow-demo.log"));
        out.println("full log: " + log.file());
        DemoRun run = new DemoRun(options, out);
        UntilStopped stopped = UntilStopped.closing(run, "demo");
        DemoSummary summary;
        try {
            summary = run.run(new ProgressView(out, interactive()));
            DemoReport.print(out, summary, run.kubernetes(), run.kubeconfig(), 60);
            out.printf("full log: %s (%d warnings, %d errors)%n", log.file(), log.warnings(), log.errors());
            if (jsonSummary != null) {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(jsonSummary.toFile(), summary);
                out.println("summary written to " + jsonSummary);
            }
            if (keepRunning) {
                Path endpoints = Path.of("otaflow-demo.json");
                run.stack().endpoints().writeJson(endpoints);
                out.println("everything stays up; endpoints in " + endpoints.toAbsolutePath()
                        + " (try: ./otaflow devices --platform " + endpoints + "). Press Ctrl-C to stop.");
                out.flush();
                stopped.await();
            }
        } finally {
            if (!keepRunning) {
                run.close();
            }
            log.close();
        }
        return summary.passed() ? 0 : 1;
    }

    /**
     * True on a terminal that understands ANSI. Since JDK 22 {@code System.console()} exists even
     * when output is redirected; {@code Console.isTerminal()} (JDK 22+, called reflectively because
     * otaflow targets 21) tells the difference.
     */
    private static boolean interactive() {
        java.io.Console console = System.console();
        String term = System.getenv("TERM");
        if (console == null || term == null || term.equals("dumb")) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // JDK 21: a console exists only on a terminal
        }
    }
}
