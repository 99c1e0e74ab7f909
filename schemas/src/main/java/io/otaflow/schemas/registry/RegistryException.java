package io.otaflow.schemas.registry;

/**
 * An error answered by a Confluent-compatible schema registry, with its HTTP status and the
 * registry's own error code (e.g. 40401 subject not found, 42201 invalid schema, 409 incompatible).
 */
public class RegistryException extends RuntimeException {
    /** Confluent error codes that otaflow's client and server both use. */
    public static final int SUBJECT_NOT_FOUND = 40401;
    public static final int VERSION_NOT_FOUND = 40402;
    public static final int SCHEMA_NOT_FOUND = 40403;
    public static final int SUBJECT_CONFIG_NOT_FOUND = 40408;
    public static final int INCOMPATIBLE_SCHEMA = 409;
    public static final int INVALID_SCHEMA = 42201;
    public static final int INVALID_VERSION = 42202;
    public static final int INVALID_COMPATIBILITY_LEVEL = 42203;
    public static final int STORE_ERROR = 50001;
    public static final int UNREACHABLE = -1;

    private final int httpStatus;
    private final int errorCode;

    public RegistryException(int httpStatus, int errorCode, String message) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public RegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }

    @Override
    public String toString() {
        return "RegistryException{http=" + httpStatus + ", error_code=" + errorCode + ", message=" + getMessage() + "}";
    }
}
