package io.otaflow.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.bridge.AkriBridge;
import io.otaflow.bridge.BridgeConfig;
import io.otaflow.devstack.Endpoints;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import picocli.CommandLine.Command;
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

    @Option(names = "--platform", description = "Endpoints file from 'otaflow up --endpoints-file' (Kafka, registry and Kubernetes API from it).")
    Path platform;

    @Option(names = "--kafka", description = "Kafka bootstrap servers.")
    String kafka;

    @Option(names = "--schema-registry", description = "Schema registry URL.")
    String schemaRegistry;

    @Option(names = "--namespace", description = "Watch only this namespace (default: all).")
    String namespace;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Any other setting (see akri-bridge/README.md).")
    Map<String, String> settings = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new HashMap<>(settings);
        Config kubernetes = Config.autoConfigure(null);
        if (platform != null) {
            Endpoints endpoints = Endpoints.readJson(platform);
            overrides.put(BridgeConfig.KAFKA_BOOTSTRAP, endpoints.kafka());
            overrides.put(BridgeConfig.SCHEMA_REGISTRY, endpoints.schemaRegistry());
            kubernetes = new ConfigBuilder(Config.empty()).withMasterUrl(endpoints.kubernetes()).withNamespace("default")
                    .withHttp2Disable(true).build();
        }
        if (kafka != null) {
            overrides.put(BridgeConfig.KAFKA_BOOTSTRAP, kafka);
        }
        if (schemaRegistry != null) {
            overrides.put(BridgeConfig.SCHEMA_REGISTRY, schemaRegistry);
        }
        if (namespace != null) {
            overrides.put(BridgeConfig.NAMESPACE, namespace);
        }
        BridgeConfig config = BridgeConfig.fromEnvironment(System.getenv(), overrides);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(kubernetes).build();
        AkriBridge bridge = new AkriBridge(config, client, new SchemaRegistryClient(config.getString(BridgeConfig.SCHEMA_REGISTRY)),
                new SimpleMeterRegistry(), Clock.systemUTC()).start();
        UntilStopped stopped = UntilStopped.closing(() -> {
            bridge.close();
            client.close();
        }, "akri-bridge");
        spec.commandLine().getOut().println("akri-bridge " + bridge.identity() + " running against " + kubernetes.getMasterUrl()
                + ". Press Ctrl-C to stop.");
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
