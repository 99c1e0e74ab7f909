package io.otaflow.topology;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * All RocksDB stores of the process share one block cache with the memtables counted against
 * it, so their memory is one number (otaflow.topology.rocksdb.memory.bytes) instead of growing
 * with stores × partitions: a container's memory limit can then hold the heap, RocksDB and the
 * rest. Index and filter blocks live in the cache too (Kafka Streams' bounded-memory recipe).
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {
    /** Streams config key carrying the bound (set by {@link TopologyApp} from the topology's config). */
    public static final String MEMORY_BYTES = "otaflow.rocksdb.memory.bytes";
    /** Share of the bound the memtables may take. */
    private static final double WRITE_BUFFER_SHARE = 0.25;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;

    private static synchronized void init(long bytes) {
        if (cache == null) {
            cache = new LRUCache(bytes, -1, false, 0.1);
            writeBuffers = new WriteBufferManager((long) (bytes * WRITE_BUFFER_SHARE), cache);
        }
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Object bound = configs.get(MEMORY_BYTES);
        if (bound == null) {
            return; // unbounded, RocksDB's defaults
        }
        init(Long.parseLong(bound.toString()));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBuffers);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write buffer manager are shared by every store: never closed per store.
    }
}
