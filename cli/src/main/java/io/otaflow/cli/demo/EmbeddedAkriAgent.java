package io.otaflow.cli.demo;

import io.otaflow.connectors.akri.v0.Empty;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.stub.StreamObserver;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.connectors.akri.UnixSocketServers;
import io.otaflow.connectors.akri.v0.DiscoverRequest;
import io.otaflow.connectors.akri.v0.DiscoverResponse;
import io.otaflow.connectors.akri.v0.Device;
import io.otaflow.connectors.akri.v0.DiscoveryHandlerGrpc;
import io.otaflow.connectors.akri.v0.RegisterDiscoveryHandlerRequest;
import io.otaflow.connectors.akri.v0.RegistrationGrpc;
import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * A stand-in for Akri's agent on the embedded platform, where the real one (a Rust binary that
 * needs a kubelet) cannot run. It does the part of the agent's job otaflow depends on, the way
 * Akri 0.13 does it: discovery handlers register on {@code agent-registration.sock}; for each
 * Configuration naming a registered handler it streams {@code Discover} with the Configuration's
 * discoveryDetails, and turns every snapshot into Instances named
 * {@code <configuration>-<6 hex of BLAKE2b-24(device id)>}, whose brokerProperties are the device's
 * properties overlaid by the Configuration's (0.13: the Configuration wins); devices missing from a
 * snapshot lose their Instance at once. Brokers, slots and device plugins are left out.
 */
public final class EmbeddedAkriAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedAkriAgent.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path directory;
    private final KubernetesClient client;
    private final String namespace;
    private final String node;
    private final Map<String, RegisterDiscoveryHandlerRequest> handlers = new ConcurrentHashMap<>();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private Server registration;
    private volatile SharedIndexInformer<GenericKubernetesResource> configurations;

    public EmbeddedAkriAgent(Path directory, KubernetesClient client, String namespace, String node) {
        this.directory = directory;
        this.client = client;
        this.namespace = namespace;
        this.node = node;
    }

    public Path directory() {
        return directory;
    }

    public EmbeddedAkriAgent start() throws IOException {
        configurations = client.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(namespace).inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource configuration) {
                reconcile(configuration);
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
                if (!Objects.equals(before.get("spec"), after.get("spec"))) {
                    reconcile(after);
                }
            }

            @Override
            public void onDelete(GenericKubernetesResource configuration, boolean unknown) {
                Session session = sessions.remove(configuration.getMetadata().getName());
                if (session != null) {
                    session.close();
                    session.apply(List.of(), Map.of()); // its Instances go with it
                }
            }
        }, 0);
        registration = UnixSocketServers.serve(directory.resolve("agent-registration.sock"), new RegistrationGrpc.RegistrationImplBase() {
            @Override
            public void registerDiscoveryHandler(RegisterDiscoveryHandlerRequest request, StreamObserver<Empty> responses) {
                handlers.put(request.getName(), request);
                log.info("discovery handler {} registered at {}", request.getName(), request.getEndpoint());
                responses.onNext(Empty.getDefaultInstance());
                responses.onCompleted();
                configurations.getStore().list().forEach(EmbeddedAkriAgent.this::reconcile);
            }
        });
        return this;
    }

    private synchronized void reconcile(GenericKubernetesResource configuration) {
        String name = configuration.getMetadata().getName();
        String handler = configuration.get("spec", "discoveryHandler", "name");
        RegisterDiscoveryHandlerRequest registered = handler == null ? null : handlers.get(handler);
        if (registered == null) {
            return;
        }
        String details = Objects.requireNonNullElse(configuration.get("spec", "discoveryHandler", "discoveryDetails"), "");
        Session running = sessions.get(name);
        if (running != null && running.details.equals(details) && running.endpoint.equals(registered.getEndpoint())) {
            running.properties = Akri.brokerProperties(configuration);
            running.apply(running.last, running.properties);
            return;
        }
        if (running != null) {
            running.close();
        }
        Session session = new Session(name, registered.getEndpoint(), details, Akri.brokerProperties(configuration));
        sessions.put(name, session);
        session.start();
    }

    /** One Configuration's discovery stream and the Instances it keeps. */
    private final class Session {
        final String configuration;
        final String endpoint;
        final String details;
        volatile Map<String, String> properties;
        volatile List<Device> last = List.of();
        private ManagedChannel channel;
        private volatile boolean open = true;

        Session(String configuration, String endpoint, String details, Map<String, String> properties) {
            this.configuration = configuration;
            this.endpoint = endpoint;
            this.details = details;
            this.properties = properties;
        }

        void start() {
            Thread.ofVirtual().name("akri-agent-" + configuration).start(() -> {
                while (open) {
                    try {
                        channel = UnixSocketServers.channel(Path.of(endpoint));
                        Iterator<DiscoverResponse> stream = DiscoveryHandlerGrpc.newBlockingStub(channel)
                                .discover(DiscoverRequest.newBuilder().setDiscoveryDetails(details).build());
                        while (open && stream.hasNext()) {
                            last = stream.next().getDevicesList();
                            apply(last, properties);
                        }
                    } catch (RuntimeException e) {
                        if (open) {
                            log.warn("Configuration({}/{}): discovery stream broke, retrying: {}", namespace, configuration, e.getMessage());
                        }
                    } finally {
                        if (channel != null) {
                            channel.shutdownNow();
                        }
                    }
                    sleepQuietly();
                }
            });
        }

        /** Brings the Configuration's Instances in line with one snapshot. */
        void apply(List<Device> devices, Map<String, String> configurationProperties) {
            synchronized (EmbeddedAkriAgent.this) { // one snapshot at a time, agent-wide: an old session cannot undo a new one
                if (!open && !devices.isEmpty()) {
                    return; // closed or replaced: its snapshots are stale
                }
                applyNow(devices, configurationProperties);
            }
        }

        private void applyNow(List<Device> devices, Map<String, String> configurationProperties) {
            Map<String, Map<String, String>> wanted = new LinkedHashMap<>();
            for (Device device : devices) {
                Map<String, String> merged = new HashMap<>(device.getPropertiesMap());
                merged.putAll(configurationProperties);
                wanted.put(instanceName(configuration, device.getId()), merged);
            }
            var instances = client.genericKubernetesResources(Akri.INSTANCE).inNamespace(namespace);
            Map<String, GenericKubernetesResource> existing = instances.list().getItems().stream()
                    .filter(i -> configuration.equals(Akri.configurationName(i)))
                    .collect(Collectors.toMap(i -> i.getMetadata().getName(), i -> i));
            wanted.forEach((name, merged) -> {
                try {
                    GenericKubernetesResource current = existing.get(name);
                    if (current != null) {
                        if (!merged.equals(Akri.brokerProperties(current))) {
                            // A merge patch of spec only (the bridge writes status meanwhile); removed keys become null.
                            Map<String, Object> properties = new HashMap<>(merged);
                            Akri.brokerProperties(current).keySet().forEach(k -> properties.putIfAbsent(k, null));
                            Map<String, Object> spec = new HashMap<>();
                            spec.put("brokerProperties", properties);
                            instances.withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), JSON.writeValueAsString(Map.of("spec", spec)));
                        }
                    } else {
                        instances.resource(instance(name, merged)).create();
                    }
                } catch (KubernetesClientException | JsonProcessingException e) {
                    log.warn("Instance({}/{}): {}", namespace, name, e.getMessage());
                }
            });
            for (String name : existing.keySet()) {
                if (!wanted.containsKey(name)) {
                    instances.withName(name).delete();
                }
            }
        }

        private GenericKubernetesResource instance(String name, Map<String, String> properties) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("configurationName", configuration);
            spec.put("cdiName", "akri.sh/" + configuration + "=" + name.substring(name.lastIndexOf('-') + 1));
            spec.put("capacity", 1);
            spec.put("shared", false);
            spec.put("nodes", List.of(node));
            spec.put("deviceUsage", Map.of(name + "-0", ""));
            spec.put("brokerProperties", properties);
            return new GenericKubernetesResourceBuilder().withApiVersion(Akri.GROUP + "/" + Akri.VERSION).withKind("Instance")
                    .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                    .addToAdditionalProperties("spec", spec).build();
        }

        private void sleepQuietly() {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                open = false;
            }
        }

        void close() {
            open = false;
            if (channel != null) {
                channel.shutdownNow();
            }
        }
    }

    /** Akri's Instance name: the Configuration name, a dash and 3 bytes of BLAKE2b over the device id, in hex. */
    public static String instanceName(String configuration, String deviceId) {
        Blake2bDigest digest = new Blake2bDigest(24);
        byte[] id = deviceId.getBytes(StandardCharsets.UTF_8);
        digest.update(id, 0, id.length);
        byte[] hash = new byte[3];
        digest.doFinal(hash, 0);
        return configuration + "-" + HexFormat.of().formatHex(hash);
    }

    @Override
    public void close() {
        sessions.values().forEach(Session::close);
        if (configurations != null) {
            configurations.close();
        }
        if (registration != null) {
            registration.shutdownNow();
        }
    }
}
