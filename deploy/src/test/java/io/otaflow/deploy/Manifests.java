package io.otaflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.strimzi.api.kafka.model.connect.KafkaConnect;
import io.strimzi.api.kafka.model.connector.KafkaConnector;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** One rendered overlay, every object typed: Kubernetes' own by fabric8's model, Strimzi's by Strimzi's. */
record Manifests(String overlay, List<HasMetadata> objects) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Map<String, Class<? extends HasMetadata>> STRIMZI = Map.of(
            "Kafka", Kafka.class, "KafkaNodePool", KafkaNodePool.class, "KafkaTopic", KafkaTopic.class,
            "KafkaConnect", KafkaConnect.class, "KafkaConnector", KafkaConnector.class);

    static Manifests parse(String overlay, String yaml) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNext()) {
                JsonNode doc = docs.next();
                if (doc == null || doc.isEmpty()) {
                    continue;
                }
                String json = doc.toString();
                String apiVersion = doc.path("apiVersion").asText();
                String kind = doc.path("kind").asText();
                Object parsed = apiVersion.startsWith("kafka.strimzi.io/") && STRIMZI.containsKey(kind)
                        ? Serialization.unmarshal(json, STRIMZI.get(kind))
                        : Serialization.unmarshal(json);
                if (!(parsed instanceof HasMetadata object)) {
                    throw new AssertionError(overlay + ": not a Kubernetes object: " + json);
                }
                objects.add(object);
            }
        }
        return new Manifests(overlay, List.copyOf(objects));
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    List<HasMetadata> kind(String kind) {
        return objects.stream().filter(o -> o.getKind().equals(kind)).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String namespace, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)
                && Objects.equals(o.getMetadata().getNamespace(), namespace)).findFirst();
    }

    /** The platform settings every service reads (namespace otaflow). */
    Map<String, String> platform() {
        return find(ConfigMap.class, "otaflow", "otaflow-platform").orElseThrow(() ->
                new AssertionError(overlay + ": no ConfigMap otaflow/otaflow-platform")).getData();
    }

    /** A Deployment or DaemonSet, as what matters here: where it runs and what its Pods are. */
    record Workload(String kind, String namespace, String name, PodTemplateSpec template, Integer replicas) {
        String id() {
            return kind + " " + namespace + "/" + name;
        }
    }

    List<Workload> workloads() {
        List<Workload> workloads = new ArrayList<>();
        for (Deployment d : all(Deployment.class)) {
            workloads.add(new Workload("Deployment", d.getMetadata().getNamespace(), d.getMetadata().getName(), d.getSpec().getTemplate(),
                    d.getSpec().getReplicas()));
        }
        for (DaemonSet d : all(DaemonSet.class)) {
            workloads.add(new Workload("DaemonSet", d.getMetadata().getNamespace(), d.getMetadata().getName(), d.getSpec().getTemplate(), null));
        }
        return workloads;
    }
}
