package io.otaflow.topology.gate;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StorePagesTest {
    private KeyValueStore<String, String> store;

    @BeforeEach
    void store() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("pages"), Serdes.String(), Serdes.String())
                .withLoggingDisabled().build();
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
    }

    @Test
    void walksEveryKeyOfThePrefixAcrossPagesInOrderAndNoneOutsideIt() {
        int n = StorePages.PAGE * 2 + 7;
        for (int i = 0; i < n; i++) {
            store.put(String.format("a\u0000%05d", i), "v" + i);
        }
        store.put("b\u0000x", "other");
        store.put("a", "shorter");
        List<String> seen = new ArrayList<>();
        StorePages.forEachWithPrefix(store, "a\u0000", kv -> seen.add(kv.key));
        assertThat(seen).hasSize(n).isSorted().allMatch(k -> k.startsWith("a\u0000"));
    }

    @Test
    void theActionMayRewriteAndDeleteWhatItWalks() {
        for (int i = 0; i < StorePages.PAGE + 10; i++) {
            store.put(String.format("k%05d", i), "old");
        }
        int[] calls = {0};
        StorePages.forEach(store, "k", "k\uffff", kv -> {
            calls[0]++;
            if (calls[0] % 2 == 0) {
                store.delete(kv.key);
            } else {
                store.put(kv.key, "new");
            }
            return true;
        });
        assertThat(calls[0]).isEqualTo(StorePages.PAGE + 10);
        List<String> values = new ArrayList<>();
        try (var all = store.all()) {
            all.forEachRemaining(kv -> values.add(kv.value));
        }
        assertThat(values).hasSize((StorePages.PAGE + 10 + 1) / 2).containsOnly("new");
    }

    @Test
    void stopsAsSoonAsTheActionSaysSo() {
        for (int i = 0; i < StorePages.PAGE * 3; i++) {
            store.put(String.format("k%05d", i), "v");
        }
        int[] calls = {0};
        StorePages.forEach(store, "k", "k\uffff", kv -> ++calls[0] < StorePages.PAGE + 3);
        assertThat(calls[0]).isEqualTo(StorePages.PAGE + 3);
    }

    @Test
    void smallPagesStillWalkTheWholeRange() {
        for (int i = 0; i < 25; i++) {
            store.put(String.format("k%05d", i), "v");
        }
        List<String> seen = new ArrayList<>();
        StorePages.forEach(store, "k", "k\uffff", 3, kv -> seen.add(kv.key));
        assertThat(seen).hasSize(25).isSorted().doesNotHaveDuplicates();
    }

    @Test
    void anEmptyRangeCallsNothing() {
        StorePages.forEachWithPrefix(store, "none", kv -> {
            throw new AssertionError("called for " + kv.key);
        });
    }
}
