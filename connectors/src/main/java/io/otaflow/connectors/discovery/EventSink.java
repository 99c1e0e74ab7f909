package io.otaflow.connectors.discovery;

import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;

/** Where discovery's events go: Kafka in production, a list in tests. */
public interface EventSink extends AutoCloseable {
    void discovery(DiscoveryEvent event);

    void report(DeviceReport report);

    /** Input that could not be used, keyed by where it came from. */
    void deadLetter(String key, DeadLetter letter);

    /** Makes everything sent so far durable. */
    void flush();

    @Override
    void close();
}
