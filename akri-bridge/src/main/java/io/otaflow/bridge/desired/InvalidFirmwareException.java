package io.otaflow.bridge.desired;

/**
 * A Configuration names firmware but says it wrongly. {@code reason} is the CamelCase reason of
 * its {@code FirmwareValid=False} condition, the message says what to fix.
 */
public final class InvalidFirmwareException extends Exception {
    private final String reason;
    private final boolean retryable;

    public InvalidFirmwareException(String reason, String message) {
        this(reason, message, false, null);
    }

    /** {@code retryable}: the Configuration may be right and the image source down; try again later. */
    public InvalidFirmwareException(String reason, String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }

    public String reason() {
        return reason;
    }
}
