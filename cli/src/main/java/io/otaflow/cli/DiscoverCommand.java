package io.otaflow.cli;

import io.otaflow.cli.ops.OpsServer;
import io.otaflow.connectors.discovery.DiscoveryHandler;
import io.otaflow.connectors.discovery.DiscoveryHandlerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code otaflow discover}: the discovery handler, for Akri or standalone, until stopped. */
@Command(name = "discover", mixinStandardHelpOptions = true,
        description = "Run the device discovery handler: poll devices' metadata over HTTP and send discovery events, "
                + "reports and dead letters to Kafka. --mode akri serves Akri's DiscoveryHandler gRPC and registers with the "
                + "agent; --mode standalone polls --details itself. Every option can also come from the environment "
                + "(OTAFLOW_DISCOVERY_*, and Akri's DISCOVERY_HANDLERS_DIRECTORY, POD_IP, AGENT_NODE_NAME).")
final class DiscoverCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--mode", description = "akri or standalone.")
    String mode;

    @Option(names = "--details", description = "Standalone: YAML file with discoveryDetails.")
    Path details;

    @Mixin
    PlatformOptions platform;

    @Mixin
    OpsOptions ops;

    @Option(names = "--name", description = "Akri: handler name (default otaflow-http).")
    String name;

    @Option(names = "--socket-dir", description = "Akri: discovery handler directory (default /var/lib/akri).")
    Path socketDir;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new HashMap<>();
        platform.into(overrides, DiscoveryHandlerConfig.KAFKA_BOOTSTRAP, DiscoveryHandlerConfig.SCHEMA_REGISTRY,
                DiscoveryHandlerConfig.TOPIC_PREFIX);
        put(overrides, DiscoveryHandlerConfig.MODE, mode);
        put(overrides, DiscoveryHandlerConfig.DETAILS_FILE, details);
        put(overrides, DiscoveryHandlerConfig.NAME, name);
        put(overrides, DiscoveryHandlerConfig.SOCKET_DIRECTORY, socketDir);
        if (details != null && mode == null) {
            overrides.put(DiscoveryHandlerConfig.MODE, "standalone");
        }
        DiscoveryHandlerConfig config = DiscoveryHandlerConfig.fromEnvironment(System.getenv(), overrides);
        OpsServer opsServer = ops.start();
        DiscoveryHandler handler = new DiscoveryHandler(config, opsServer.registry()).start();
        String running = config.getString(DiscoveryHandlerConfig.MODE) + " mode";
        return UntilStopped.serve(spec.commandLine(), "discover", opsServer, handler, () -> { }, () -> OpsServer.Health.up(running),
                "discovery handler running (" + running + ").");
    }

    private static void put(Map<String, Object> overrides, String key, Object value) {
        if (value != null) {
            overrides.put(key, value.toString());
        }
    }
}
