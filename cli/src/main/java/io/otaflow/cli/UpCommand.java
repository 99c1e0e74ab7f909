package io.otaflow.cli;

import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.Endpoints;
import io.otaflow.schemas.topics.TopicAdmin;
import io.otaflow.schemas.topics.TopicCatalog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code otaflow up}: the embedded platform, its topics created, until Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start the embedded platform (Kafka KRaft, HiveMQ CE, schema registry, Kubernetes API with Akri CRDs) "
                + "on 127.0.0.1, create otaflow's topics, print the endpoints and run until Ctrl-C.")
final class UpCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the platform's data here (topics and schema ids survive a restart). Default: a temporary folder, deleted on exit.")
    Path dataDir;

    @Option(names = "--endpoints-file", paramLabel = "FILE",
            description = "Also write the endpoints as JSON (kafka, mqtt, schemaRegistry, kubernetes) for scripts.")
    Path endpointsFile;

    @Option(names = "--topic-prefix", defaultValue = TopicCatalog.DEFAULT_PREFIX, paramLabel = "PREFIX",
            description = "Prefix of otaflow's topic names (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(names = "--partitions", defaultValue = "" + TopicCatalog.DEFAULT_PARTITIONS, paramLabel = "N",
            description = "Partitions per topic (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        TopicCatalog catalog = new TopicCatalog(topicPrefix, partitions);
        DevStack stack = dataDir == null ? DevStack.temporary() : DevStack.inDirectory(dataDir);
        UntilStopped stopped = UntilStopped.closing(stack, "up");
        stack.start();
        TopicAdmin.Result topics = stack.createTopics(catalog);
        Endpoints endpoints = stack.endpoints();
        if (endpointsFile != null) {
            endpoints.writeJson(endpointsFile);
        }
        out.printf("otaflow embedded platform is up (%d ms)%n", stack.startupTime().toMillis());
        out.printf("  kafka            %s%n", endpoints.kafka());
        out.printf("  mqtt             %s%n", endpoints.mqtt());
        out.printf("  schema registry  %s%n", endpoints.schemaRegistry());
        out.printf("  kubernetes       %s%n", endpoints.kubernetes());
        out.printf("  kubectl          export KUBECONFIG=%s%n", stack.kubernetes().writeKubeconfig(stack.dataDir().resolve("kubeconfig")));
        out.printf("  data             %s%s%n", stack.dataDir(), dataDir == null ? " (temporary)" : "");
        out.printf("  topics           %d created, %d already there%n", topics.created().size(),
                catalog.all().size() - topics.created().size());
        if (endpointsFile != null) {
            out.printf("  endpoints file   %s%n", endpointsFile.toAbsolutePath());
        }
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
