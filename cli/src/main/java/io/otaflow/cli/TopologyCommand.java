package io.otaflow.cli;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.otaflow.cli.ops.OpsServer;
import io.otaflow.topology.TopologyApp;
import org.apache.kafka.streams.KafkaStreams;
import io.otaflow.topology.TopologyConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code otaflow topology}: the Kafka Streams application, until stopped. */
@Command(name = "topology", mixinStandardHelpOptions = true,
        description = "Run the topology (Kafka Streams, exactly-once): device state, eligibility, the rollout gate, flash commands "
                + "and rollout status. Settings also come from OTAFLOW_TOPOLOGY_* variables; "
                + "--set KEY=VALUE passes any setting (otaflow.topology.streams.* goes to Kafka Streams).")
final class TopologyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PlatformOptions platform;

    @Mixin
    OpsOptions ops;

    @Option(names = "--state-dir", description = "Local state directory.")
    Path stateDir;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any other setting.")
    Map<String, String> settings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new HashMap<>(settings);
        platform.into(overrides, TopologyConfig.KAFKA_BOOTSTRAP, TopologyConfig.SCHEMA_REGISTRY, TopologyConfig.TOPIC_PREFIX);
        if (stateDir != null) {
            overrides.put(TopologyConfig.STATE_DIR, stateDir.toString());
        }
        TopologyApp app = new TopologyApp(TopologyConfig.fromEnvironment(System.getenv(), overrides));
        OpsServer opsServer = ops.start();
        new KafkaStreamsMetrics(app.streams()).bindTo(opsServer.registry());
        return UntilStopped.serve(spec.commandLine(), "topology", opsServer, app, app::start, () -> health(app.streams().state()),
                "topology running.");
    }

    /**
     * Rebalancing is normal and ready: every instance rebalances at once when one joins or
     * leaves, and unready instances would empty the Service and block drains. An application
     * that has failed or stopped needs a restart.
     */
    static OpsServer.Health health(KafkaStreams.State state) {
        boolean live = state != KafkaStreams.State.ERROR && state != KafkaStreams.State.PENDING_ERROR
                && state != KafkaStreams.State.NOT_RUNNING;
        boolean ready = state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
        return new OpsServer.Health(live, ready, "Kafka Streams is " + state);
    }
}
