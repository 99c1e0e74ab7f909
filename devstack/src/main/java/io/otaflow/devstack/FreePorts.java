package io.otaflow.devstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free TCP ports on the loopback address, for servers that must be told their port up front.
 * The kernel may hand the same just-closed ephemeral port out twice in a row (seen in CI: Kafka's
 * broker and controller listeners given one port), so a port is never handed out twice in a JVM.
 */
public final class FreePorts {
    private static final int ATTEMPTS = 100;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private FreePorts() {
    }

    public static int next() {
        for (int i = 0; i < ATTEMPTS; i++) {
            int port = probe();
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no loopback port not already handed out after " + ATTEMPTS + " tries");
    }

    private static int probe() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on the loopback address", e);
        }
    }
}
