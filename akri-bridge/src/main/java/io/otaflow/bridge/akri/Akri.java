package io.otaflow.bridge.akri;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;

import java.util.List;
import java.util.Map;

/**
 * Akri's custom resources ({@code akri.sh/v0}) as fabric8 generic resources, and what the bridge
 * reads from them. Generic resources keep unknown fields, so a newer Akri's additions survive and
 * nothing here pins Akri's schema beyond the fields read.
 */
public final class Akri {
    public static final String GROUP = "akri.sh";
    public static final String VERSION = "v0";
    public static final ResourceDefinitionContext CONFIGURATION = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion(VERSION).withKind("Configuration").withPlural("configurations").withNamespaced(true).build();
    public static final ResourceDefinitionContext INSTANCE = new ResourceDefinitionContext.Builder()
            .withGroup(GROUP).withVersion(VERSION).withKind("Instance").withPlural("instances").withNamespaced(true).build();

    private Akri() {
    }

    public static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> resources(
            KubernetesClient client, ResourceDefinitionContext context) {
        return client.genericKubernetesResources(context);
    }

    /** {@code namespace/name}, the key of a Configuration in {@code firmware.desired} and of both kinds in the bridge. */
    public static String key(HasMetadata resource) {
        return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
    }

    public static Map<String, String> brokerProperties(GenericKubernetesResource resource) {
        Map<String, String> properties = resource.get("spec", "brokerProperties");
        return properties == null ? Map.of() : properties;
    }

    public static Map<String, String> annotations(HasMetadata resource) {
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        return annotations == null ? Map.of() : annotations;
    }

    public static String configurationName(GenericKubernetesResource instance) {
        return instance.get("spec", "configurationName");
    }

    public static List<String> nodes(GenericKubernetesResource instance) {
        List<String> nodes = instance.get("spec", "nodes");
        return nodes == null ? List.of() : nodes;
    }

    public static Map<String, Object> status(GenericKubernetesResource resource) {
        Object status = resource.getAdditionalProperties().get("status");
        @SuppressWarnings("unchecked")
        Map<String, Object> map = status instanceof Map<?, ?> ? (Map<String, Object>) status : null;
        return map;
    }

    public static long generation(HasMetadata resource) {
        Long generation = resource.getMetadata().getGeneration();
        return generation == null ? 0 : generation;
    }
}
