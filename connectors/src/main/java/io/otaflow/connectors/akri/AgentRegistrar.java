package io.otaflow.connectors.akri;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.otaflow.connectors.akri.v0.RegisterDiscoveryHandlerRequest;
import io.otaflow.connectors.akri.v0.RegistrationGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Registers this handler with the Akri agent's {@code v0.Registration} service on its Unix socket,
 * and registers again whenever it may have been forgotten: after a Discover stream broke, and
 * when the agent's socket file was recreated (the agent restarted: it forgets handlers, Akri
 * issue #558). Failed registrations are retried with backoff up to 30 s.
 */
public final class AgentRegistrar implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AgentRegistrar.class);
    private static final Duration CHECK_EVERY = Duration.ofSeconds(2);

    private final Path agentSocket;
    private final RegisterDiscoveryHandlerRequest request;
    private final Object signal = new Object();
    private boolean registerAgain = true;
    private volatile boolean running = true;
    private volatile long registrations;
    private Object agentFileKey;
    private Thread thread;

    public AgentRegistrar(Path agentSocket, RegisterDiscoveryHandlerRequest request) {
        this.agentSocket = agentSocket;
        this.request = request;
    }

    public AgentRegistrar start() {
        thread = Thread.ofVirtual().name("akri-registrar").start(this::run);
        return this;
    }

    /** Something suggests the agent forgot us: register again soon. */
    public void reRegister() {
        synchronized (signal) {
            registerAgain = true;
            signal.notifyAll();
        }
    }

    public long registrations() {
        return registrations;
    }

    private void run() {
        Duration backoff = Duration.ofMillis(200);
        while (running) {
            boolean due;
            synchronized (signal) {
                Object key = fileKey();
                if (key != null && !Objects.equals(key, agentFileKey)) {
                    registerAgain = true; // a new agent socket: a (re)started agent
                }
                due = registerAgain;
                if (!due) {
                    try {
                        signal.wait(CHECK_EVERY.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                    continue;
                }
            }
            if (register()) {
                synchronized (signal) {
                    registerAgain = false;
                    agentFileKey = fileKey();
                }
                backoff = Duration.ofMillis(200);
            } else {
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException e) {
                    return;
                }
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : backoff.multipliedBy(2);
            }
        }
    }

    private Object fileKey() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(agentSocket, BasicFileAttributes.class);
            return attributes.fileKey() + "@" + attributes.creationTime() + "@" + attributes.lastModifiedTime();
        } catch (IOException e) {
            return null;
        }
    }

    private boolean register() {
        if (!Files.exists(agentSocket)) {
            log.debug("Akri agent socket {} not there yet", agentSocket);
            return false;
        }
        ManagedChannel channel = UnixSocketServers.channel(agentSocket);
        try {
            RegistrationGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS).registerDiscoveryHandler(request);
            registrations++;
            log.info("registered discovery handler '{}' at {} ({}) with the Akri agent", request.getName(), request.getEndpoint(),
                    request.getEndpointType());
            return true;
        } catch (StatusRuntimeException e) {
            log.warn("registration with the Akri agent at {} failed: {}", agentSocket, e.getStatus());
            return false;
        } finally {
            channel.shutdownNow();
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
