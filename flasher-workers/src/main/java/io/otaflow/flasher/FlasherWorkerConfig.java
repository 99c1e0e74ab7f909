package io.otaflow.flasher;

import io.otaflow.schemas.config.EnvironmentSettings;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A flasher worker's settings, each with a default and a doc, checked at start. Every key can
 * also come from the environment: {@code otaflow.flasher.concurrency} is
 * {@code OTAFLOW_FLASHER_CONCURRENCY}; {@code HOSTNAME} (the Pod's name) names the worker when
 * {@code otaflow.flasher.worker.id} is not set.
 */
public final class FlasherWorkerConfig extends AbstractConfig {
    public static final String KAFKA_BOOTSTRAP = "otaflow.flasher.kafka.bootstrap";
    public static final String SCHEMA_REGISTRY = "otaflow.flasher.schema.registry.url";
    public static final String TOPIC_PREFIX = "otaflow.flasher.topic.prefix";
    public static final String GROUP_ID = "otaflow.flasher.group.id";
    public static final String WORKER_ID = "otaflow.flasher.worker.id";
    public static final String CONCURRENCY = "otaflow.flasher.concurrency";
    public static final String CACHE_DIR = "otaflow.flasher.cache.dir";
    public static final String TRUSTED_KEYS = "otaflow.flasher.trusted.keys";
    public static final String ALLOW_UNSIGNED = "otaflow.flasher.allow.unsigned";
    public static final String POST_CONNECT_PAUSE_MS = "otaflow.flasher.post.connect.pause.ms";
    public static final String SESSION_TIMEOUT_MS = "otaflow.flasher.session.timeout.ms";
    public static final String REBOOT_TIMEOUT_MS = "otaflow.flasher.reboot.timeout.ms";
    public static final String BOOT_TIMEOUT_MS = "otaflow.flasher.boot.timeout.ms";
    public static final String REBOOT_IGNORED_AFTER_MS = "otaflow.flasher.reboot.ignored.after.ms";
    public static final String TIMEOUTS_BY_FIRMWARE_TYPE = "otaflow.flasher.timeouts.by.firmware.type";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(KAFKA_BOOTSTRAP, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka bootstrap servers.")
            .define(SCHEMA_REGISTRY, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Confluent-compatible schema registry URL.")
            .define(TOPIC_PREFIX, Type.STRING, "otaflow", Importance.LOW, "Prefix of otaflow's topic names.")
            .define(GROUP_ID, Type.STRING, "otaflow-flasher", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Consumer group of the workers on flash.commands; every replica joins the same one.")
            .define(WORKER_ID, Type.STRING, "", Importance.LOW,
                    "This worker's name on progress events (default: HOSTNAME, else flasher-<pid>).")
            .define(CONCURRENCY, Type.INT, 1000, ConfigDef.Range.between(1, 100_000), Importance.MEDIUM,
                    "Most flashes at once (each a virtual thread holding one device's socket).")
            .define(CACHE_DIR, Type.STRING, "", Importance.MEDIUM,
                    "Where verified images are cached (default: a new temporary folder).")
            .define(TRUSTED_KEYS, Type.LIST, "", Importance.HIGH,
                    "Base64 Ed25519 public keys trusted to sign images, comma-separated.")
            .define(ALLOW_UNSIGNED, Type.BOOLEAN, false, Importance.HIGH,
                    "Development only: flash images that carry no signature (their sha256 is still checked).")
            .define(POST_CONNECT_PAUSE_MS, Type.LONG, 1000L, ConfigDef.Range.between(0, 60_000), Importance.LOW,
                    "Pause after connecting to a bootloader before the first command (picowota needs about a second).")
            .define(SESSION_TIMEOUT_MS, Type.INT, 45_000, ConfigDef.Range.between(1_000, 1_800_000), Importance.LOW,
                    "Consumer session timeout: how long a dead worker holds its partitions before they move.")
            .define(REBOOT_TIMEOUT_MS, Type.LONG, 60_000L, ConfigDef.Range.between(1_000, 3_600_000), Importance.LOW,
                    "How long the bootloader may take to answer after a reboot request.")
            .define(BOOT_TIMEOUT_MS, Type.LONG, 60_000L, ConfigDef.Range.between(1_000, 3_600_000), Importance.LOW,
                    "How long a flashed app may take to answer after GOGO (a bootloader answering twice ends it early).")
            .define(REBOOT_IGNORED_AFTER_MS, Type.LONG, 10_000L, ConfigDef.Range.between(1_000, 3_600_000), Importance.LOW,
                    "An app that answers every probe this long after the reboot request never went down: REBOOT_IGNORED.")
            .define(TIMEOUTS_BY_FIRMWARE_TYPE, Type.LIST, "", FlasherWorkerConfig::validTimeoutProfiles, Importance.LOW,
                    "Reboot and boot timeouts of device profiles that differ from the defaults, comma-separated "
                            + "FIRMWARE_TYPE=REBOOT_MS/BOOT_MS entries (e.g. sensor-hub=120000/45000).");

    private static void validTimeoutProfiles(String name, Object value) {
        try {
            TimeoutProfiles.of(Duration.ofSeconds(1), Duration.ofSeconds(1)).withEntries(value == null ? List.of() : castList(value));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(name, value, e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static List<String> castList(Object value) {
        return (List<String>) value;
    }

    public FlasherWorkerConfig(Map<String, ?> values) {
        super(DEFINITION, values);
    }

    /** Settings from the environment, then the given overrides. */
    public static FlasherWorkerConfig fromEnvironment(Map<String, String> env, Map<String, ?> overrides) {
        return new FlasherWorkerConfig(EnvironmentSettings.values(DEFINITION, env, Map.of("HOSTNAME", WORKER_ID), overrides));
    }

    String workerId() {
        String id = getString(WORKER_ID);
        return id.isBlank() ? "flasher-" + ProcessHandle.current().pid() : id;
    }
}
