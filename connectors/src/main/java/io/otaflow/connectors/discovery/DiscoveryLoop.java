package io.otaflow.connectors.discovery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.otaflow.connectors.akri.v0.Device;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Polls one set of discovery details on a fixed rate and keeps its {@link DeviceTracker}: events
 * go to the sink, and every changed snapshot to the listeners (the Akri Discover streams).
 */
public final class DiscoveryLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DiscoveryLoop.class);

    private final DiscoveryDetails details;
    private final MetadataPoller poller;
    private final DeviceTracker tracker;
    private final EventSink sink;
    private final List<Consumer<List<Device>>> listeners = new CopyOnWriteArrayList<>();
    private final Counter answered;
    private final Counter unreachable;
    private final Counter bad;
    private final Timer rounds;
    private volatile List<Device> lastSnapshot;
    private volatile boolean running;
    private Thread thread;

    public DiscoveryLoop(DiscoveryDetails details, Map<String, String> properties, String node, FlashHolds holds,
                         EventSink sink, MeterRegistry meters) {
        this.details = details;
        this.poller = new MetadataPoller(properties);
        this.tracker = new DeviceTracker(details, details.configuration(), node, holds);
        this.sink = sink;
        this.answered = Counter.builder("otaflow.discovery.polls.total").tag("result", "answered").register(meters);
        this.unreachable = Counter.builder("otaflow.discovery.polls.total").tag("result", "unreachable").register(meters);
        this.bad = Counter.builder("otaflow.discovery.polls.total").tag("result", "bad").register(meters);
        this.rounds = Timer.builder("otaflow.discovery.round").register(meters);
    }

    public DiscoveryDetails details() {
        return details;
    }

    /** One poll of every target, applied; for the loop and for tests. */
    public List<Device> runOnce() throws InterruptedException {
        long start = System.nanoTime();
        List<PollResult> results = poller.pollAll(details.targets(), details);
        for (PollResult result : results) {
            switch (result) {
                case PollResult.Answered a -> answered.increment();
                case PollResult.Unreachable u -> unreachable.increment();
                case PollResult.Bad b -> {
                    bad.increment();
                    log.debug("bad metadata from {}: {}", b.target(), b.reason());
                }
            }
        }
        tracker.apply(results, Instant.now(), sink);
        rounds.record(Duration.ofNanos(System.nanoTime() - start));
        List<Device> snapshot = tracker.snapshot();
        if (!snapshot.equals(lastSnapshot)) {
            lastSnapshot = snapshot;
            listeners.forEach(l -> l.accept(snapshot));
        }
        return snapshot;
    }

    public DiscoveryLoop start() {
        running = true;
        thread = Thread.ofVirtual().name("discovery-loop").start(() -> {
            long next = System.nanoTime();
            while (running) {
                try {
                    runOnce();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    log.error("discovery round failed; next round as scheduled: {}", e.toString(), e);
                }
                next += details.pollInterval().toNanos();
                long wait = next - System.nanoTime();
                if (wait < 0) {
                    next = System.nanoTime(); // a round took longer than the interval: no burst of catch-up rounds
                    continue;
                }
                try {
                    Thread.sleep(Duration.ofNanos(wait));
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return this;
    }

    /** Listens to snapshots; gets the current one at once if there is one. */
    public void addListener(Consumer<List<Device>> listener) {
        listeners.add(listener);
        List<Device> snapshot = lastSnapshot;
        if (snapshot != null) {
            listener.accept(snapshot);
        }
    }

    public void removeListener(Consumer<List<Device>> listener) {
        listeners.remove(listener);
    }

    public int listenerCount() {
        return listeners.size();
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        poller.close();
    }
}
