package io.otaflow.flasher;

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
 * Runs a flasher worker until stopped. Arguments are {@code key=value}: {@code kafka},
 * {@code registry}, {@code prefix} (default otaflow), {@code group} (default otaflow-flasher),
 * {@code concurrency} (default 1000), {@code cache} (default a temporary folder),
 * {@code trusted-key} (base64 Ed25519 public key; repeatable as trusted-key.N),
 * {@code allow-unsigned} (development only), {@code post-connect-pause-ms} (default 1000),
 * {@code session-timeout-ms}.
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
        FlasherWorker worker = start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "otaflow-flasher-shutdown"));
        stopped.await();
    }

    public static FlasherWorker start(Map<String, String> settings) throws Exception {
        String kafka = required(settings, "kafka");
        SchemaRegistryClient registry = new SchemaRegistryClient(required(settings, "registry"));
        TopicCatalog topics = new TopicCatalog(settings.getOrDefault("prefix", TopicCatalog.DEFAULT_PREFIX), TopicCatalog.DEFAULT_PARTITIONS);
        List<java.security.PublicKey> keys = new ArrayList<>();
        settings.forEach((key, value) -> {
            if (key.equals("trusted-key") || key.startsWith("trusted-key.")) {
                keys.add(ArtifactStore.ed25519PublicKey(value));
            }
        });
        Path cache = settings.containsKey("cache") ? Path.of(settings.get("cache"))
                : java.nio.file.Files.createTempDirectory("otaflow-flasher-cache");
        ArtifactStore artifacts = new ArtifactStore(cache, keys, Boolean.parseBoolean(settings.getOrDefault("allow-unsigned", "false")));
        FlashJob.Settings jobSettings = FlashJob.Settings.DEFAULTS.withPostConnectPause(
                Duration.ofMillis(Long.parseLong(settings.getOrDefault("post-connect-pause-ms", "1000"))));
        DesiredGenerations generations = new DesiredGenerations(kafka, registry, topics).start();
        FlashJob job = new FlashJob(artifacts, jobSettings, settings.getOrDefault("worker", "flasher-" + ProcessHandle.current().pid()),
                HttpClient.newHttpClient(), Clock.systemUTC()).withGenerations(generations);
        Map<String, Object> consumer = new HashMap<>();
        if (settings.containsKey("session-timeout-ms")) {
            consumer.put("session.timeout.ms", settings.get("session-timeout-ms"));
            consumer.put("heartbeat.interval.ms", "1000");
        }
        return new FlasherWorker(kafka, settings.getOrDefault("group", "otaflow-flasher"), registry, topics, job,
                Integer.parseInt(settings.getOrDefault("concurrency", "1000")), new SimpleMeterRegistry(), Clock.systemUTC(), consumer)
                .alsoClosing(generations).start();
    }

    private static String required(Map<String, String> settings, String key) {
        String value = settings.get(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("setting '" + key + "' is required");
        }
        return value;
    }
}
