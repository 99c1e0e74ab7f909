package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.status.StatusWriter;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Akri Instances as discovery events: an Instance that appears (or whose spec changes) is a device
 * present in app mode for its Configuration, one that disappears is a device gone. So otaflow works
 * with Akri's own agent and any discovery handler that reports {@code HOST_ENDPOINT}. When the
 * handler also reported firmware ({@code FW_TYPE}, {@code FW_VERSION}, {@code FW_LOCKED}, as
 * otaflow's own handler does), a device report carries it. Status-only updates (the bridge's own
 * writes) are ignored. Properties that look like secrets never leave the cluster.
 */
final class InstanceDiscovery implements ResourceEventHandler<GenericKubernetesResource> {
    private static final Logger log = LoggerFactory.getLogger(InstanceDiscovery.class);
    static final String HOST_ENDPOINT = "HOST_ENDPOINT";
    static final String OTA_ENDPOINT = "OTA_ENDPOINT";
    static final String FW_TYPE = "FW_TYPE";
    static final String FW_VERSION = "FW_VERSION";
    static final String FW_LOCKED = "FW_LOCKED";
    private static final Pattern SECRET = Pattern.compile("(?i).*(PASS|PASSWORD|SECRET|TOKEN|CREDENTIAL|PRIVATE).*");

    private final FleetKnowledge knowledge;
    private final Publisher publisher;
    private final StatusWriter statusWriter;
    private final String deviceIdProperty;
    private final int otaPort;
    private final Clock clock;

    InstanceDiscovery(FleetKnowledge knowledge, Publisher publisher, StatusWriter statusWriter, String deviceIdProperty, int otaPort, Clock clock) {
        this.knowledge = knowledge;
        this.publisher = publisher;
        this.statusWriter = statusWriter;
        this.deviceIdProperty = deviceIdProperty;
        this.otaPort = otaPort;
        this.clock = clock;
    }

    @Override
    public void onAdd(GenericKubernetesResource instance) {
        present(instance);
    }

    @Override
    public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource after) {
        if (!Objects.equals(before.get("spec"), after.get("spec"))) {
            present(after);
        }
    }

    @Override
    public void onDelete(GenericKubernetesResource instance, boolean finalStateUnknown) {
        String key = Akri.key(instance);
        String deviceId = knowledge.unindex(key);
        statusWriter.forget(key);
        if (deviceId == null || knowledge.instanceOfDevice.containsKey(deviceId)) {
            return; // another Instance still stands for the device
        }
        publisher.discovery(event(instance, deviceId, false));
        log.info("Instance({}) deleted: device {} gone", key, deviceId);
    }

    private void present(GenericKubernetesResource instance) {
        String key = Akri.key(instance);
        String deviceId = deviceId(instance);
        knowledge.index(key, deviceId);
        publisher.discovery(event(instance, deviceId, true));
        Map<String, String> properties = Akri.brokerProperties(instance);
        if (properties.containsKey(FW_TYPE) && properties.containsKey(FW_VERSION)) {
            publisher.report(DeviceReport.newBuilder()
                    .setDeviceId(deviceId)
                    .setFirmwareType(properties.get(FW_TYPE))
                    .setFirmwareVersion(properties.get(FW_VERSION))
                    .setLocked(Boolean.parseBoolean(properties.getOrDefault(FW_LOCKED, "false").toLowerCase(Locale.ROOT)))
                    .setMode(DeviceMode.APP)
                    .setObservedAt(clock.instant())
                    .setSource(Source.AKRI)
                    .setConfiguration(configuration(instance))
                    .setProperties(publicProperties(properties))
                    .build());
        }
        statusWriter.mark(key);
    }

    String deviceId(GenericKubernetesResource instance) {
        String id = Akri.brokerProperties(instance).get(deviceIdProperty);
        return id == null || id.isBlank() ? instance.getMetadata().getName() : id;
    }

    private DiscoveryEvent event(GenericKubernetesResource instance, String deviceId, boolean present) {
        Map<String, String> properties = Akri.brokerProperties(instance);
        String endpoint = endpoint(properties.get(HOST_ENDPOINT));
        List<String> nodes = Akri.nodes(instance);
        return DiscoveryEvent.newBuilder()
                .setDeviceId(deviceId)
                .setEndpoint(endpoint == null ? "" : endpoint)
                .setOtaEndpoint(properties.getOrDefault(OTA_ENDPOINT, otaEndpoint(endpoint)))
                .setConfiguration(configuration(instance))
                .setSource(Source.AKRI)
                .setNode(nodes.isEmpty() ? null : nodes.getFirst())
                .setPresent(present)
                .setMode(present ? DeviceMode.APP : DeviceMode.UNKNOWN)
                .setObservedAt(clock.instant())
                .setProperties(publicProperties(properties))
                .build();
    }

    private static String configuration(GenericKubernetesResource instance) {
        return instance.getMetadata().getNamespace() + "/" + Akri.configurationName(instance);
    }

    /** The app's base URL: handlers such as the paper's report a bare IP, otaflow's a URL. */
    static String endpoint(String hostEndpoint) {
        if (hostEndpoint == null || hostEndpoint.isBlank()) {
            return null;
        }
        return hostEndpoint.contains("://") ? hostEndpoint : "http://" + hostEndpoint;
    }

    private String otaEndpoint(String endpoint) {
        if (endpoint == null) {
            return null;
        }
        try {
            String host = URI.create(endpoint).getHost();
            return host == null ? null : host + ":" + otaPort;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Map<String, String> publicProperties(Map<String, String> properties) {
        Map<String, String> visible = new TreeMap<>();
        properties.forEach((key, value) -> {
            if (!SECRET.matcher(key).matches()) {
                visible.put(key, value);
            }
        });
        return visible;
    }
}
