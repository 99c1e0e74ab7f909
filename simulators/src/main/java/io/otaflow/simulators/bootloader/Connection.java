package io.otaflow.simulators.bootloader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** One client connection as the bootloader sees it; a socket in real use, byte streams in codec tests. */
public interface Connection {
    InputStream in();

    OutputStream out();

    /** Bytes that arrived and were not read yet (a client that did not wait for the answer). */
    int available() throws IOException;

    /** Ends the connection: FIN after what was sent. */
    void close();

    /** Ends the connection as a Wi-Fi drop does: RST, nothing more sent. */
    void abort();
}
