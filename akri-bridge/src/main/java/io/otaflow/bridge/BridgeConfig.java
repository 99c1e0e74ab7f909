package io.otaflow.bridge;

import io.otaflow.schemas.config.EnvironmentSettings;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The bridge's settings, each with a default and a doc, checked at start. Every key can also come
 * from the environment: {@code otaflow.bridge.kafka.bootstrap} is {@code OTAFLOW_BRIDGE_KAFKA_BOOTSTRAP};
 * {@code POD_NAME} and {@code POD_NAMESPACE} (the downward API) name the leader-election identity
 * and the namespace of the Lease.
 */
public final class BridgeConfig extends AbstractConfig {
    public static final String KAFKA_BOOTSTRAP = "otaflow.bridge.kafka.bootstrap";
    public static final String SCHEMA_REGISTRY = "otaflow.bridge.schema.registry.url";
    public static final String TOPIC_PREFIX = "otaflow.bridge.topic.prefix";
    public static final String NAMESPACE = "otaflow.bridge.namespace";
    public static final String DEVICE_ID_PROPERTY = "otaflow.bridge.device.id.property";
    public static final String OTA_PORT = "otaflow.bridge.ota.port";
    public static final String STATUS_RATE = "otaflow.bridge.status.patches.per.second";
    public static final String STATUS_BATCH_MS = "otaflow.bridge.status.batch.ms";
    public static final String STATUS_CONCURRENCY = "otaflow.bridge.status.concurrency";
    public static final String STATUS_MODE = "otaflow.bridge.status.mode";
    public static final String LEASE_NAME = "otaflow.bridge.lease.name";
    public static final String LEASE_NAMESPACE = "otaflow.bridge.lease.namespace";
    public static final String IDENTITY = "otaflow.bridge.identity";
    public static final String LEASE_DURATION_MS = "otaflow.bridge.lease.duration.ms";
    public static final String RENEW_DEADLINE_MS = "otaflow.bridge.lease.renew.deadline.ms";
    public static final String RETRY_PERIOD_MS = "otaflow.bridge.lease.retry.period.ms";
    public static final String JOB_MODE = "otaflow.bridge.jobs.enabled";
    public static final String JOB_NAMESPACE = "otaflow.bridge.jobs.namespace";
    public static final String JOB_IMAGE = "otaflow.bridge.jobs.image";
    public static final String JOB_SERVICE_ACCOUNT = "otaflow.bridge.jobs.service.account";
    public static final String JOB_EXTRA_ARGS = "otaflow.bridge.jobs.extra.args";
    public static final String JOB_ENV_CONFIGMAPS = "otaflow.bridge.jobs.env.configmaps";
    public static final String JOB_TTL_SECONDS = "otaflow.bridge.jobs.ttl.seconds";
    public static final String IMAGE_FETCH_TIMEOUT_MS = "otaflow.bridge.image.fetch.timeout.ms";
    public static final String IMAGE_MAX_BYTES = "otaflow.bridge.image.max.bytes";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(KAFKA_BOOTSTRAP, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka bootstrap servers.")
            .define(SCHEMA_REGISTRY, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Confluent-compatible schema registry URL.")
            .define(TOPIC_PREFIX, Type.STRING, "otaflow", Importance.LOW, "Prefix of otaflow's topic names.")
            .define(NAMESPACE, Type.STRING, "", Importance.MEDIUM,
                    "Namespace whose Akri Configurations and Instances the bridge watches; empty means all namespaces.")
            .define(DEVICE_ID_PROPERTY, Type.STRING, "DEVICE_ID", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Instance brokerProperties key that holds the device id (otaflow's discovery handler sets DEVICE_ID). "
                            + "Instances without it use their own name as the device id.")
            .define(OTA_PORT, Type.INT, 4242, Range.between(1, 65535), Importance.LOW,
                    "picowota port assumed for Instances whose properties carry no OTA_ENDPOINT.")
            .define(STATUS_RATE, Type.INT, 100, Range.atLeast(1), Importance.MEDIUM,
                    "Most status patches per second against the API server (all objects together).")
            .define(STATUS_BATCH_MS, Type.LONG, 250L, Range.between(10, 60_000), Importance.LOW,
                    "Status changes are gathered for this long, so many updates of one object become one patch.")
            .define(STATUS_CONCURRENCY, Type.INT, 8, Range.between(1, 256), Importance.LOW,
                    "Most status patches in flight at once.")
            .define(STATUS_MODE, Type.STRING, "auto", ConfigDef.ValidString.in("auto", "subresource", "annotations"), Importance.LOW,
                    "auto: use the status subresource when the installed CRDs have it, annotations otherwise; "
                            + "subresource or annotations force one.")
            .define(LEASE_NAME, Type.STRING, "otaflow-akri-bridge", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "Name of the coordination.k8s.io Lease that elects the one writing replica.")
            .define(LEASE_NAMESPACE, Type.STRING, "default", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Namespace of the Lease (POD_NAMESPACE).")
            .define(IDENTITY, Type.STRING, "", Importance.LOW,
                    "This replica's identity in the Lease (POD_NAME); empty means host name and a random suffix.")
            .define(LEASE_DURATION_MS, Type.LONG, 15_000L, Range.atLeast(1_000), Importance.LOW,
                    "How long a leader's Lease lasts without renewal; a follower takes over after it.")
            .define(RENEW_DEADLINE_MS, Type.LONG, 10_000L, Range.atLeast(500), Importance.LOW,
                    "How long the leader keeps trying to renew before it steps down; less than the lease duration.")
            .define(RETRY_PERIOD_MS, Type.LONG, 2_000L, Range.atLeast(100), Importance.LOW,
                    "Pause between attempts to acquire or renew the Lease.")
            .define(JOB_MODE, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Job mode (the paper's design): run each flash command as a Kubernetes Job (otaflow flash) instead of "
                            + "leaving it to the flasher workers. Run either this or the workers, not both.")
            .define(JOB_NAMESPACE, Type.STRING, "default", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "Namespace the flash Jobs run in.")
            .define(JOB_IMAGE, Type.STRING, "ghcr.io/otaflow/otaflow:latest", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Container image of the flash Jobs (its entrypoint is the otaflow command).")
            .define(JOB_SERVICE_ACCOUNT, Type.STRING, "", Importance.LOW,
                    "Service account of the flash Jobs; empty means the namespace default.")
            .define(JOB_EXTRA_ARGS, Type.LIST, List.of(), Importance.LOW,
                    "More arguments for otaflow flash in the Jobs, e.g. --trusted-key=<base64>.")
            .define(JOB_ENV_CONFIGMAPS, Type.LIST, List.of(), Importance.LOW,
                    "ConfigMaps (in the Jobs' namespace) whose keys become the Jobs' environment, e.g. otaflow-flasher-trust "
                            + "for OTAFLOW_FLASHER_TRUSTED_KEYS.")
            .define(JOB_TTL_SECONDS, Type.INT, 600, Range.atLeast(0), Importance.LOW,
                    "ttlSecondsAfterFinished of the flash Jobs; the bridge also deletes a Job once its command ended.")
            .define(IMAGE_FETCH_TIMEOUT_MS, Type.LONG, 30_000L, Range.atLeast(100), Importance.LOW,
                    "Timeout for reading a Configuration's firmware image to check its digest and size.")
            .define(IMAGE_MAX_BYTES, Type.LONG, 16L * 1024 * 1024, Range.atLeast(1), Importance.LOW,
                    "Largest firmware image accepted, in bytes (a Pico W has 2 MiB of flash).");

    public BridgeConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
    }

    /** Settings from the environment ({@code POD_NAME}, {@code POD_NAMESPACE} too), then the given overrides. */
    public static BridgeConfig fromEnvironment(Map<String, String> env, Map<String, ?> overrides) {
        return new BridgeConfig(EnvironmentSettings.values(DEFINITION, env, Map.of("POD_NAME", IDENTITY, "POD_NAMESPACE", LEASE_NAMESPACE), overrides));
    }

    public Duration duration(String key) {
        return Duration.ofMillis(getLong(key));
    }
}
