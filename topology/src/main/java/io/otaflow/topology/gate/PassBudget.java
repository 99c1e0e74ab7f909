package io.otaflow.topology.gate;

import java.time.Duration;

/**
 * How long one pass of the gate (a device update or a tick) may work before it stops and lets
 * Kafka Streams commit. Under exactly-once a pass runs inside one transaction, and Streams gives
 * a transaction 10 s by default: a pass that recounts or admits a million devices at once would
 * be aborted and fenced, retried from the same state, and never get through. Work left over
 * (a recount, admissions, due timers) goes on in the next pass.
 */
final class PassBudget {
    static final Duration DEFAULT = Duration.ofSeconds(2);

    private final long deadlineNanos;

    private PassBudget(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    static PassBudget starting(Duration budget) {
        return new PassBudget(System.nanoTime() + budget.toNanos());
    }

    boolean spent() {
        return System.nanoTime() - deadlineNanos >= 0;
    }
}
