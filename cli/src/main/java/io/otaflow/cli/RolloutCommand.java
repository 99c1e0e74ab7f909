package io.otaflow.cli;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.otaflow.bridge.akri.Akri;
import io.otaflow.bridge.desired.RolloutPolicyAnnotations;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code otaflow rollout status|pause|resume|abort C}. */
@Command(name = "rollout", mixinStandardHelpOptions = true, description = "Watch and steer a Configuration's rollout.",
        subcommands = {RolloutCommand.Status.class, RolloutCommand.Pause.class, RolloutCommand.Resume.class, RolloutCommand.Abort.class})
final class RolloutCommand {

    @Command(name = "status", mixinStandardHelpOptions = true, description = "The rollout's state, wave and counts, and the desired firmware.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Connection connection;

        @Parameters(paramLabel = "CONFIGURATION", description = "namespace/name, or name in default")
        String configuration;

        @Override
        public Integer call() {
            boolean json = connection.json();
            String key = Connection.configurationKey(configuration);
            RolloutStatus status = connection.table(connection.topics().rolloutStatus()).get(key);
            DesiredFirmware desired = connection.table(connection.topics().firmwareDesired()).get(key);
            if (status == null && desired == null) {
                throw new IllegalArgumentException("no rollout and no desired firmware for " + key);
            }
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("configuration", key);
            if (desired != null) {
                view.put("desired", desired.getTarget().getFirmwareType() + " " + desired.getTarget().getFirmwareVersion());
                view.put("desiredGeneration", desired.getGeneration());
                view.put("source", desired.getSource());
                view.put("paused", desired.getPolicy().getPaused());
                view.put("aborted", desired.getPolicy().getAborted());
            }
            if (status != null) {
                view.put("generation", status.getGeneration());
                view.put("state", status.getState().name());
                view.put("reason", status.getReason());
                view.put("wave", status.getWave() + 1);
                view.put("waveCount", status.getWaveCount());
                Map<String, Object> counts = new LinkedHashMap<>();
                status.getCounts().getSchema().getFields().forEach(f -> counts.put(f.name(), status.getCounts().get(f.pos())));
                view.put("counts", counts);
                view.put("failuresByCode", status.getFailuresByCode());
                view.put("updatedAt", status.getUpdatedAt().toString());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(DevicesCommand.Json.write(view));
            } else {
                view.forEach((k, v) -> {
                    if (v instanceof Map<?, ?> m) {
                        out.printf("%-18s%n", k);
                        m.forEach((k2, v2) -> out.printf("  %-16s %s%n", k2, v2));
                    } else {
                        out.printf("%-18s %s%n", k, v);
                    }
                });
            }
            out.flush();
            return 0;
        }
    }

    /**
     * Changes the rollout's policy flags. A Configuration in the cluster is changed through its
     * annotations (the bridge republishes; the Configuration stays the source of truth); desired
     * firmware published straight to the topic is republished with the flag, same generation.
     */
    abstract static class Steer implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Connection connection;

        @Parameters(paramLabel = "CONFIGURATION", description = "namespace/name, or name in default")
        String configuration;

        abstract Map<String, Boolean> flags();

        abstract String verb();

        /** True for a resume: it also lifts a pause the gate took by itself, so it must change the record even when no flag does. */
        boolean stampsResume() {
            return false;
        }

        @Override
        public Integer call() throws Exception {
            String key = Connection.configurationKey(configuration);
            DesiredFirmware desired = connection.table(connection.topics().firmwareDesired()).get(key);
            if (desired == null) {
                throw new IllegalArgumentException("no desired firmware for " + key + ": nothing to " + verb());
            }
            PrintWriter out = spec.commandLine().getOut();
            if ("akri".equals(desired.getSource())) {
                try (KubernetesClient kubernetes = connection.kubernetes()) {
                    if (kubernetes == null) {
                        throw new IllegalStateException(key + " comes from an Akri Configuration; give --platform or a kubeconfig to change it");
                    }
                    String namespace = key.substring(0, key.indexOf('/'));
                    String name = key.substring(key.indexOf('/') + 1);
                    try {
                        // A merge patch of the annotations alone: no conflict with the bridge's status writes.
                        Map<String, String> annotations = new HashMap<>();
                        flags().forEach((flag, value) -> annotations.put("otaflow.io/" + flag, String.valueOf(value)));
                        if (stampsResume()) {
                            annotations.put(RolloutPolicyAnnotations.RESUMED_AT, Instant.now().toString());
                        }
                        GenericKubernetesResource patched = kubernetes.genericKubernetesResources(Akri.CONFIGURATION).inNamespace(namespace)
                                .withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                                        DevicesCommand.Json.write(Map.of("metadata", Map.of("annotations", annotations))));
                        out.printf("%s: annotated Configuration %s (%s); the akri-bridge republishes it%n", verb(), key, flags());
                        return patched == null ? 1 : 0;
                    } catch (KubernetesClientException e) {
                        throw new IllegalStateException("cannot change Configuration " + key + ": " + (e.getCode() == 404 ? "not found" : e.getMessage()));
                    }
                }
            }
            RolloutPolicy.Builder policy = RolloutPolicy.newBuilder(desired.getPolicy());
            flags().forEach((flag, value) -> {
                switch (flag) {
                    case "paused" -> policy.setPaused(value);
                    case "aborted" -> policy.setAborted(value);
                    default -> throw new IllegalStateException(flag);
                }
            });
            Instant now = Instant.now();
            if (stampsResume()) {
                policy.setResumedAt(now.toEpochMilli());
            }
            DesiredFirmware next = DesiredFirmware.newBuilder(desired).setPolicy(policy.build()).setUpdatedAt(now).build();
            publish(connection, key, next);
            out.printf("%s: republished the desired firmware of %s, generation %d (%s)%n", verb(), key, next.getGeneration(), flags());
            out.flush();
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Stop issuing new flash commands; flashes in flight finish.")
    static final class Pause extends Steer {
        Map<String, Boolean> flags() {
            return Map.of("paused", true);
        }

        String verb() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Lift a pause or an abort, and a pause the gate took by itself (an error threshold, a wave that missed its success threshold: that wave is accepted and the next opens).")
    static final class Resume extends Steer {
        Map<String, Boolean> flags() {
            return Map.of("paused", false, "aborted", false);
        }

        String verb() {
            return "resume";
        }

        @Override
        boolean stampsResume() {
            return true;
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, description = "Stop this generation's rollout for good (until resumed or a new generation).")
    static final class Abort extends Steer {
        Map<String, Boolean> flags() {
            return Map.of("aborted", true);
        }

        String verb() {
            return "abort";
        }
    }

    static void publish(Connection connection, String key, DesiredFirmware desired) throws Exception {
        connection.publish(connection.topics().firmwareDesired(), key, desired);
    }
}
