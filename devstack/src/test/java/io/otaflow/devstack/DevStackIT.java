package io.otaflow.devstack;

import io.otaflow.devstack.junit.SharedDevStack;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The platform as a whole: every server answers on loopback and on no other address. */
@ExtendWith(SharedDevStack.class)
class DevStackIT {

    private static List<Integer> ports(Endpoints endpoints) {
        return List.of(
                Integer.parseInt(endpoints.kafka().substring(endpoints.kafka().lastIndexOf(':') + 1)),
                URI.create(endpoints.mqtt()).getPort(),
                URI.create(endpoints.schemaRegistry()).getPort(),
                URI.create(endpoints.kubernetes()).getPort());
    }

    @Test
    void everyServerAnswersOnLoopback(DevStack stack) throws IOException {
        System.out.printf("BENCH devstack_startup %d ms%n", stack.startupTime().toMillis());
        for (int port : ports(stack.endpoints())) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
                assertThat(socket.isConnected()).isTrue();
            }
        }
    }

    @Test
    void noServerAnswersOnAnotherAddressOfThisMachine(DevStack stack) throws IOException {
        Optional<InetAddress> external = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
                .findFirst();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to try");
        for (int port : ports(stack.endpoints())) {
            assertThatThrownBy(() -> {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress(external.get(), port), 2_000);
                }
            }).as("port %d on %s", port, external.get()).isInstanceOf(IOException.class);
        }
    }
}
