package io.otaflow.connectors.akri;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.otaflow.connectors.akri.v0.ByteData;
import io.otaflow.connectors.akri.v0.Device;
import io.otaflow.connectors.akri.v0.DiscoverRequest;
import io.otaflow.connectors.akri.v0.DiscoverResponse;
import io.otaflow.connectors.akri.v0.DiscoveryHandlerGrpc;
import io.otaflow.connectors.discovery.DiscoveryDetails;
import io.otaflow.connectors.discovery.DiscoveryLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;

/**
 * Akri's {@code v0.DiscoveryHandler/Discover}: for each Configuration that names this handler the
 * agent opens a stream, and gets the whole current device list whenever it changes. Identical
 * requests share one discovery loop; a loop stops with its last stream. Invalid
 * {@code discoveryDetails} end the call with INVALID_ARGUMENT and the reason.
 */
public final class DiscoveryHandlerService extends DiscoveryHandlerGrpc.DiscoveryHandlerImplBase {
    private static final Logger log = LoggerFactory.getLogger(DiscoveryHandlerService.class);

    private final BiFunction<DiscoveryDetails, Map<String, String>, DiscoveryLoop> loops;
    private final Runnable streamBroken;
    private final Map<String, DiscoveryLoop> running = new ConcurrentHashMap<>();

    /**
     * @param loops        starts a discovery loop for details and properties
     * @param streamBroken told when a stream ends without the handler ending it (the agent may be gone)
     */
    public DiscoveryHandlerService(BiFunction<DiscoveryDetails, Map<String, String>, DiscoveryLoop> loops, Runnable streamBroken) {
        this.loops = loops;
        this.streamBroken = streamBroken;
    }

    @Override
    public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> responses) {
        DiscoveryDetails details;
        try {
            details = DiscoveryDetails.parse(request.getDiscoveryDetails());
        } catch (IllegalArgumentException e) {
            log.warn("refusing a Discover call: {}", e.getMessage());
            responses.onError(Status.INVALID_ARGUMENT.withDescription("invalid discoveryDetails: " + e.getMessage()).asRuntimeException());
            return;
        }
        Map<String, String> properties = new TreeMap<>();
        for (Map.Entry<String, ByteData> property : request.getDiscoveryPropertiesMap().entrySet()) {
            properties.put(property.getKey(), property.getValue().hasVec() ? property.getValue().getVec().toString(StandardCharsets.UTF_8) : "");
        }
        // Properties carry secrets: the key holds only their names, never their values in logs.
        String key = request.getDiscoveryDetails() + "\u0000" + properties.hashCode();
        ServerCallStreamObserver<DiscoverResponse> stream = (ServerCallStreamObserver<DiscoverResponse>) responses;
        DiscoveryLoop loop;
        synchronized (running) {
            loop = running.computeIfAbsent(key, k -> loops.apply(details, properties).start());
        }
        Consumer<List<Device>> listener = devices -> {
            synchronized (stream) {
                if (!stream.isCancelled()) {
                    stream.onNext(DiscoverResponse.newBuilder().addAllDevices(devices).build());
                }
            }
        };
        stream.setOnCancelHandler(() -> {
            loop.removeListener(listener);
            synchronized (running) {
                if (loop.listenerCount() == 0 && running.remove(key, loop)) {
                    loop.close();
                }
            }
            log.info("Discover stream for {} targets ended by the agent", details.targets().size());
            streamBroken.run();
        });
        log.info("Discover stream opened: {} targets{}", details.targets().size(),
                details.configuration() == null ? "" : " for " + details.configuration());
        loop.addListener(listener);
    }

    /** Ends every stream and loop (the handler is stopping). */
    public void shutdown() {
        synchronized (running) {
            running.values().forEach(DiscoveryLoop::close);
            running.clear();
        }
    }

    public int activeLoops() {
        return running.size();
    }
}
