package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.micrometer.core.instrument.MeterRegistry;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.desired.ImageResolver;
import io.otaflow.bridge.jobs.FlashJobs;
import io.otaflow.bridge.status.ConfigurationStatus;
import io.otaflow.bridge.status.InstanceStatus;
import io.otaflow.bridge.status.StatusMode;
import io.otaflow.bridge.status.StatusWriter;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.fold.FlashSummaries;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.topics.TopicCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Everything the bridge does while it leads, started in order and stopped in reverse: read the
 * tables, watch Configurations and Instances, write status, and (in Job mode) launch flash Jobs.
 * A replica that loses the Lease closes its session; the next leader starts a fresh one and
 * catches up from Kafka and the API server, so nothing is carried over in memory.
 */
final class BridgeSession implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BridgeSession.class);

    private final BridgeConfig config;
    private final KubernetesClient client;
    private final SchemaRegistry registry;
    private final TopicCatalog topics;
    private final Map<String, StatusMode> modes;
    private final MeterRegistry metrics;
    private RolloutMetrics rolloutMetrics;
    private final Clock clock;

    private Publisher publisher;
    private TopicFollower follower;
    private SharedIndexInformer<GenericKubernetesResource> configurations;
    private SharedIndexInformer<GenericKubernetesResource> instances;
    private StatusWriter instanceStatus;
    private StatusWriter configurationStatus;
    private volatile WorkQueue configurationQueue;
    private FlashJobs jobs;
    private FleetKnowledge knowledge;
    private InstanceDiscovery discovery;

    BridgeSession(BridgeConfig config, KubernetesClient client, SchemaRegistry registry, Map<String, StatusMode> modes,
                  MeterRegistry metrics, Clock clock) {
        this.config = config;
        this.client = client;
        this.registry = registry;
        this.topics = new TopicCatalog(config.getString(BridgeConfig.TOPIC_PREFIX), TopicCatalog.DEFAULT_PARTITIONS);
        this.modes = modes;
        this.metrics = metrics;
        this.clock = clock;
    }

    BridgeSession start() throws Exception {
        String bootstrap = config.getString(BridgeConfig.KAFKA_BOOTSTRAP);
        publisher = new Publisher(bootstrap, registry, topics);
        configurations = resources(Akri.CONFIGURATION).runnableInformer(0);
        instances = resources(Akri.INSTANCE).runnableInformer(0);
        StatusMode instanceMode = modes.get(Akri.INSTANCE.getKind());
        StatusMode configurationMode = modes.get(Akri.CONFIGURATION.getKind());
        int rate = config.getInt(BridgeConfig.STATUS_RATE);
        Duration batch = config.duration(BridgeConfig.STATUS_BATCH_MS);
        int concurrency = config.getInt(BridgeConfig.STATUS_CONCURRENCY);
        instanceStatus = new StatusWriter(client, Akri.INSTANCE, new StatusWriter.Source() {
            @Override
            public GenericKubernetesResource current(String key) {
                return instances.getStore().getByKey(key);
            }

            @Override
            public Map<String, Object> desired(String key, GenericKubernetesResource current) {
                return instanceStatus(key, current, instanceMode);
            }
        }, instanceMode, rate, batch, concurrency, metrics);
        configurationStatus = new StatusWriter(client, Akri.CONFIGURATION, new StatusWriter.Source() {
            @Override
            public GenericKubernetesResource current(String key) {
                return configurations.getStore().getByKey(key);
            }

            @Override
            public Map<String, Object> desired(String key, GenericKubernetesResource current) {
                io.otaflow.schemas.DesiredFirmware desired = knowledge.desired.get(key);
                return ConfigurationStatus.of(knowledge.validity.get(key), knowledge.rollouts.get(key),
                        desired == null ? 0 : desired.getGeneration(), Akri.generation(current),
                        StatusWriter.statusOf(current, configurationMode), clock.instant());
            }
        }, configurationMode, rate, batch, concurrency, metrics);
        knowledge = new FleetKnowledge(instanceStatus::mark, configurationStatus::mark);
        rolloutMetrics = new RolloutMetrics(metrics);
        if (config.getBoolean(BridgeConfig.JOB_MODE)) {
            jobs = new FlashJobs(client, new FlashJobs.Settings(config.getString(BridgeConfig.JOB_NAMESPACE),
                    config.getString(BridgeConfig.JOB_IMAGE), config.getString(BridgeConfig.JOB_SERVICE_ACCOUNT),
                    jobArgs(), config.getList(BridgeConfig.JOB_ENV_CONFIGMAPS), config.getInt(BridgeConfig.JOB_TTL_SECONDS)), bootstrap, registry, topics,
                    record -> log.error("dropped unreadable flash command at {}-{}@{}", record.topic(), record.partition(), record.offset()),
                    clock);
        }
        TopicFollower.Handler handler = new FromKafka();
        follower = new TopicFollower(bootstrap, registry, topics, handler, publisher).start();
        // Publishing before the tables are read would republish with lost generations: wait, however long it takes.
        while (!follower.awaitCaughtUp(Duration.ofSeconds(60))) {
            log.warn("the desired-firmware, device-state and rollout-status tables are not read to their end yet; still waiting");
        }

        ConfigurationReconciler reconciler = new ConfigurationReconciler(configurations.getStore(), knowledge, publisher,
                new ImageResolver(config.duration(BridgeConfig.IMAGE_FETCH_TIMEOUT_MS), config.getLong(BridgeConfig.IMAGE_MAX_BYTES)), clock);
        configurationQueue = new WorkQueue("configurations", reconciler::reconcile);
        reconciler.attach(configurationQueue);
        configurations.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource configuration) {
                configurationQueue.add(Akri.key(configuration));
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                // Status writes (ours) change neither spec nor annotations: nothing to reconcile.
                if (!Objects.equals(before.get("spec"), after.get("spec"))
                        || !Objects.equals(before.getMetadata().getAnnotations(), after.getMetadata().getAnnotations())) {
                    configurationQueue.add(Akri.key(after));
                }
            }

            @Override
            public void onDelete(GenericKubernetesResource configuration, boolean finalStateUnknown) {
                configurationStatus.forget(Akri.key(configuration));
                configurationQueue.add(Akri.key(configuration));
            }
        });
        discovery = new InstanceDiscovery(knowledge, publisher, instanceStatus, config.getString(BridgeConfig.DEVICE_ID_PROPERTY),
                config.getInt(BridgeConfig.OTA_PORT), clock);
        instances.addEventHandler(discovery);
        configurations.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
        instances.start().toCompletableFuture().get(60, TimeUnit.SECONDS);
        sweep();
        instanceStatus.start();
        configurationStatus.start();
        if (jobs != null) {
            jobs.start();
        }
        log.info("bridge session started: {} Configurations, {} Instances, status via {} / {}{}", configurations.getStore().list().size(),
                instances.getStore().list().size(), instanceMode, configurationMode, jobs == null ? "" : ", Job mode");
        return this;
    }

    /**
     * What changed while no replica led: Configurations deleted then get their tombstone, devices
     * whose Instance vanished are reported gone.
     */
    private void sweep() {
        String namespace = config.getString(BridgeConfig.NAMESPACE);
        knowledge.desired.forEach((key, desired) -> {
            if (ConfigurationReconciler.SOURCE.equals(desired.getSource()) && watched(key, namespace)
                    && configurations.getStore().getByKey(key) == null) {
                configurationQueue.add(key);
            }
        });
        // From the store, not from the index the event handlers fill: their onAdd calls may still be on the way.
        java.util.Set<String> present = new java.util.HashSet<>();
        instances.getStore().list().forEach(instance -> present.add(discovery.deviceId(instance)));
        knowledge.devices.forEach((deviceId, state) -> {
            if (state.getSource() == Source.AKRI && state.getOnline() && state.getConfiguration() != null
                    && watched(state.getConfiguration(), namespace) && !present.contains(deviceId)) {
                publisher.discovery(DiscoveryEvent.newBuilder().setDeviceId(deviceId)
                        .setEndpoint(state.getEndpoint() == null ? "" : state.getEndpoint())
                        .setConfiguration(state.getConfiguration()).setSource(Source.AKRI).setPresent(false)
                        .setMode(DeviceMode.UNKNOWN).setObservedAt(clock.instant()).build());
                log.info("device {}: its Instance is gone, reported absent", deviceId);
            }
        });
    }

    private static boolean watched(String key, String namespace) {
        return namespace.isBlank() || key.startsWith(namespace + "/");
    }

    private Map<String, Object> instanceStatus(String key, GenericKubernetesResource current, StatusMode mode) {
        String deviceId = knowledge.deviceOfInstance.getOrDefault(key, discovery.deviceId(current));
        DeviceState state = knowledge.devices.get(deviceId);
        String configuration = current.getMetadata().getNamespace() + "/" + Akri.configurationName(current);
        return InstanceStatus.of(state, knowledge.liveFlashes.get(deviceId), knowledge.desired.get(configuration),
                Akri.generation(current), StatusWriter.statusOf(current, mode), clock.instant());
    }

    private java.util.List<String> jobArgs() {
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
                "--kafka", config.getString(BridgeConfig.KAFKA_BOOTSTRAP),
                "--schema-registry", config.getString(BridgeConfig.SCHEMA_REGISTRY),
                "--topic-prefix", config.getString(BridgeConfig.TOPIC_PREFIX)));
        args.addAll(config.getList(BridgeConfig.JOB_EXTRA_ARGS));
        return args;
    }

    private FilterWatchListDeletable<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> resources(
            ResourceDefinitionContext context) {
        String namespace = config.getString(BridgeConfig.NAMESPACE);
        var resources = client.genericKubernetesResources(context);
        return namespace.isBlank() ? resources.inAnyNamespace() : resources.inNamespace(namespace);
    }

    /** True when nothing waits: no Configuration to reconcile, no status to write. */
    boolean idle() {
        return configurationQueue.idle() && instanceStatus.idle() && configurationStatus.idle();
    }

    long statusPatches() {
        return instanceStatus.patchesSent() + configurationStatus.patchesSent();
    }

    /**
     * What the tables say goes to the knowledge. A desired record also puts its Configuration back
     * in the queue: if the topic moved away from what the Configuration says (a late older record,
     * a write by someone else), the reconciler brings it back. Terminal progress ends a Job.
     */
    private final class FromKafka implements TopicFollower.Handler {
        @Override
        public void desired(String configuration, io.otaflow.schemas.DesiredFirmware desired) {
            knowledge.desired(configuration, desired);
            WorkQueue queue = configurationQueue;
            // Only keys this replica watches: another namespace's Configurations are another bridge's.
            if (queue != null && watched(configuration, config.getString(BridgeConfig.NAMESPACE))) {
                queue.add(configuration);
            }
        }

        @Override
        public void deviceState(String deviceId, DeviceState state) {
            knowledge.deviceState(deviceId, state);
        }

        @Override
        public void rollout(String configuration, io.otaflow.schemas.RolloutStatus status) {
            knowledge.rollout(configuration, status);
            rolloutMetrics.update(configuration, status);
        }

        @Override
        public void progress(String deviceId, FlashProgress progress) {
            knowledge.progress(deviceId, progress);
            if (jobs != null && (progress.getTerminal() || FlashSummaries.terminal(progress.getPhase()))) {
                jobs.ended(progress);
            }
        }
    }

    @Override
    public void close() {
        // Informers first, so no event handler calls into a closed part.
        if (instances != null) {
            instances.close();
        }
        if (configurations != null) {
            configurations.close();
        }
        for (AutoCloseable part : new AutoCloseable[]{configurationQueue, jobs, instanceStatus, configurationStatus, follower, publisher, rolloutMetrics}) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    log.warn("closing {}: {}", part.getClass().getSimpleName(), e.toString());
                }
            }
        }
    }
}
