package io.otaflow.flasher;

import io.otaflow.schemas.FlashErrorCode;

/** A flash that cannot go on, with its error code; whether it may be retried is decided by {@link ErrorClassifier}. */
public final class FlashFailure extends Exception {
    private final FlashErrorCode code;

    public FlashFailure(FlashErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public FlashFailure(FlashErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public FlashErrorCode code() {
        return code;
    }
}
