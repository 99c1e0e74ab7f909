package io.otaflow.simulators.bootloader;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;

/** A bootloader connection over TCP. */
public final class SocketConnection implements Connection {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Runnable onEnd;

    public SocketConnection(Socket socket) {
        this(socket, () -> { });
    }

    /**
     * @param onEnd runs as the connection ends, before the socket closes: picowota frees its one
     *              client slot in the same step, so a client that reconnects at once is accepted
     */
    public SocketConnection(Socket socket, Runnable onEnd) {
        this.socket = socket;
        this.onEnd = onEnd;
        try {
            socket.setTcpNoDelay(true);
            this.in = new BufferedInputStream(socket.getInputStream(), 2048);
            this.out = socket.getOutputStream();
        } catch (IOException e) {
            throw new IllegalStateException("socket unusable: " + e, e);
        }
    }

    /** Refuses a connection with RST, as picowota's {@code tcp_abort} does for a second client. */
    public static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException ignored) {
            // it is gone either way
        }
    }

    @Override
    public InputStream in() {
        return in;
    }

    @Override
    public OutputStream out() {
        return out;
    }

    @Override
    public int available() throws IOException {
        return in.available();
    }

    @Override
    public void close() {
        onEnd.run();
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void abort() {
        onEnd.run();
        reset(socket);
    }
}
