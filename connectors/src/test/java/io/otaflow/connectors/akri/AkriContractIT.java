package io.otaflow.connectors.akri;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.otaflow.connectors.akri.v0.ByteData;
import io.otaflow.connectors.akri.v0.DiscoverRequest;
import io.otaflow.connectors.akri.v0.DiscoverResponse;
import io.otaflow.connectors.akri.v0.DiscoveryHandlerGrpc;
import io.otaflow.connectors.akri.v0.Empty;
import io.otaflow.connectors.akri.v0.RegisterDiscoveryHandlerRequest;
import io.otaflow.connectors.akri.v0.RegistrationGrpc;
import io.otaflow.connectors.discovery.DiscoveryHandler;
import io.otaflow.connectors.discovery.DiscoveryHandlerConfig;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.simulators.fleet.Fleet;
import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The Akri contract: a test {@code Registration} server acts as the agent on its Unix socket; the
 * handler registers, serves {@code Discover} on its own socket with snapshots of a simulated
 * fleet, refuses invalid details, and registers again when the stream breaks or the agent restarts.
 */
@ExtendWith(SharedDevStack.class)
class AkriContractIT {

    /** The agent's side: records registrations. */
    static final class TestAgent extends RegistrationGrpc.RegistrationImplBase {
        final List<RegisterDiscoveryHandlerRequest> registrations = new CopyOnWriteArrayList<>();

        @Override
        public void registerDiscoveryHandler(RegisterDiscoveryHandlerRequest request, StreamObserver<Empty> responses) {
            registrations.add(request);
            responses.onNext(Empty.getDefaultInstance());
            responses.onCompleted();
        }
    }

    @Test
    void registersServesSnapshotsRefusesBadDetailsAndRegistersAgain(DevStack stack, @TempDir Path dir) throws Exception {
        Path agentSocket = dir.resolve("agent-registration.sock");
        TestAgent agent = new TestAgent();
        Server agentServer = UnixSocketServers.serve(agentSocket, agent);
        try (Fleet fleet = Fleet.start(Fleet.Spec.of(5).withIdPrefix("akri-pico-").withAddressing(Fleet.Addressing.PORTS));
             DiscoveryHandler handler = new DiscoveryHandler(DiscoveryHandlerConfig.fromEnvironment(Map.of(), Map.of(
                     DiscoveryHandlerConfig.SOCKET_DIRECTORY, dir.toString(),
                     DiscoveryHandlerConfig.KAFKA_BOOTSTRAP, stack.endpoints().kafka(),
                     DiscoveryHandlerConfig.SCHEMA_REGISTRY, stack.endpoints().schemaRegistry())), new SimpleMeterRegistry()).start()) {

            await().atMost(Duration.ofSeconds(10)).until(() -> agent.registrations.size() == 1);
            RegisterDiscoveryHandlerRequest registration = agent.registrations.get(0);
            assertThat(registration.getName()).isEqualTo("otaflow-http");
            assertThat(registration.getEndpoint()).isEqualTo(dir.resolve("otaflow-http.sock").toString());
            assertThat(registration.getEndpointType()).isEqualTo(RegisterDiscoveryHandlerRequest.EndpointType.UDS);
            assertThat(registration.getShared()).isTrue();

            String endpoints = fleet.devices().stream().map(d -> "\"" + d.config().httpUrl() + "\"").collect(Collectors.joining(", "));
            ManagedChannel channel = UnixSocketServers.channel(Path.of(registration.getEndpoint()));
            try {
                DiscoverRequest request = DiscoverRequest.newBuilder()
                        .setDiscoveryDetails("endpoints: [" + endpoints + "]\npollInterval: 200ms\nconfiguration: default/picow")
                        .putDiscoveryProperties("AUTH_TOKEN", ByteData.newBuilder().setVec(ByteString.copyFromUtf8("not-needed")).build())
                        .build();
                io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
                DiscoverResponse first = call.call(() -> {
                    Iterator<DiscoverResponse> stream = DiscoveryHandlerGrpc.newBlockingStub(channel).discover(request);
                    DiscoverResponse response = stream.next();
                    while (response.getDevicesCount() < 5) {
                        response = stream.next();
                    }
                    return response;
                });
                assertThat(first.getDevicesList()).extracting(d -> d.getId())
                        .containsExactlyInAnyOrder("akri-pico-0001", "akri-pico-0002", "akri-pico-0003", "akri-pico-0004", "akri-pico-0005");
                assertThat(first.getDevices(0).getPropertiesMap()).containsKeys("HOST_ENDPOINT", "OTA_ENDPOINT", "FW_TYPE", "FW_VERSION", "FW_LOCKED");
                assertThat(first.getDevices(0).getPropertiesMap().get("FW_VERSION")).isEqualTo("1.0.0");

                // The agent drops the stream (e.g. it is restarting): the handler registers again.
                call.cancel(null);
                await().atMost(Duration.ofSeconds(10)).until(() -> agent.registrations.size() >= 2);

                assertThatThrownBy(() -> DiscoveryHandlerGrpc.newBlockingStub(channel)
                        .discover(DiscoverRequest.newBuilder().setDiscoveryDetails("addresses: [10.0.0.0/8]").build()).next())
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                            assertThat(e.getStatus().getDescription()).contains("too wide");
                        });
            } finally {
                channel.shutdownNow();
            }

            // The agent restarts: a new socket, and it has forgotten every handler.
            agentServer.shutdownNow().awaitTermination();
            TestAgent restarted = new TestAgent();
            agentServer = UnixSocketServers.serve(agentSocket, restarted);
            await().atMost(Duration.ofSeconds(15)).until(() -> !restarted.registrations.isEmpty());
            assertThat(restarted.registrations.get(0).getName()).isEqualTo("otaflow-http");
        } finally {
            agentServer.shutdownNow();
        }
    }
}
