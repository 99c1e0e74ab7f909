package io.otaflow.cli.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations endpoint every otaflow service serves beside its work, for Kubernetes and
 * Prometheus: {@code /livez} (the process can still do its job; a restart would help if not),
 * {@code /readyz} (it is doing it now) and {@code /metrics} (Prometheus text format). Plain JDK
 * HTTP on virtual threads: three read-only routes do not need a web framework.
 */
public final class OpsServer implements AutoCloseable {
    /** What a service says about itself; {@code detail} is shown to whoever asks. */
    public record Health(boolean live, boolean ready, String detail) {
        public static Health up(String detail) {
            return new Health(true, true, detail);
        }
    }

    private final PrometheusMeterRegistry registry;
    private final HttpServer server;
    private volatile Supplier<Health> health = () -> new Health(true, false, "starting");

    private OpsServer(PrometheusMeterRegistry registry, HttpServer server) {
        this.registry = registry;
        this.server = server;
    }

    /** Binds {@code address} (port 0 picks one) and serves at once, reporting "starting" until {@link #health} is set. */
    public static OpsServer start(InetSocketAddress address) throws IOException {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        HttpServer server = HttpServer.create(address, 16);
        OpsServer ops = new OpsServer(registry, server);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/livez", exchange -> ops.probe(exchange, true));
        server.createContext("/readyz", exchange -> ops.probe(exchange, false));
        server.createContext("/metrics", ops::metrics);
        server.start();
        return ops;
    }

    /** The registry the service records into; what {@code /metrics} shows. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public OpsServer health(Supplier<Health> health) {
        this.health = health;
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void probe(HttpExchange exchange, boolean liveness) throws IOException {
        Health now;
        try {
            now = health.get();
        } catch (RuntimeException e) {
            now = new Health(false, false, "health check failed: " + e);
        }
        boolean ok = liveness ? now.live() : now.ready();
        respond(exchange, ok ? 200 : 503, "text/plain; charset=utf-8", (ok ? "ok: " : "not ok: ") + now.detail() + "\n");
    }

    private void metrics(HttpExchange exchange) throws IOException {
        respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    }

    private static void respond(HttpExchange exchange, int status, String type, String body) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        registry.close();
    }
}
