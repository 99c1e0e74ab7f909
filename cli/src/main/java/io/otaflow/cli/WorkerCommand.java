package io.otaflow.cli;

import io.otaflow.cli.ops.OpsServer;
import io.otaflow.flasher.FlasherWorker;
import io.otaflow.flasher.FlasherWorkerConfig;
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

    @Mixin
    OpsOptions ops;

    @Option(names = "--trusted-key", description = "Base64 Ed25519 public key trusted to sign images (repeatable; env OTAFLOW_FLASHER_TRUSTED_KEYS, comma-separated).")
    List<String> trustedKeys = new ArrayList<>();

    @Option(names = "--allow-unsigned", description = "Development only: flash images without a signature.")
    Boolean allowUnsigned;

    @Option(names = "--concurrency", description = "Most flashes at once (default 1000; env OTAFLOW_FLASHER_CONCURRENCY).")
    Integer concurrency;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any other worker setting, by its otaflow.flasher.* key (see flasher-workers/README.md).")
    Map<String, String> settings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new HashMap<>(settings);
        platform.into(overrides, FlasherWorkerConfig.KAFKA_BOOTSTRAP, FlasherWorkerConfig.SCHEMA_REGISTRY, FlasherWorkerConfig.TOPIC_PREFIX);
        if (!trustedKeys.isEmpty()) {
            overrides.put(FlasherWorkerConfig.TRUSTED_KEYS, String.join(",", trustedKeys));
        }
        if (allowUnsigned != null) {
            overrides.put(FlasherWorkerConfig.ALLOW_UNSIGNED, allowUnsigned.toString());
        }
        if (concurrency != null) {
            overrides.put(FlasherWorkerConfig.CONCURRENCY, concurrency.toString());
        }
        FlasherWorkerConfig config = FlasherWorkerConfig.fromEnvironment(System.getenv(), overrides);
        OpsServer opsServer = ops.start();
        FlasherWorker worker = FlasherWorkerMain.start(config, opsServer.registry());
        return UntilStopped.serve(spec.commandLine(), "worker", opsServer, worker, () -> { }, () -> worker.polling()
                ? OpsServer.Health.up(worker.inFlight() + " flashes in flight")
                : new OpsServer.Health(false, false, "the consumer loop has stopped"), "flasher worker running.");
    }
}
