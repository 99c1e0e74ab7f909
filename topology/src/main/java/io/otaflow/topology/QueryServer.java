package io.otaflow.topology;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.otaflow.topology.gate.RolloutGate;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.RolloutStatus;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;

/**
 * Interactive queries over HTTP, answered from the topology's own state stores:
 * {@code GET /devices/{id}} (the device and its eligibility), {@code GET /rollouts/{namespace}/{name}}
 * (the Configuration's rollout status) and {@code GET /fleet/versions} (devices per Configuration,
 * firmware type and version, gathered from every instance). A key held by another instance is
 * answered with a redirect to it.
 */
public final class QueryServer implements AutoCloseable {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private KafkaStreams streams;
    private final HttpServer server;
    private final HostInfo self;
    private final HttpClient http = HttpClient.newHttpClient();

    /** Binds first, so that the address can be given to Kafka Streams as {@code application.server}. */
    public QueryServer(InetSocketAddress address) throws IOException {
        this(address, address.getHostString());
    }

    /** @param advertisedHost how other instances reach this one (a Pod's IP while binding 0.0.0.0) */
    public QueryServer(InetSocketAddress address, String advertisedHost) throws IOException {
        this.server = HttpServer.create(address, 64);
        this.self = new HostInfo(advertisedHost, server.getAddress().getPort());
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
    }

    public HostInfo hostInfo() {
        return self;
    }

    public QueryServer start(KafkaStreams streams) {
        this.streams = streams;
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            boolean localOnly = "local=true".equals(exchange.getRequestURI().getQuery());
            if (!exchange.getRequestMethod().equals("GET")) {
                respond(exchange, 405, "{\"error\":\"only GET\"}");
            } else if (streams.state() != KafkaStreams.State.RUNNING) {
                respond(exchange, 503, "{\"error\":\"the topology is " + streams.state() + "; try again shortly\"}");
            } else if (path.startsWith("/devices/")) {
                String id = URLDecoder.decode(path.substring("/devices/".length()), StandardCharsets.UTF_8);
                lookup(exchange, "device-classified-store", id, path);
            } else if (path.startsWith("/rollouts/")) {
                String configuration = URLDecoder.decode(path.substring("/rollouts/".length()), StandardCharsets.UTF_8);
                lookup(exchange, RolloutGate.STATUS_STORE, configuration, path);
            } else if (path.equals("/fleet/versions")) {
                respond(exchange, 200, JSON.writeValueAsString(versions(localOnly)));
            } else {
                respond(exchange, 404, "{\"error\":\"not found; try /devices/{id}, /rollouts/{namespace}/{name}, /fleet/versions\"}");
            }
        } catch (RuntimeException e) {
            respond(exchange, 500, "{\"error\":\"" + e.getMessage().replace("\"", "'") + "\"}");
        }
    }

    private void lookup(HttpExchange exchange, String store, String key, String path) throws IOException {
        KeyQueryMetadata owner = streams.queryMetadataForKey(store, key, new StringSerializer());
        if (owner != null && owner.activeHost() != null && !owner.activeHost().equals(HostInfo.unavailable())
                && !owner.activeHost().equals(self) && !owner.activeHost().host().isEmpty()) {
            exchange.getResponseHeaders().set("Location", "http://" + owner.activeHost().host() + ":" + owner.activeHost().port() + path);
            respond(exchange, 307, "{\"redirect\":\"" + owner.activeHost() + "\"}");
            return;
        }
        Object value = store.equals(RolloutGate.STATUS_STORE)
                ? streams.store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.<String, RolloutStatus>keyValueStore())).get(key)
                : unwrap(streams.store(StoreQueryParameters.fromNameAndType(store,
                QueryableStoreTypes.<String, DeviceState>timestampedKeyValueStore())).get(key));
        if (value == null) {
            respond(exchange, 404, "{\"error\":\"no " + (store.equals(RolloutGate.STATUS_STORE) ? "rollout" : "device") + " '" + key + "'\"}");
        } else {
            respond(exchange, 200, ((GenericContainer) value).toString());
        }
    }

    private static Object unwrap(ValueAndTimestamp<DeviceState> value) {
        return value == null ? null : value.value();
    }

    /** configuration → firmware type → version → devices, from this instance (and, unless local, the others). */
    Map<String, Map<String, Map<String, Integer>>> versions(boolean localOnly) {
        Map<String, Map<String, Map<String, Integer>>> result = new TreeMap<>();
        ReadOnlyKeyValueStore<String, ValueAndTimestamp<DeviceState>> store = streams.store(StoreQueryParameters.fromNameAndType(
                "device-classified-store", QueryableStoreTypes.timestampedKeyValueStore()));
        try (KeyValueIterator<String, ValueAndTimestamp<DeviceState>> all = store.all()) {
            all.forEachRemaining(kv -> {
                DeviceState device = kv.value.value();
                if (device.getFirmware() != null) {
                    result.computeIfAbsent(device.getConfiguration() == null ? "-" : device.getConfiguration(), k -> new TreeMap<>())
                            .computeIfAbsent(device.getFirmware().getFirmwareType(), k -> new TreeMap<>())
                            .merge(device.getFirmware().getFirmwareVersion(), 1, Integer::sum);
                }
            });
        }
        if (!localOnly) {
            for (StreamsMetadata other : streams.metadataForAllStreamsClients()) {
                if (other.hostInfo().equals(self) || other.hostInfo().host().isEmpty()) {
                    continue;
                }
                try {
                    String body = http.send(HttpRequest.newBuilder(URI.create("http://" + other.hostInfo().host() + ":"
                            + other.hostInfo().port() + "/fleet/versions?local=true")).build(), HttpResponse.BodyHandlers.ofString()).body();
                    mergeJson(result, body);
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException("instance " + other.hostInfo() + " did not answer: " + e.getMessage(), e);
                }
            }
        }
        return result;
    }

    @SuppressWarnings("unchecked")
    private static void mergeJson(Map<String, Map<String, Map<String, Integer>>> into, String json) throws IOException {
        Map<String, Map<String, Map<String, Integer>>> other = JSON.readValue(json, Map.class);
        other.forEach((config, types) -> types.forEach((type, versions) -> versions.forEach((version, n) ->
                into.computeIfAbsent(config, k -> new TreeMap<>()).computeIfAbsent(type, k -> new TreeMap<>())
                        .merge(version, ((Number) (Object) n).intValue(), Integer::sum))));
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
