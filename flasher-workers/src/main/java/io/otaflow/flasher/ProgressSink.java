package io.otaflow.flasher;

import io.otaflow.schemas.FlashProgress;

/** Where a flash reports its phases: the flash progress topic, or a list in tests. */
@FunctionalInterface
public interface ProgressSink {
    void progress(FlashProgress progress);
}
