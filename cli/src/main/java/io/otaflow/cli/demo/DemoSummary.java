package io.otaflow.cli.demo;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * The figures of one demo run, as {@code --json-summary} writes them, and the verdict the exit
 * code reflects.
 *
 * @param devices            simulated devices
 * @param updated            devices running the target afterwards (read from the devices themselves)
 * @param locked             locked devices (held, never to be touched)
 * @param failed             unlocked devices not at the target afterwards
 * @param rolledBack         devices re-flashed with the previous image after failing verification
 * @param skipped            devices whose latest command the worker SKIPPED (nothing done: locked, already at the target)
 * @param duplicateCommands  flash commands that repeated a (device, generation, attempt, rollback) already commanded
 * @param wallSeconds        from the Configuration change to the end of the rollout
 * @param deviceBoundSeconds the least time the devices themselves need under the policy's max-in-flight
 * @param flashP50Seconds    median time from command to terminal event
 * @param flashP95Seconds    95th percentile of the same
 * @param deviceBootSeconds  how long a device's app takes from a reset to answering (network plus app start)
 * @param noBootVerdicts     flashes judged BOOT_FAILED (the new firmware never answered)
 * @param noBootVerdictMaxSeconds the longest of them from the boot request (GOGO) to the verdict; 0 if none
 * @param versionsBefore     devices per firmware before the update
 * @param versionsAfter      devices per firmware after it
 * @param failuresByCode     unlocked devices not at the target, by the error that explains them
 * @param unexplained        devices not at the target with no explanation (must be empty)
 * @param healthyMissed      healthy unlocked devices not at the target (must be empty)
 * @param lockedTouched      locked devices that got a command or were rebooted (must be empty)
 * @param operatorResumes    pauses the demo lifted as an operator would (a wave that missed its success threshold), and why
 * @param passed             the verdict: exit code 0 only if true
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DemoSummary(int devices, int updated, int locked, int failed, int rolledBack, int skipped, int duplicateCommands,
                          double wallSeconds, double deviceBoundSeconds, double flashP50Seconds, double flashP95Seconds,
                          double deviceBootSeconds, int noBootVerdicts, double noBootVerdictMaxSeconds,
                          String rolloutState, Map<String, Integer> versionsBefore, Map<String, Integer> versionsAfter,
                          Map<String, Integer> failuresByCode, List<String> unexplained, List<String> healthyMissed,
                          List<String> lockedTouched, List<String> operatorResumes, boolean passed) {
}
