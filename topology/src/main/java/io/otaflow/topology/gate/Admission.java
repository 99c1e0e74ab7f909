package io.otaflow.topology.gate;

import io.otaflow.schemas.ExponentialRate;
import io.otaflow.schemas.RolloutPolicy;

import java.util.List;

/**
 * How many commands a rollout may issue now, per lane: the priority lane has its own slots; retries
 * and first attempts share max-in-flight, first attempts also bounded by the open wave's target;
 * all of them by the issue rate (fixed, or exponential in the successes so far).
 */
public final class Admission {
    private Admission() {
    }

    public record Slots(int priority, int main, int firstInWave, int rate) {
        public static final Slots NONE = new Slots(0, 0, 0, 0);
    }

    /**
     * @param inFlight         devices in flight (every lane)
     * @param priorityInFlight of those, admitted through the priority lane
     * @param waveTarget       cumulative target of the open wave
     * @param admittedFirst    devices given a first command so far
     * @param recentIssues     commands issued in the last minute (kept only while a rate applies)
     */
    public static Slots slots(RolloutPolicy policy, int inFlight, int priorityInFlight, int waveTarget, int admittedFirst,
                              int succeeded, int recentIssues) {
        int priority = policy.getPriorityLane() == null ? 0 : Math.max(0, policy.getPriorityLane().getMaxInFlight() - priorityInFlight);
        int main = Math.max(0, policy.getMaxInFlight() - (inFlight - priorityInFlight));
        int wave = Math.max(0, waveTarget - admittedFirst);
        Integer limit = ratePerMinute(policy, succeeded);
        int rate = limit == null ? Integer.MAX_VALUE : Math.max(0, limit - recentIssues);
        return new Slots(priority, main, wave, rate);
    }

    /** Commands allowed per minute now, or null for no limit. */
    public static Integer ratePerMinute(RolloutPolicy policy, int succeeded) {
        Integer limit = policy.getRatePerMinute();
        ExponentialRate exp = policy.getExponentialRate();
        if (exp != null) {
            int every = exp.getRateIncreaseCriteria().getNumberOfSucceeded();
            int steps = every <= 0 ? 0 : succeeded / every;
            double rate = exp.getBaseRatePerMinute() * Math.pow(exp.getIncrementFactor(), steps);
            int exponential = (int) Math.min(Integer.MAX_VALUE, Math.floor(rate));
            limit = limit == null ? exponential : Math.min(limit, exponential);
        }
        return limit;
    }

    /** The issue times still within the last minute. */
    public static List<Long> withinMinute(List<Long> issues, long now) {
        return issues.stream().filter(at -> at > now - 60_000).toList();
    }
}
