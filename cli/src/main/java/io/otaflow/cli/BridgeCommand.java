package io.otaflow.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.otaflow.bridge.AkriBridge;
import io.otaflow.cli.ops.OpsServer;
import io.otaflow.bridge.BridgeConfig;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code otaflow bridge}: the akri-bridge controller, until stopped. */
@Command(name = "bridge", mixinStandardHelpOptions = true,
        description = "Run the akri-bridge: Akri Configurations become desired firmware, Instances discovery events, and device state, "
                + "flash progress and rollout status land in their status. The cluster comes from --platform, or from the usual "
                + "kubeconfig / in-cluster service account. Settings also come from OTAFLOW_BRIDGE_* variables; --set KEY=VALUE passes any.")
final class BridgeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    PlatformOptions platform;

    @Mixin
    OpsOptions ops;

    @Option(names = "--namespace", description = "Watch only this namespace (default: all).")
    String namespace;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any other setting (see akri-bridge/README.md).")
    Map<String, String> settings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new HashMap<>(settings);
        Config kubernetes = Config.autoConfigure(null);
        platform.into(overrides, BridgeConfig.KAFKA_BOOTSTRAP, BridgeConfig.SCHEMA_REGISTRY, BridgeConfig.TOPIC_PREFIX);
        if (platform.kubernetes() != null) {
            kubernetes = new ConfigBuilder(Config.empty()).withMasterUrl(platform.kubernetes()).withNamespace("default")
                    .withHttp2Disable(true).build();
        }
        if (namespace != null) {
            overrides.put(BridgeConfig.NAMESPACE, namespace);
        }
        BridgeConfig config = BridgeConfig.fromEnvironment(System.getenv(), overrides);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(kubernetes).build();
        OpsServer opsServer = ops.start();
        AkriBridge bridge = new AkriBridge(config, client, new SchemaRegistryClient(config.getString(BridgeConfig.SCHEMA_REGISTRY)),
                opsServer.registry(), Clock.systemUTC()).start();
        // A standby replica is healthy and ready too: it takes over when the leader goes.
        return UntilStopped.serve(spec.commandLine(), "akri-bridge", opsServer, () -> {
                    bridge.close();
                    client.close();
                }, () -> { }, () -> OpsServer.Health.up(bridge.active() ? "leading" : "standby; leader " + bridge.leader()),
                "akri-bridge " + bridge.identity() + " running against " + kubernetes.getMasterUrl() + ".");
    }
}
