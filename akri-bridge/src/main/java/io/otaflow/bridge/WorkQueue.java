package io.otaflow.bridge;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Keys to reconcile, as in client-go's work queue: a key queued twice before it is worked on is
 * reconciled once, one worker reconciles one key at a time (so a key is never reconciled twice
 * at once), and a reconcile that asks for it comes back after a delay.
 */
final class WorkQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);
    private static final String STOP = "\u0000stop";

    private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.atomic.AtomicInteger busy = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean stopped;
    private final ScheduledExecutorService delays;
    private final Thread worker;

    WorkQueue(String name, Consumer<String> reconcile) {
        this.delays = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name(name + "-delays").daemon().factory());
        this.worker = Thread.ofPlatform().name(name).daemon().start(() -> {
            while (true) {
                String key;
                try {
                    key = queue.take();
                } catch (InterruptedException e) {
                    return;
                }
                if (key.equals(STOP) || stopped) {
                    return;
                }
                queued.remove(key);
                busy.incrementAndGet();
                try {
                    reconcile.accept(key);
                } catch (RuntimeException e) {
                    log.error("reconcile of {} failed, retrying in 10 s: {}", key, e.toString(), e);
                    addAfter(key, Duration.ofSeconds(10));
                } finally {
                    busy.decrementAndGet();
                }
            }
        });
    }

    void add(String key) {
        if (queued.add(key)) {
            queue.add(key);
        }
    }

    void addAfter(String key, Duration delay) {
        if (!delays.isShutdown()) {
            delays.schedule(() -> add(key), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** True when nothing is queued or being reconciled (a retry waiting for its delay does not count). */
    boolean idle() {
        return queue.isEmpty() && busy.get() == 0;
    }

    @Override
    public void close() {
        stopped = true; // queued keys are dropped: the next leader reconciles everything anyway
        delays.shutdownNow();
        queue.add(STOP);
        try {
            worker.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
