package io.otaflow.bridge.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes the status of one kind of object, and only status. Callers mark objects dirty; every
 * batch interval the writer computes each dirty object's status once (however many events changed
 * it), compares it with what it last wrote (or, after a restart, with the object as the informer
 * has it), and patches only the top-level status fields that differ, as an RFC 6902 JSON Patch on
 * the status subresource (lists such as conditions are replaced whole, never merged). Patches go
 * out at most {@code ratePerSecond} a second and {@code concurrency} at a time, so a rollout over
 * 10,000 devices does not flood the API server.
 */
public final class StatusWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the writer asks about an object, by {@code namespace/name}. */
    public interface Source {
        /** The object as the informer has it; null when it does not exist (any more). */
        GenericKubernetesResource current(String key);

        /** The status the object should have, given its current one; null when there is nothing to say yet. */
        Map<String, Object> desired(String key, GenericKubernetesResource current);
    }

    private final KubernetesClient client;
    private final ResourceDefinitionContext context;
    private final String kind;
    private final Source source;
    private final StatusMode mode;
    private final Duration batch;
    private final long nanosPerPatch;
    private final Semaphore inFlight;
    private final Set<String> dirty = ConcurrentHashMap.newKeySet();
    private final Map<String, JsonNode> written = new ConcurrentHashMap<>();
    private final ScheduledExecutorService loop;
    private final ExecutorService patches = Executors.newVirtualThreadPerTaskExecutor();
    private final Counter patchCount;
    private final Counter skipCount;
    private final Counter failureCount;
    private final AtomicInteger pending = new AtomicInteger();
    private long nextPatchAt = System.nanoTime();

    public StatusWriter(KubernetesClient client, ResourceDefinitionContext context, Source source, StatusMode mode,
                        int ratePerSecond, Duration batch, int concurrency, MeterRegistry metrics) {
        this.client = client;
        this.context = context;
        this.kind = context.getKind();
        this.source = source;
        this.mode = mode;
        this.batch = batch;
        this.nanosPerPatch = TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
        this.inFlight = new Semaphore(concurrency);
        this.loop = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("status-" + kind).daemon().factory());
        this.patchCount = Counter.builder("otaflow.bridge.status.patches").tag("kind", kind).register(metrics);
        this.skipCount = Counter.builder("otaflow.bridge.status.unchanged").tag("kind", kind).register(metrics);
        this.failureCount = Counter.builder("otaflow.bridge.status.failures").tag("kind", kind).register(metrics);
    }

    public StatusWriter start() {
        loop.scheduleWithFixedDelay(this::flush, batch.toMillis(), batch.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public void mark(String key) {
        dirty.add(key);
    }

    /** The object is gone: forget what was written, so a new object of that name starts clean. */
    public void forget(String key) {
        written.remove(key);
        dirty.remove(key);
    }

    public long patchesSent() {
        return (long) patchCount.count();
    }

    /** True when no object waits for a write and none is being written. */
    public boolean idle() {
        return dirty.isEmpty() && pending.get() == 0;
    }

    private void flush() {
        List<Future<?>> sent = new ArrayList<>();
        for (Iterator<String> keys = dirty.iterator(); keys.hasNext(); ) {
            String key = keys.next();
            pending.incrementAndGet(); // before the key leaves dirty, so idle() never sees neither
            keys.remove();
            try {
                Write write = writeFor(key);
                if (write == null) {
                    pending.decrementAndGet();
                    continue;
                }
                throttle();
                inFlight.acquireUninterruptibly();
                sent.add(patches.submit(() -> {
                    try {
                        send(key, write);
                    } finally {
                        inFlight.release();
                        pending.decrementAndGet();
                    }
                }));
            } catch (RuntimeException e) {
                // One object's trouble (e.g. a status that cannot be computed) must not stall the others.
                log.warn("{}({}) status not written, will retry: {}", kind, key, e.toString());
                failureCount.increment();
                dirty.add(key);
                pending.decrementAndGet();
            }
        }
        for (Future<?> future : sent) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (java.util.concurrent.ExecutionException e) {
                log.warn("{} status patch failed: {}", kind, e.getCause().toString());
            }
        }
    }

    /** The write that brings the object to its desired status, or null when none is needed. */
    private Write writeFor(String key) {
        GenericKubernetesResource current = source.current(key);
        if (current == null) {
            written.remove(key);
            return null;
        }
        Map<String, Object> desiredMap = source.desired(key, current);
        JsonNode base = written.containsKey(key) ? written.get(key) : observed(current);
        if (desiredMap == null) {
            if (base == null || base.isNull() || (base.isObject() && base.isEmpty())) {
                return null;
            }
            // Nothing to say any more (e.g. the Configuration stopped naming firmware): take back what was said.
            if (mode == StatusMode.ANNOTATIONS) {
                ObjectNode patch = JsonNodeFactory.instance.objectNode();
                patch.putObject("metadata").putObject("annotations").putNull(StatusMode.ANNOTATION);
                return new Write(current, JsonNodeFactory.instance.objectNode(), patch, true);
            }
            ArrayNode operations = JsonNodeFactory.instance.arrayNode();
            operations.addObject().put("op", "remove").put("path", "/status");
            return new Write(current, JsonNodeFactory.instance.objectNode(), operations, false);
        }
        ObjectNode desired = (ObjectNode) canonical(desiredMap);
        if (mode == StatusMode.ANNOTATIONS) {
            if (desired.equals(base)) {
                skipCount.increment();
                return null;
            }
            ObjectNode annotations = JsonNodeFactory.instance.objectNode().put(StatusMode.ANNOTATION, desired.toString());
            ObjectNode patch = JsonNodeFactory.instance.objectNode();
            patch.putObject("metadata").set("annotations", annotations);
            return new Write(current, desired, patch, true);
        }
        ArrayNode operations = JsonNodeFactory.instance.arrayNode();
        if (base == null || !base.isObject()) {
            operations.addObject().put("op", "add").put("path", "/status").set("value", desired);
        } else {
            desired.fieldNames().forEachRemaining(field -> {
                if (!desired.get(field).equals(base.get(field))) {
                    operations.addObject().put("op", "add").put("path", "/status/" + field).set("value", desired.get(field));
                }
            });
            // Fields the status no longer has (e.g. a rollout's counts once its firmware became invalid) go.
            base.fieldNames().forEachRemaining(field -> {
                if (!desired.has(field)) {
                    operations.addObject().put("op", "remove").put("path", "/status/" + field);
                }
            });
        }
        if (operations.isEmpty()) {
            written.put(key, desired);
            skipCount.increment();
            return null;
        }
        return new Write(current, desired, operations, false);
    }

    /** The status an object has now, as plain maps, wherever {@code mode} keeps it; null when none. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> statusOf(GenericKubernetesResource resource, StatusMode mode) {
        if (mode == StatusMode.SUBRESOURCE) {
            Object status = resource.getAdditionalProperties().get("status");
            return status instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
        }
        Map<String, String> annotations = resource.getMetadata().getAnnotations();
        String text = annotations == null ? null : annotations.get(StatusMode.ANNOTATION);
        try {
            return text == null ? null : JSON.readValue(text, Map.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** The status the object has now, in the informer's copy. */
    private JsonNode observed(GenericKubernetesResource current) {
        if (mode == StatusMode.ANNOTATIONS) {
            Map<String, String> annotations = current.getMetadata().getAnnotations();
            String text = annotations == null ? null : annotations.get(StatusMode.ANNOTATION);
            try {
                return text == null ? null : JSON.readTree(text);
            } catch (IOException e) {
                return null; // someone wrote garbage there: overwrite it
            }
        }
        Object status = current.getAdditionalProperties().get("status");
        return status == null ? null : canonical(status);
    }

    private void send(String key, Write write) {
        // Through the informer's copy: fabric8 would otherwise GET the object before every patch.
        Resource<GenericKubernetesResource> resource = client.genericKubernetesResources(context)
                .inNamespace(write.object().getMetadata().getNamespace()).resource(write.object());
        try {
            if (write.annotations()) {
                resource.patch(PatchContext.of(PatchType.JSON_MERGE), write.patch().toString());
            } else {
                resource.subresource("status").patch(PatchContext.of(PatchType.JSON), write.patch().toString());
            }
            patchCount.increment();
            written.put(key, write.result());
        } catch (RuntimeException e) {
            failureCount.increment();
            if (!(e instanceof KubernetesClientException k)) {
                log.warn("{}({}) status patch failed, will retry: {}", kind, key, e.toString());
                dirty.add(key);
                return;
            }
            switch (k.getCode()) {
                case 404 -> written.remove(key); // deleted meanwhile; the informer will tell
                case 422, 409 -> {
                    // Our idea of its status was stale (e.g. the object was re-created): start from the informer's copy.
                    log.info("{}({}) status patch refused ({}), recomputing from the object", kind, key, k.getCode());
                    written.remove(key);
                    dirty.add(key);
                }
                default -> {
                    log.warn("{}({}) status patch failed, will retry: {}", kind, key, k.getMessage());
                    dirty.add(key);
                }
            }
        }
    }

    /** One write: the object as the informer has it, the status it leaves behind, the patch, and where it goes. */
    private record Write(GenericKubernetesResource object, JsonNode result, JsonNode patch, boolean annotations) {
    }

    /** Plain maps and the informer's parsed JSON compare equal only after one trip through JSON (ints vs longs). */
    private static JsonNode canonical(Object value) {
        try {
            return JSON.readTree(JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void throttle() {
        long now = System.nanoTime();
        long at = Math.max(now, nextPatchAt);
        nextPatchAt = at + nanosPerPatch;
        while (System.nanoTime() < at) {
            LockSupport.parkNanos(at - System.nanoTime());
        }
    }

    @Override
    public void close() {
        loop.shutdownNow();
        patches.shutdown(); // patches in flight finish; nothing new starts
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
            patches.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
