package io.otaflow.cli;

import io.otaflow.cli.ops.OpsServer;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * {@code --ops-listen}: where a service serves {@code /livez}, {@code /readyz} and
 * {@code /metrics}. Loopback by default; in a Pod it is {@code 0.0.0.0:8080}, so the kubelet and
 * Prometheus reach it.
 */
final class OpsOptions {
    @Option(names = "--ops-listen", paramLabel = "HOST:PORT", defaultValue = "${env:OTAFLOW_OPS_LISTEN:-127.0.0.1:0}",
            description = "Health and Prometheus metrics endpoint (default ${DEFAULT-VALUE}; env OTAFLOW_OPS_LISTEN).")
    String listen;

    OpsServer start() throws IOException {
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--ops-listen must be HOST:PORT, not '" + listen + "'");
        }
        int port;
        try {
            port = Integer.parseInt(listen.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--ops-listen port is not a number: '" + listen + "'");
        }
        return OpsServer.start(new InetSocketAddress(listen.substring(0, colon), port));
    }
}
