package io.otaflow.devstack;

import io.otaflow.schemas.topics.TopicAdmin;
import io.otaflow.schemas.topics.TopicCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * The embedded real platform in one object: Kafka (KRaft), HiveMQ CE, a Confluent-compatible
 * schema registry on Kafka, and a Kubernetes API with Akri's CRDs. All bind to 127.0.0.1 on free
 * ports. Data lives in a chosen folder (kept, so a restart finds its topics and schema ids) or in
 * a temporary one (deleted on close).
 */
public final class DevStack implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DevStack.class);

    private final Path dataDir;
    private final boolean temporary;
    private EmbeddedKafka kafka;
    private EmbeddedHiveMq mqtt;
    private EmbeddedSchemaRegistry registry;
    private EmbeddedKubernetes kubernetes;
    private Duration startupTime;

    private DevStack(Path dataDir, boolean temporary) {
        this.dataDir = dataDir;
        this.temporary = temporary;
    }

    /** A platform whose data lives in {@code dataDir}, kept across restarts. */
    public static DevStack inDirectory(Path dataDir) {
        return new DevStack(dataDir, false);
    }

    /** A platform in a temporary folder, deleted on close. */
    public static DevStack temporary() {
        try {
            return new DevStack(Files.createTempDirectory("otaflow-devstack-"), true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder", e);
        }
    }

    /** Starts all four servers (HiveMQ and Kubernetes beside Kafka, the registry once Kafka is up). */
    public DevStack start() {
        long begin = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
            kafka = new EmbeddedKafka(dataDir.resolve("kafka"));
            mqtt = new EmbeddedHiveMq(dataDir.resolve("hivemq"));
            kubernetes = new EmbeddedKubernetes();
            CompletableFuture<Void> mqttUp = CompletableFuture.runAsync(mqtt::start);
            CompletableFuture<Void> kubernetesUp = CompletableFuture.runAsync(kubernetes::start);
            kafka.start();
            registry = new EmbeddedSchemaRegistry(kafka.bootstrapServers()).start();
            CompletableFuture.allOf(mqttUp, kubernetesUp).join();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot create the data folder " + dataDir, e);
        } catch (RuntimeException e) {
            close();
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            throw new IllegalStateException("the embedded platform did not start: " + cause.getMessage(), cause);
        }
        startupTime = Duration.ofNanos(System.nanoTime() - begin);
        log.info("embedded platform up in {} ms: {}", startupTime.toMillis(), endpoints());
        return this;
    }

    /** Creates (or completes) every topic of the catalog; safe to call again. */
    public TopicAdmin.Result createTopics(TopicCatalog catalog) {
        return TopicAdmin.ensureTopics(kafka.bootstrapServers(), catalog, (short) 1);
    }

    public Endpoints endpoints() {
        return new Endpoints(kafka.bootstrapServers(), mqtt.url(), registry.url(), kubernetes.url());
    }

    public EmbeddedKafka kafka() {
        return kafka;
    }

    public EmbeddedHiveMq mqtt() {
        return mqtt;
    }

    public EmbeddedSchemaRegistry schemaRegistry() {
        return registry;
    }

    public EmbeddedKubernetes kubernetes() {
        return kubernetes;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Duration startupTime() {
        return startupTime;
    }

    /** Stops everything, in reverse order of dependence; a temporary data folder is deleted. */
    @Override
    public void close() {
        closeQuietly(registry);
        closeQuietly(kubernetes);
        closeQuietly(mqtt);
        closeQuietly(kafka);
        registry = null;
        kubernetes = null;
        mqtt = null;
        kafka = null;
        if (temporary) {
            deleteRecursively(dataDir);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        if (closeable == null) {
            return;
        }
        try {
            closeable.close();
        } catch (Exception e) {
            log.warn("{} did not stop cleanly: {}", closeable.getClass().getSimpleName(), e.toString());
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.warn("could not delete {}: {}", root, e.toString());
        }
    }
}
