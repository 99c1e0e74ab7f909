package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.micrometer.core.instrument.MeterRegistry;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.status.StatusMode;
import io.otaflow.schemas.registry.SchemaRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The akri-bridge: any number of replicas, one leader. Replicas contend for a
 * {@code coordination.k8s.io} Lease with fabric8's {@code LeaderElector}; only the leader runs a
 * {@link BridgeSession} (publishes, writes status, launches Jobs), so two replicas never both
 * write. When the leader stops or loses the Lease, another replica takes over within the lease
 * duration and rebuilds everything from Kafka and the API server.
 */
public final class AkriBridge implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AkriBridge.class);

    private final BridgeConfig config;
    private final KubernetesClient client;
    private final SchemaRegistry registry;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final String identity;
    private final ExecutorService sessions = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("bridge-session").factory());
    private Map<String, StatusMode> modes;
    private CompletableFuture<?> election;
    private volatile BridgeSession session;
    private volatile boolean leading;
    private volatile String leader;
    private volatile boolean closing;

    public AkriBridge(BridgeConfig config, KubernetesClient client, SchemaRegistry registry, MeterRegistry metrics, Clock clock) {
        this.config = config;
        this.client = client;
        this.registry = registry;
        this.metrics = metrics;
        this.clock = clock;
        String configured = config.getString(BridgeConfig.IDENTITY);
        this.identity = configured.isBlank() ? hostName() + "-" + UUID.randomUUID().toString().substring(0, 8) : configured;
    }

    public AkriBridge start() {
        modes = statusModes();
        contend();
        return this;
    }

    /**
     * Joins the election. fabric8's elector runs once: when it ends (the Lease was lost, or the
     * renewal failed) and the bridge is not closing, a new one contends again.
     */
    private synchronized void contend() {
        if (closing) {
            return;
        }
        LeaseLock lock = new LeaseLock(config.getString(BridgeConfig.LEASE_NAMESPACE), config.getString(BridgeConfig.LEASE_NAME), identity);
        election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                        .withName(config.getString(BridgeConfig.LEASE_NAME))
                        .withLock(lock)
                        .withLeaseDuration(config.duration(BridgeConfig.LEASE_DURATION_MS))
                        .withRenewDeadline(config.duration(BridgeConfig.RENEW_DEADLINE_MS))
                        .withRetryPeriod(config.duration(BridgeConfig.RETRY_PERIOD_MS))
                        .withReleaseOnCancel(true)
                        .withLeaderCallbacks(new LeaderCallbacks(this::startLeading, this::stopLeading, this::newLeader))
                        .build())
                .build().start();
        election.whenComplete((done, error) -> {
            if (!closing) {
                log.info("bridge {}: election ended ({}), contending again", identity, error == null ? "lease lost" : error.toString());
                submit(this::closeSession);
                Thread.ofVirtual().start(() -> {
                    try {
                        Thread.sleep(config.getLong(BridgeConfig.RETRY_PERIOD_MS));
                    } catch (InterruptedException e) {
                        return;
                    }
                    contend();
                });
            }
        });
        log.info("bridge {} contending for Lease {}/{}", identity, config.getString(BridgeConfig.LEASE_NAMESPACE),
                config.getString(BridgeConfig.LEASE_NAME));
    }

    private void startLeading() {
        leading = true;
        log.info("bridge {} leads", identity);
        submit(() -> {
            if (!leading || session != null) {
                return;
            }
            BridgeSession next = new BridgeSession(config, client, registry, modes, metrics, clock);
            try {
                session = next.start();
            } catch (Exception e) {
                log.error("bridge session failed to start, giving up the Lease: {}", e.toString(), e);
                next.close();
                CompletableFuture<?> current = election;
                if (current != null) {
                    current.cancel(true); // released; whenComplete contends again after the retry period
                }
            }
        });
    }

    private void stopLeading() {
        leading = false;
        log.info("bridge {} stopped leading", identity);
        submit(this::closeSession);
    }

    private synchronized void submit(Runnable task) {
        if (!sessions.isShutdown()) {
            sessions.execute(task);
        }
    }

    private void newLeader(String name) {
        leader = name;
        if (name != null && !name.equals(identity)) {
            log.info("bridge {} follows leader {}", identity, name);
        }
    }

    private void closeSession() {
        BridgeSession current = session;
        session = null;
        if (current != null) {
            current.close();
        }
    }

    public String identity() {
        return identity;
    }

    /** True while this replica holds the Lease and its session runs. */
    public boolean active() {
        return leading && session != null;
    }

    /** The leader's identity as last seen, or null. */
    public String leader() {
        return leader;
    }

    /** True when this replica leads and has nothing waiting to be reconciled or written. */
    public boolean idle() {
        BridgeSession current = session;
        return current != null && current.idle();
    }

    public long statusPatches() {
        BridgeSession current = session;
        return current == null ? 0 : current.statusPatches();
    }

    /**
     * Where status goes, per kind: the status subresource when the installed CRD has one,
     * annotations otherwise. Said once, here, at startup.
     */
    private Map<String, StatusMode> statusModes() {
        String forced = config.getString(BridgeConfig.STATUS_MODE);
        Map<String, StatusMode> modes = new LinkedHashMap<>();
        for (ResourceDefinitionContext kind : List.of(Akri.INSTANCE, Akri.CONFIGURATION)) {
            StatusMode mode = switch (forced) {
                case "subresource" -> StatusMode.SUBRESOURCE;
                case "annotations" -> StatusMode.ANNOTATIONS;
                default -> detect(kind);
            };
            modes.put(kind.getKind(), mode);
            if (mode == StatusMode.ANNOTATIONS) {
                log.warn("{}s: the CRD {}.{} has no status subresource (stock Akri); otaflow writes status to the annotation {} instead. "
                                + "Install deploy/crds for status, conditions and kubectl columns.", kind.getKind(), kind.getPlural(), kind.getGroup(),
                        StatusMode.ANNOTATION);
            } else {
                log.info("{}s: status goes to the status subresource", kind.getKind());
            }
        }
        return modes;
    }

    private StatusMode detect(ResourceDefinitionContext kind) {
        String name = kind.getPlural() + "." + kind.getGroup();
        try {
            CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().withName(name).get();
            if (crd == null) {
                log.error("CRD {} is not installed: is Akri installed? Assuming the status subresource", name);
                return StatusMode.SUBRESOURCE;
            }
            for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
                if (version.getName().equals(kind.getVersion())) {
                    boolean status = version.getSubresources() != null && version.getSubresources().getStatus() != null;
                    return status ? StatusMode.SUBRESOURCE : StatusMode.ANNOTATIONS;
                }
            }
            return StatusMode.ANNOTATIONS;
        } catch (KubernetesClientException e) {
            log.warn("cannot read CRD {} ({}): assuming the status subresource; set {} to choose", name, e.getMessage(), BridgeConfig.STATUS_MODE);
            return StatusMode.SUBRESOURCE;
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
        } catch (UnknownHostException e) {
            return "otaflow-akri-bridge";
        }
    }

    @Override
    public synchronized void close() {
        if (sessions.isShutdown()) {
            return;
        }
        closing = true;
        leading = false;
        // Stop writing first, then release the Lease, so the next leader never overlaps with this one.
        sessions.execute(this::closeSession);
        sessions.shutdown();
        try {
            sessions.awaitTermination(15, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (election != null) {
            election.cancel(true); // releases the Lease, so a follower takes over at once
        }
    }
}
