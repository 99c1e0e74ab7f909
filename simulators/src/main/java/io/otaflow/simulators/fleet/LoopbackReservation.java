package io.otaflow.simulators.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback ports and addresses held by one fleet for its whole life, so devices keep them across
 * reboots and no other fleet, on this JVM or another, is handed the same ones. Ports come from
 * below the kernel's ephemeral range, which outgoing connections and port-0 servers never take;
 * slabs of them are claimed by locking a file per slab in the temporary directory (released by
 * the kernel when the process dies), and each port is bound once to check that nothing unrelated
 * listens there. Addresses (127.10.x.y with the device's own ports) are claimed the same way, a
 * slab per 127.10.x.0/24.
 */
public final class LoopbackReservation implements AutoCloseable {
    /** Ports handed out: below Linux's default ephemeral range (32768-60999), above most fixed services. */
    static final int FIRST_PORT = 20_000;
    static final int END_PORT = 32_768;
    static final int SLAB_PORTS = 128;
    /** Address slabs: one per 127.10.x.0/24, x from 0; {@link Fleet#loopback} numbers 254 hosts per slab. */
    static final int SLAB_ADDRESSES = 254;
    static final int ADDRESS_SLABS = 250 * 256 / SLAB_ADDRESSES;

    private final List<FileChannel> held = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private int firstAddressIndex = -1;

    private LoopbackReservation() {
    }

    /** {@code count} ports on 127.0.0.1, each free now and held for this reservation. */
    public static LoopbackReservation ports(int count) {
        LoopbackReservation reservation = new LoopbackReservation();
        try {
            InetAddress loopback = InetAddress.getLoopbackAddress();
            for (int slab = FIRST_PORT / SLAB_PORTS; slab < END_PORT / SLAB_PORTS && reservation.ports.size() < count; slab++) {
                if (!reservation.lock("ports-" + slab)) {
                    continue;
                }
                for (int port = slab * SLAB_PORTS; port < (slab + 1) * SLAB_PORTS && reservation.ports.size() < count; port++) {
                    if (port >= FIRST_PORT && bindable(new InetSocketAddress(loopback, port))) {
                        reservation.ports.add(port);
                    }
                }
            }
            if (reservation.ports.size() < count) {
                throw new IllegalStateException("only " + reservation.ports.size() + " of " + count
                        + " loopback ports between " + FIRST_PORT + " and " + END_PORT + " are free for a fleet");
            }
            return reservation;
        } catch (RuntimeException e) {
            reservation.close();
            throw e;
        }
    }

    /**
     * {@code count} consecutive device addresses (see {@link Fleet#loopback}) whose slabs no other
     * fleet holds, starting at a slab boundary; the index of the first is {@link #firstAddressIndex()}.
     */
    public static LoopbackReservation addresses(int count, int httpPort) {
        int slabs = (count + SLAB_ADDRESSES - 1) / SLAB_ADDRESSES;
        for (int first = 0; first + slabs <= ADDRESS_SLABS; first++) {
            LoopbackReservation reservation = new LoopbackReservation();
            boolean all = true;
            for (int slab = first; slab < first + slabs && all; slab++) {
                all = reservation.lock("addresses-" + slab)
                        && bindable(new InetSocketAddress(Fleet.loopback(slab * SLAB_ADDRESSES), httpPort));
            }
            if (all) {
                reservation.firstAddressIndex = first * SLAB_ADDRESSES;
                return reservation;
            }
            reservation.close();
        }
        throw new IllegalStateException("no block of " + count + " free loopback addresses under 127.10.0.0/8 for a fleet");
    }

    public List<Integer> ports() {
        return List.copyOf(ports);
    }

    public int firstAddressIndex() {
        return firstAddressIndex;
    }

    private boolean lock(String slab) {
        try {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "otaflow-loopback");
            Files.createDirectories(dir);
            FileChannel channel = FileChannel.open(dir.resolve(slab + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                return false;
            }
            held.add(channel);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot claim loopback slab " + slab, e);
        }
    }

    private static boolean bindable(InetSocketAddress address) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(address, 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        for (FileChannel channel : held) {
            try {
                channel.close(); // releases the lock
            } catch (IOException ignored) {
                // the lock goes with the channel either way
            }
        }
        held.clear();
    }
}
