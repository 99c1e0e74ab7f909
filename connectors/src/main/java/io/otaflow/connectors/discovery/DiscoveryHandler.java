package io.otaflow.connectors.discovery;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.otaflow.connectors.akri.AgentRegistrar;
import io.otaflow.connectors.akri.DiscoveryHandlerService;
import io.otaflow.connectors.akri.v0.RegisterDiscoveryHandlerRequest;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.topics.TopicCatalog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The discovery handler as a process: in Akri mode it serves {@code DiscoveryHandler} (Unix
 * socket, or network when POD_IP is set) and keeps itself registered with the agent; in
 * standalone mode it polls the details file itself. Either way events go to Kafka, and flash
 * progress is followed so that devices being flashed stay present.
 */
public final class DiscoveryHandler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiscoveryHandler.class);

    private final DiscoveryHandlerConfig config;
    private final MeterRegistry meters;
    private final EventSink sink;
    private final FlashHolds holds;
    private FlashProgressWatcher watcher;
    private Server server;
    private AgentRegistrar registrar;
    private DiscoveryHandlerService service;
    private DiscoveryLoop standalone;

    public DiscoveryHandler(DiscoveryHandlerConfig config, MeterRegistry meters) {
        this.config = config;
        this.meters = meters;
        SchemaRegistryClient registry = new SchemaRegistryClient(config.getString(DiscoveryHandlerConfig.SCHEMA_REGISTRY));
        TopicCatalog topics = new TopicCatalog(config.getString(DiscoveryHandlerConfig.TOPIC_PREFIX), TopicCatalog.DEFAULT_PARTITIONS);
        String bootstrap = config.getString(DiscoveryHandlerConfig.KAFKA_BOOTSTRAP);
        this.sink = new KafkaEventSink(bootstrap, registry, topics, Map.of());
        this.holds = new FlashHolds(Duration.ofMinutes(2));
        this.watcher = new FlashProgressWatcher(bootstrap, registry, topics, holds, Duration.ofMinutes(30));
    }

    public DiscoveryHandler start() throws IOException {
        watcher.start();
        String node = config.getString(DiscoveryHandlerConfig.NODE);
        if (config.getString(DiscoveryHandlerConfig.MODE).equals("standalone")) {
            String file = config.getString(DiscoveryHandlerConfig.DETAILS_FILE);
            if (file.isBlank()) {
                throw new IllegalArgumentException(DiscoveryHandlerConfig.DETAILS_FILE + " is required in standalone mode");
            }
            DiscoveryDetails details = DiscoveryDetails.parse(Files.readString(Path.of(file)));
            standalone = new DiscoveryLoop(details, Map.of(), node.isBlank() ? null : node, holds, sink, meters).start();
            log.info("standalone discovery of {} targets every {}", details.targets().size(), details.pollInterval());
            return this;
        }
        String name = config.getString(DiscoveryHandlerConfig.NAME);
        Path directory = Path.of(config.getString(DiscoveryHandlerConfig.SOCKET_DIRECTORY));
        String podIp = config.getString(DiscoveryHandlerConfig.POD_IP);
        RegisterDiscoveryHandlerRequest.Builder request = RegisterDiscoveryHandlerRequest.newBuilder().setName(name).setShared(true);
        AgentRegistrar[] registrarRef = new AgentRegistrar[1];
        service = new DiscoveryHandlerService((details, properties) ->
                new DiscoveryLoop(details, properties, node.isBlank() ? null : node, holds, sink, meters),
                () -> {
                    if (registrarRef[0] != null) {
                        registrarRef[0].reRegister();
                    }
                });
        if (podIp.isBlank()) {
            Path socket = directory.resolve(name + ".sock");
            server = io.otaflow.connectors.akri.UnixSocketServers.serve(socket, service);
            request.setEndpoint(socket.toString()).setEndpointType(RegisterDiscoveryHandlerRequest.EndpointType.UDS);
        } else {
            int port = config.getInt(DiscoveryHandlerConfig.NETWORK_PORT);
            server = NettyServerBuilder.forAddress(new InetSocketAddress(podIp, port)).addService(service).build().start();
            request.setEndpoint(podIp + ":" + port).setEndpointType(RegisterDiscoveryHandlerRequest.EndpointType.NETWORK);
        }
        registrar = new AgentRegistrar(directory.resolve("agent-registration.sock"), request.build()).start();
        registrarRef[0] = registrar;
        log.info("discovery handler '{}' serving at {}", name, request.getEndpoint());
        return this;
    }

    public AgentRegistrar registrar() {
        return registrar;
    }

    public DiscoveryHandlerService service() {
        return service;
    }

    @Override
    public void close() {
        if (registrar != null) {
            registrar.close();
        }
        if (service != null) {
            service.shutdown();
        }
        if (server != null) {
            server.shutdownNow();
        }
        if (standalone != null) {
            standalone.close();
        }
        watcher.close();
        sink.close();
    }
}
