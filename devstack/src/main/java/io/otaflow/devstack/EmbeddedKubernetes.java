package io.otaflow.devstack;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Kubernetes API for the embedded default: fabric8's server in CRUD mode (it stores what is
 * written, serves watches and honours status subresources) with Akri's Configuration and
 * Instance CRDs from {@code deploy/crds} installed, behind {@link KubectlDispatcher}, which adds
 * what kubectl needs (discovery, Tables, typed lists, Status errors). {@link #writeKubeconfig}
 * writes a kubeconfig for it.
 */
public final class EmbeddedKubernetes implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKubernetes.class);
    /** The CRD files, copied from deploy/crds into the devstack jar at build time. */
    public static final List<String> CRD_RESOURCES = List.of("crds/akri-configuration-crd.yaml", "crds/akri-instance-crd.yaml");

    /**
     * fabric8's MockWebServer logs every request at INFO through java.util.logging, whose caller
     * lookup walks the stack on the server's only event-loop thread: at 10,000 Instances that
     * was most of the API server's CPU. Held here so the setting is not garbage collected.
     */
    private static final java.util.logging.Logger MOCK_WEB_SERVER_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_WEB_SERVER_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private KubernetesMockServer server;
    private final List<CustomResourceDefinition> crds = new CopyOnWriteArrayList<>();
    private boolean stockAkri;

    /**
     * Installs the CRDs as stock Akri ships them, without the status subresource, to check what
     * otaflow does on a cluster where nobody installed deploy/crds.
     */
    public EmbeddedKubernetes withStockAkriCrds() {
        this.stockAkri = true;
        return this;
    }

    public EmbeddedKubernetes start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubectlDispatcher(new KubernetesCrudDispatcher(List.of()), this::crds), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        try (KubernetesClient client = newClient()) {
            for (String resource : CRD_RESOURCES) {
                CustomResourceDefinition crd = loadCrd(client, resource);
                if (stockAkri) {
                    crd.getSpec().getVersions().forEach(version -> version.setSubresources(null));
                }
                crds.add(client.apiextensions().v1().customResourceDefinitions().resource(crd).create());
            }
        }
        log.info("Kubernetes API (fabric8 CRUD server) on {} with CRDs {}", url(),
                crds.stream().map(c -> c.getMetadata().getName()).toList());
        return this;
    }

    private static CustomResourceDefinition loadCrd(KubernetesClient client, String resource) {
        try (InputStream in = EmbeddedKubernetes.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("CRD " + resource + " is missing from the classpath (built from deploy/crds)");
            }
            return client.apiextensions().v1().customResourceDefinitions().load(in).item();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CRD " + resource, e);
        }
    }

    public List<CustomResourceDefinition> crds() {
        return List.copyOf(crds);
    }

    /** The API server's base URL (plain HTTP on 127.0.0.1). */
    public String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** Client settings for this API: no credentials, no TLS, namespace {@code default}. */
    public Config clientConfig() {
        return new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withNamespace("default")
                .withTrustCerts(true)
                .withHttp2Disable(true)
                .build();
    }

    /** Writes a kubeconfig for this API (context {@code otaflow-embedded}, namespace default, no credentials): {@code export KUBECONFIG=file}. */
    public Path writeKubeconfig(Path file) throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: otaflow-embedded
                  cluster:
                    server: %s
                contexts:
                - name: otaflow-embedded
                  context:
                    cluster: otaflow-embedded
                    namespace: default
                    user: otaflow-embedded
                users:
                - name: otaflow-embedded
                  user: {}
                current-context: otaflow-embedded
                """.formatted(url());
        Files.writeString(file, yaml);
        return file;
    }

    public KubernetesClient newClient() {
        return new KubernetesClientBuilder().withConfig(clientConfig()).build();
    }

    @Override
    public void close() {
        if (server != null) {
            server.destroy();
            server = null;
        }
    }
}
