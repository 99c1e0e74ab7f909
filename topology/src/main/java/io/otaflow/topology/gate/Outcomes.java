package io.otaflow.topology.gate;

import io.otaflow.schemas.gate.AttemptOutcome;

/** How an attempt's outcome is judged by waves and thresholds. */
final class Outcomes {
    enum Judged { PENDING, SUCCEEDED, FAILED, SKIPPED }

    private Outcomes() {
    }

    static Judged judged(AttemptOutcome outcome) {
        return switch (outcome) {
            case SUCCEEDED -> Judged.SUCCEEDED;
            case FAILED, EXPIRED, ROLLING_BACK, ROLLED_BACK -> Judged.FAILED;
            case SKIPPED -> Judged.SKIPPED;
            default -> Judged.PENDING;
        };
    }
}
