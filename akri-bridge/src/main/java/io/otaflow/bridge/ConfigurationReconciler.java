package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.Store;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.desired.DesiredRecords;
import io.otaflow.bridge.desired.FirmwareProperties;
import io.otaflow.bridge.desired.ImageResolver;
import io.otaflow.bridge.desired.InvalidFirmwareException;
import io.otaflow.bridge.desired.RolloutPolicyAnnotations;
import io.otaflow.bridge.status.ConfigurationStatus.Validity;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.RolloutPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * Configurations to {@code firmware.desired}, level-based: each reconcile reads the Configuration
 * as it is now and brings the topic in line, so replays, resyncs and a new leader are harmless.
 * <ol>
 *   <li>No firmware keys: an ordinary Akri Configuration, left alone (a tombstone if it used to
 *   name firmware).</li>
 *   <li>Firmware keys, policy annotations and the image are validated; a problem becomes
 *   {@code FirmwareValid=False} with its reason, and nothing is published.</li>
 *   <li>The record is published only if it differs from what the topic holds. The generation stays
 *   while target and image stay (a policy change, such as a pause, keeps the rollout's attempts) and
 *   becomes the Configuration's {@code metadata.generation} when they change; the firmware it
 *   replaces is kept as {@code previousTarget}/{@code previousImage} for rollbacks.</li>
 *   <li>A deleted Configuration gets a tombstone.</li>
 * </ol>
 */
final class ConfigurationReconciler {
    private static final Logger log = LoggerFactory.getLogger(ConfigurationReconciler.class);
    static final String SOURCE = "akri";

    private final Store<GenericKubernetesResource> configurations;
    private final FleetKnowledge knowledge;
    private final Publisher publisher;
    private final ImageResolver images;
    private final Clock clock;
    private WorkQueue queue;

    ConfigurationReconciler(Store<GenericKubernetesResource> configurations, FleetKnowledge knowledge, Publisher publisher,
                            ImageResolver images, Clock clock) {
        this.configurations = configurations;
        this.knowledge = knowledge;
        this.publisher = publisher;
        this.images = images;
        this.clock = clock;
    }

    void attach(WorkQueue queue) {
        this.queue = queue;
    }

    void reconcile(String key) {
        GenericKubernetesResource configuration = configurations.getByKey(storeKey(key));
        DesiredFirmware published = knowledge.desired.get(key);
        boolean ours = published != null && SOURCE.equals(published.getSource());
        if (configuration == null) {
            knowledge.validity(key, null);
            if (ours) {
                publish(key, null, "Configuration(" + key + ") deleted: tombstone for its desired firmware");
            }
            return;
        }
        Optional<FirmwareProperties> firmware;
        DesiredFirmware next;
        try {
            firmware = FirmwareProperties.parse(Akri.brokerProperties(configuration));
            if (firmware.isEmpty()) {
                knowledge.validity(key, null);
                if (ours) {
                    publish(key, null, "Configuration(" + key + ") no longer names firmware: tombstone for its desired firmware");
                }
                return;
            }
            next = desired(key, configuration, firmware.get(), published);
        } catch (InvalidFirmwareException e) {
            log.warn("Configuration({}) firmware invalid ({}): {}", key, e.reason(), e.getMessage());
            knowledge.validity(key, new Validity(false, e.reason(), e.getMessage()));
            if (e.retryable()) {
                queue.addAfter(key, Duration.ofSeconds(30));
            }
            return;
        }
        if (published != null && DesiredRecords.sameExceptTime(published, next)) {
            knowledge.validity(key, valid(next));
            return;
        }
        if (publish(key, next, "Configuration(" + key + ") desires " + next.getTarget().getFirmwareType() + " "
                + next.getTarget().getFirmwareVersion() + " (generation " + next.getGeneration() + ")")) {
            knowledge.validity(key, valid(next));
        }
    }

    private DesiredFirmware desired(String key, GenericKubernetesResource configuration, FirmwareProperties firmware,
                                    DesiredFirmware published) throws InvalidFirmwareException {
        Map<String, String> annotations = Akri.annotations(configuration);
        RolloutPolicy policy = RolloutPolicyAnnotations.policy(annotations);
        Map<String, String> selector = RolloutPolicyAnnotations.selector(annotations);
        FirmwareImage image = images.resolve(firmware);
        return DesiredRecords.next(key, new FirmwareRef(firmware.type(), firmware.version()), image, policy, selector, published,
                Akri.generation(configuration), SOURCE, clock.instant());
    }

    private boolean publish(String key, DesiredFirmware desired, String what) {
        try {
            publisher.desired(key, desired);
            knowledge.desired(key, desired);
            log.info(what);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            log.warn("Configuration({}): could not publish to Kafka, retrying in 5 s: {}", key, e.toString());
            queue.addAfter(key, Duration.ofSeconds(5));
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Validity valid(DesiredFirmware desired) {
        return new Validity(true, "Published", desired.getTarget().getFirmwareType() + " " + desired.getTarget().getFirmwareVersion()
                + " is the desired firmware (generation " + desired.getGeneration() + ", sha256 " + desired.getImage().getSha256() + ")");
    }

    /** The informer cache's key for {@code namespace/name} (the same, but said through fabric8's helper). */
    private static String storeKey(String key) {
        int slash = key.indexOf('/');
        return Cache.namespaceKeyFunc(key.substring(0, slash), key.substring(slash + 1));
    }
}
