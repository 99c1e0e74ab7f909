package io.otaflow.cli;

import io.otaflow.devstack.EmbeddedKafka;
import io.otaflow.devstack.FreePorts;
import io.otaflow.devstack.EmbeddedSchemaRegistry;
import io.otaflow.schemas.topics.Topic;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A Kafka that requires SASL/PLAIN, as MSK or Confluent Cloud do: the otaflow command reaches it
 * with the OTAFLOW_KAFKA_* security variables deploy/ puts in a Secret, and only with them.
 */
class SecuredKafkaIT {
    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"otaflow\" password=\"%s\";";

    @TempDir
    static Path dir;
    private static EmbeddedKafka kafka;
    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void start() {
        kafka = new EmbeddedKafka(dir).withSaslPlainListener("otaflow", "s3cret").start();
        registry = new EmbeddedSchemaRegistry(kafka.bootstrapServers()).start();
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    private static Map<String, String> sasl(String password) {
        return Map.of("OTAFLOW_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", "OTAFLOW_KAFKA_SASL_MECHANISM", "PLAIN",
                "OTAFLOW_KAFKA_SASL_JAAS_CONFIG", JAAS.formatted(password));
    }

    @Test
    void withTheSecurityVariablesTheCommandCreatesTopicsOnTheSaslListener() throws Exception {
        Cli.Result created = Cli.run(sasl("s3cret"), "topics", "--create", "--replication-factor", "1", "--topic-prefix", "secured",
                "--kafka", kafka.saslBootstrapServers(), "--schema-registry", registry.url());
        assertThat(created.exitCode()).as(created.output()).isZero();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            // The broker's metadata may lag the creation of the last topic by a moment.
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                            .containsAll(new TopicCatalog("secured", 1).all().stream().map(Topic::name).toList()));
        }
        // A service too: the topology (Kafka Streams, exactly-once) gets ready over SASL.
        int ops = FreePorts.next();
        ProcessBuilder topology = Cli.command("topology", "--kafka", kafka.saslBootstrapServers(), "--schema-registry", registry.url(),
                "--topic-prefix", "secured", "--ops-listen", "127.0.0.1:" + ops, "--state-dir", dir.resolve("streams").toString(),
                "--set", "otaflow.topology.application.id=secured-topology").redirectOutput(dir.resolve("topology.log").toFile());
        topology.environment().putAll(sasl("s3cret"));
        Process process = topology.start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().until(() ->
                    http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ops + "/readyz")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
            // Ready is also said while rebalancing; its internal topics prove Kafka Streams got through SASL.
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        admin.listTopics().names().get(10, TimeUnit.SECONDS).stream().anyMatch(t -> t.startsWith("secured-topology-")));
            }
        } finally {
            process.destroy();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void aWrongPasswordIsAnAuthenticationErrorNotAHang() throws Exception {
        Cli.Result refused = Cli.run(sasl("wrong"), "topics", "--kafka", kafka.saslBootstrapServers(), "--schema-registry", registry.url());
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.output()).containsIgnoringCase("authentication");
    }

    @Test
    void aMisspeltSecurityVariableStopsTheCommandAndNamesTheRightOnes() throws Exception {
        Cli.Result refused = Cli.run(Map.of("OTAFLOW_KAFKA_SASL_JASS_CONFIG", "x"), "topics", "--kafka", kafka.saslBootstrapServers(),
                "--schema-registry", registry.url());
        assertThat(refused.exitCode()).isNotZero();
        assertThat(refused.output()).contains("OTAFLOW_KAFKA_SASL_JASS_CONFIG names no Kafka client setting")
                .contains("OTAFLOW_KAFKA_SASL_JAAS_CONFIG");
    }
}
