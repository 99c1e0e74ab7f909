package io.otaflow.cli;

import java.util.concurrent.CountDownLatch;

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
}
