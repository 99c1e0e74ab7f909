package io.otaflow.topology.gate;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A key range of a store read one page at a time. A rollout's recount or its first tick with no
 * limits walks a million devices; holding them all in a list took more than a 2 GiB heap. A page
 * is read, its iterator closed, then acted on, so the action may write to the same store.
 */
final class StorePages {
    static final int PAGE = 1_000;

    private StorePages() {
    }

    /**
     * Calls the action on each entry with a key from {@code from} to {@code to} (both inclusive), in
     * key order, until the action returns false or the range ends.
     */
    static <V> void forEach(KeyValueStore<String, V> store, String from, String to, Predicate<KeyValue<String, V>> action) {
        forEach(store, from, to, PAGE, action);
    }

    /** {@link #forEach} reading at most {@code pageSize} entries at a time: a caller that wants one entry reads one. */
    static <V> void forEach(KeyValueStore<String, V> store, String from, String to, int pageSize, Predicate<KeyValue<String, V>> action) {
        int size = Math.max(1, Math.min(pageSize, PAGE));
        String next = from;
        while (true) {
            List<KeyValue<String, V>> page = new ArrayList<>(size);
            try (KeyValueIterator<String, V> range = store.range(next, to)) {
                while (range.hasNext() && page.size() < size) {
                    page.add(range.next());
                }
            }
            for (KeyValue<String, V> entry : page) {
                if (!action.test(entry)) {
                    return;
                }
            }
            if (page.size() < size) {
                return;
            }
            next = page.getLast().key + '\u0000'; // the smallest key after the page's last
        }
    }

    /** {@link #forEach} over every key that starts with the prefix. */
    static <V> void forEachWithPrefix(KeyValueStore<String, V> store, String prefix, Predicate<KeyValue<String, V>> action) {
        forEach(store, prefix, prefix + '\uffff', action);
    }
}
