package io.otaflow.cli;

import io.otaflow.devstack.Endpoints;
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
    private static final Path JAR = Path.of("target/otaflow.jar");

    private static String java() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    @Test
    void upStartsThePlatformCreatesTheTopicsWritesTheEndpointsAndStopsCleanly(@TempDir Path work) throws Exception {
        assertThat(JAR).as("the shaded jar is built in the package phase").exists();
        Path endpointsFile = work.resolve("endpoints.json");
        Path dataDir = work.resolve("data");
        Path output = work.resolve("up.out");
        Process up = new ProcessBuilder(java(), "-jar", JAR.toString(), "up",
                "--endpoints-file", endpointsFile.toString(), "--data-dir", dataDir.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
                    .until(() -> Files.exists(endpointsFile) && Files.readString(output).contains("Press Ctrl-C"));
            Endpoints endpoints = Endpoints.readJson(endpointsFile);
            String printed = Files.readString(output);
            assertThat(printed).contains(endpoints.kafka()).contains(endpoints.mqtt())
                    .contains(endpoints.schemaRegistry()).contains(endpoints.kubernetes());

            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, endpoints.kafka()))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .containsAll(new TopicCatalog().all().stream().map(Topic::name).toList());
            }
            assertThat(new SchemaRegistryClient(endpoints.schemaRegistry()).compatibility()).isEqualTo("BACKWARD");
        } finally {
            up.destroy(); // SIGTERM, as Ctrl-C or a service manager would stop it
        }
        assertThat(up.waitFor(60, TimeUnit.SECONDS)).as("otaflow up stops on SIGTERM").isTrue();
        // The chosen data folder is kept for the next start.
        assertThat(dataDir.resolve("kafka").toFile().listFiles()).isNotEmpty();
    }

    @Test
    void helpListsTheCommand() throws Exception {
        Process help = new ProcessBuilder(java(), "-jar", JAR.toString(), "--help").redirectErrorStream(true).start();
        String text = new String(help.getInputStream().readAllBytes());
        assertThat(help.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(help.exitValue()).isZero();
        assertThat(text).contains("up").contains("Start the embedded platform");
    }

    @Test
    void anUnknownOptionIsAClearErrorWithExitCode2() throws Exception {
        Process bad = new ProcessBuilder(java(), "-jar", JAR.toString(), "up", "--no-such-option")
                .redirectErrorStream(true).start();
        String text = new String(bad.getInputStream().readAllBytes());
        assertThat(bad.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(bad.exitValue()).isEqualTo(2);
        assertThat(text).contains("Unknown option: '--no-such-option'");
    }
}
