package io.otaflow.devstack;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A real Apache Kafka broker in KRaft mode (one node, broker and controller combined), started
 * in-process from Kafka's own server classes and bound to 127.0.0.1. Its log directory is
 * formatted once; a restart on the same directory keeps every topic and record.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

    private final Path dataDir;
    private final int brokerPort;
    private final int controllerPort;
    private KafkaRaftServer server;
    private int saslPort = -1;
    private String saslUser;
    private String saslPassword;

    public EmbeddedKafka(Path dataDir) {
        this.dataDir = dataDir;
        this.brokerPort = FreePorts.next();
        this.controllerPort = FreePorts.next();
    }

    /**
     * Adds a second client listener that requires SASL/PLAIN with this one user, as a secured
     * cluster (MSK, Confluent Cloud) would: to test clients configured for one.
     */
    public EmbeddedKafka withSaslPlainListener(String user, String password) {
        this.saslPort = FreePorts.next();
        this.saslUser = user;
        this.saslPassword = password;
        return this;
    }

    /** The SASL/PLAIN listener's address; only with {@link #withSaslPlainListener}. */
    public String saslBootstrapServers() {
        if (saslPort < 0) {
            throw new IllegalStateException("no SASL listener: call withSaslPlainListener before start");
        }
        return "127.0.0.1:" + saslPort;
    }

    public EmbeddedKafka start() {
        Path logDir = dataDir.resolve("kafka-logs");
        Properties props = serverProperties(logDir);
        format(props, logDir);
        server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        log.info("Kafka (KRaft) listening on {}", bootstrapServers());
        return this;
    }

    private Properties serverProperties(Path logDir) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        if (saslPort > 0) {
            p.put("listeners", p.get("listeners") + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
            p.put("advertised.listeners", p.get("advertised.listeners") + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
            p.put("listener.security.protocol.map", p.get("listener.security.protocol.map") + ",SASL_PLAINTEXT:SASL_PLAINTEXT");
            p.put("sasl.enabled.mechanisms", "PLAIN");
            p.put("listener.name.sasl_plaintext.plain.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + saslUser + "=\"" + saslPassword + "\";");
        }
        p.put("log.dirs", logDir.toString());
        // A single node: every internal topic has one replica.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "10");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        // Small footprint for a laptop or CI: the cleaner's default dedupe buffer alone is 128 MB.
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        p.put("log.cleaner.backoff.ms", "5000");
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
        return p;
    }

    private void format(Properties props, Path logDir) {
        try {
            Files.createDirectories(logDir);
            if (Files.exists(logDir.resolve("meta.properties"))) {
                return;
            }
            Path config = dataDir.resolve("kafka-server.properties");
            try (OutputStream out = Files.newOutputStream(config)) {
                props.store(out, "otaflow devstack: written for kafka-storage format");
            }
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            int exit = StorageTool.execute(new String[] {"format", "--config", config.toString(),
                    "--cluster-id", Uuid.randomUuid().toString(), "--ignore-formatted"},
                    new PrintStream(output, true, StandardCharsets.UTF_8));
            if (exit != 0) {
                throw new IllegalStateException("formatting the Kafka log directory failed: " + output.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the Kafka log directory " + logDir, e);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    @Override
    public void close() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }
}
