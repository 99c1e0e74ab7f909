package io.otaflow.cli;

import io.otaflow.flasher.FlasherWorker;
import io.otaflow.flasher.FlasherWorkerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code otaflow worker}: a flasher worker, until stopped. */
@Command(name = "worker", mixinStandardHelpOptions = true,
        description = "Run a flasher worker: a member of the consumer group on flash.commands carrying out the picowota sequence, "
                + "thousands of devices at once on virtual threads. Run N of them; SIGTERM lets running flashes finish.")
final class WorkerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PlatformOptions platform;



    @Option(names = "--trusted-key", description = "Base64 Ed25519 public key trusted to sign images (repeatable).")
    List<String> trustedKeys = new ArrayList<>();

    @Option(names = "--allow-unsigned", description = "Development only: flash images without a signature.")
    boolean allowUnsigned;

    @Option(names = "--concurrency", defaultValue = "1000", description = "Most flashes at once (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any other worker setting (see flasher-workers/README.md).")
    Map<String, String> settings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> located = new HashMap<>();
        platform.into(located, "kafka", "registry");
        Map<String, String> values = new HashMap<>(settings);
        located.forEach((key, value) -> values.put(key, value.toString()));
        for (int i = 0; i < trustedKeys.size(); i++) {
            values.put("trusted-key." + i, trustedKeys.get(i));
        }
        values.put("allow-unsigned", String.valueOf(allowUnsigned));
        values.put("concurrency", String.valueOf(concurrency));
        FlasherWorker worker = FlasherWorkerMain.start(values);
        UntilStopped stopped = UntilStopped.closing(worker, "worker");
        spec.commandLine().getOut().println("flasher worker running. Press Ctrl-C to stop.");
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
