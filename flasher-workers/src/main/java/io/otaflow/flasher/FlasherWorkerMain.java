package io.otaflow.flasher;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.topics.TopicCatalog;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a flasher worker until stopped, configured by {@link FlasherWorkerConfig}: the environment
 * ({@code OTAFLOW_FLASHER_*}) and {@code key=value} arguments with the config's keys.
 */
public final class FlasherWorkerMain {
    private FlasherWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> settings = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                System.err.println("arguments are key=value, not: " + arg);
                System.exit(2);
            }
            settings.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        FlasherWorker worker = start(FlasherWorkerConfig.fromEnvironment(System.getenv(), settings), new SimpleMeterRegistry());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "otaflow-flasher-shutdown"));
        stopped.await();
    }

    /** Starts a worker from explicit settings only (tests, the demo), ignoring the environment. */
    public static FlasherWorker start(Map<String, ?> settings) throws Exception {
        return start(new FlasherWorkerConfig(settings), new SimpleMeterRegistry());
    }

    public static FlasherWorker start(FlasherWorkerConfig config, MeterRegistry meters) throws Exception {
        String kafka = config.getString(FlasherWorkerConfig.KAFKA_BOOTSTRAP);
        SchemaRegistryClient registry = new SchemaRegistryClient(config.getString(FlasherWorkerConfig.SCHEMA_REGISTRY));
        TopicCatalog topics = new TopicCatalog(config.getString(FlasherWorkerConfig.TOPIC_PREFIX), TopicCatalog.DEFAULT_PARTITIONS);
        List<java.security.PublicKey> keys = new ArrayList<>();
        for (String key : config.getList(FlasherWorkerConfig.TRUSTED_KEYS)) {
            keys.add(ArtifactStore.ed25519PublicKey(key.trim()));
        }
        String cacheDir = config.getString(FlasherWorkerConfig.CACHE_DIR);
        Path cache = !cacheDir.isBlank() ? Path.of(cacheDir) : java.nio.file.Files.createTempDirectory("otaflow-flasher-cache");
        ArtifactStore artifacts = new ArtifactStore(cache, keys, config.getBoolean(FlasherWorkerConfig.ALLOW_UNSIGNED));
        FlashJob.Settings jobSettings = FlashJob.Settings.DEFAULTS
                .withPostConnectPause(Duration.ofMillis(config.getLong(FlasherWorkerConfig.POST_CONNECT_PAUSE_MS)))
                .withTimeouts(Duration.ofMillis(config.getLong(FlasherWorkerConfig.REBOOT_TIMEOUT_MS)),
                        Duration.ofMillis(config.getLong(FlasherWorkerConfig.BOOT_TIMEOUT_MS)))
                .withRebootIgnoredAfter(Duration.ofMillis(config.getLong(FlasherWorkerConfig.REBOOT_IGNORED_AFTER_MS)));
        DesiredGenerations generations = new DesiredGenerations(kafka, registry, topics).start();
        FlashJob job = new FlashJob(artifacts, jobSettings, config.workerId(), HttpClient.newHttpClient(), Clock.systemUTC())
                .withGenerations(generations).withTimeoutProfiles(config.getList(FlasherWorkerConfig.TIMEOUTS_BY_FIRMWARE_TYPE));
        int sessionTimeout = config.getInt(FlasherWorkerConfig.SESSION_TIMEOUT_MS);
        Map<String, Object> consumer = Map.of("session.timeout.ms", sessionTimeout,
                "heartbeat.interval.ms", Math.max(500, Math.min(3000, sessionTimeout / 3)));
        return new FlasherWorker(kafka, config.getString(FlasherWorkerConfig.GROUP_ID), registry, topics, job,
                config.getInt(FlasherWorkerConfig.CONCURRENCY), meters, Clock.systemUTC(), consumer)
                .alsoClosing(generations).start();
    }
}
