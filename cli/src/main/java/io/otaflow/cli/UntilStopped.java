package io.otaflow.cli;

import io.otaflow.cli.ops.OpsServer;
import picocli.CommandLine;

import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;

/**
 * For commands that run until Ctrl-C or SIGTERM: closes what they started on the way out, and
 * lets the command's thread wait for that.
 */
final class UntilStopped {
    private final CountDownLatch stopped = new CountDownLatch(1);

    private UntilStopped() {
    }

    /** Closes {@code resource} when the JVM is asked to stop; register it before starting, so a stop during start cleans up too. */
    static UntilStopped closing(AutoCloseable resource, String name) {
        UntilStopped until = new UntilStopped();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                resource.close();
            } catch (Exception e) {
                System.err.println("otaflow: " + name + " did not stop cleanly: " + e);
            } finally {
                until.stopped.countDown();
            }
        }, "otaflow-" + name + "-shutdown"));
        return until;
    }

    void await() throws InterruptedException {
        stopped.await();
    }

    /** What a service does once its stop is registered (Kafka Streams' start); most are started already. */
    interface Start {
        void run() throws Exception;
    }

    /**
     * Runs a service until Ctrl-C or SIGTERM, the same way for every service command: its health
     * on the ops endpoint, {@code start} once the stop is registered, a banner, and on the way
     * out the service, then the endpoint, closed.
     */
    static int serve(CommandLine command, String name, OpsServer ops, AutoCloseable service, Start start,
                     Supplier<OpsServer.Health> health, String banner) throws Exception {
        ops.health(health);
        UntilStopped stopped = closing(() -> {
            try {
                service.close();
            } finally {
                ops.close();
            }
        }, name);
        start.run();
        command.getOut().println(banner + " Press Ctrl-C to stop.");
        command.getOut().flush();
        stopped.await();
        return 0;
    }
}
