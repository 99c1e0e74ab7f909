package io.otaflow.bridge.status;

/**
 * Where the bridge writes status: the {@code status} subresource that otaflow's CRDs add, or, on a
 * cluster running Akri's stock CRDs (no subresource, no status field), one annotation holding the
 * same JSON, {@code otaflow.io/status}.
 */
public enum StatusMode {
    SUBRESOURCE,
    ANNOTATIONS;

    public static final String ANNOTATION = "otaflow.io/status";
}
