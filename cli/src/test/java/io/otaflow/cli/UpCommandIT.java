package io.otaflow.cli;

import io.otaflow.devstack.Endpoints;
import io.otaflow.devstack.Kubectl;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.schemas.topics.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code otaflow up} as a user runs it: the packaged jar in its own process. */
class UpCommandIT {
    @Test
    void upStartsThePlatformCreatesTheTopicsWritesTheEndpointsAndStopsCleanly(@TempDir Path work) throws Exception {
        Path endpointsFile = work.resolve("endpoints.json");
        Path dataDir = work.resolve("data");
        Path output = work.resolve("up.out");
        Process up = Cli.command("up", "--endpoints-file", endpointsFile.toString(), "--data-dir", dataDir.toString())
                .redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> Files.exists(endpointsFile) && Files.readString(output).contains("Press Ctrl-C"));
            Endpoints endpoints = Endpoints.readJson(endpointsFile);
            String printed = Files.readString(output);
            assertThat(printed).contains(endpoints.kafka()).contains(endpoints.mqtt())
                    .contains(endpoints.schemaRegistry()).contains(endpoints.kubernetes());

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, endpoints.kafka()))) {
                // The broker's metadata may lag the creation of the last topics by a moment.
                await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .containsAll(new TopicCatalog().all().stream().map(Topic::name).toList()));
            }
            assertThat(new SchemaRegistryClient(endpoints.schemaRegistry()).compatibility()).isEqualTo("BACKWARD");

            // The kubeconfig it prints works for the real kubectl.
            java.util.regex.Matcher kubeconfig = java.util.regex.Pattern.compile("export KUBECONFIG=(\\S+)").matcher(printed);
            assertThat(kubeconfig.find()).as("up prints export KUBECONFIG=...").isTrue();
            Kubectl.Result crds = Kubectl.run(Path.of(kubeconfig.group(1)), "get", "crd", "-o", "name");
            assertThat(crds.exit()).as(crds.output()).isZero();
            assertThat(crds.output()).contains("customresourcedefinition.apiextensions.k8s.io/instances.akri.sh");
        } finally {
            up.destroy(); // SIGTERM, as Ctrl-C or a service manager would stop it
        }
        assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("otaflow up stops on SIGTERM").isTrue();
        // The chosen data folder is kept for the next start.
        assertThat(dataDir.resolve("kafka").toFile().listFiles()).isNotEmpty();
    }

    @Test
    void helpListsTheCommands() throws Exception {
        Cli.Result help = Cli.run("--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.output()).contains("up").contains("simulate").contains("firmware");
    }

    @Test
    void anUnknownOptionIsAClearErrorWithExitCode2() throws Exception {
        Cli.Result bad = Cli.run("up", "--no-such-option");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.output()).contains("Unknown option: '--no-such-option'");
    }
}
