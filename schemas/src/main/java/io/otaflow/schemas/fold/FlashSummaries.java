package io.otaflow.schemas.fold;

import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.FlashSummary;

/**
 * How flash progress events fold into a device's {@link FlashSummary}: one rule, shared by the
 * topology (device state) and the akri-bridge (Instance status), so both tell the same story.
 * Late and duplicate events are harmless: a command's terminal result is final, an older
 * command's events never replace a newer command, and a late intermediate event is dropped.
 */
public final class FlashSummaries {
    private FlashSummaries() {
    }

    public static boolean terminal(FlashPhase phase) {
        return phase == FlashPhase.SUCCEEDED || phase == FlashPhase.FAILED || phase == FlashPhase.SKIPPED;
    }

    public static boolean inFlight(FlashSummary flash) {
        return flash != null && !terminal(flash.getPhase());
    }

    /** The summary after {@code progress}, or {@code current} itself when the event changes nothing. */
    public static FlashSummary fold(FlashSummary current, FlashProgress progress) {
        boolean sameCommand = current != null && current.getCommandId().equals(progress.getCommandId());
        if (sameCommand && terminal(current.getPhase())) {
            return current; // the command already ended: exactly one terminal result counts
        }
        if (current != null && !sameCommand && progress.getAt().isBefore(current.getStartedAt())) {
            return current; // an older command's late event
        }
        boolean terminal = progress.getTerminal() || terminal(progress.getPhase());
        if (sameCommand && progress.getAt().isBefore(current.getUpdatedAt()) && !terminal) {
            return current; // a late intermediate event
        }
        long generation = progress.getGeneration() != null ? progress.getGeneration()
                : current == null ? 0 : current.getGeneration();
        FlashSummary.Builder next = sameCommand ? FlashSummary.newBuilder(current) : FlashSummary.newBuilder()
                .setCommandId(progress.getCommandId()).setConfiguration(progress.getConfiguration())
                .setGeneration(generation).setAttempt(progress.getAttempt()).setRollback(progress.getRollback())
                .setStartedAt(progress.getAt())
                .setTarget(progress.getTarget() == null ? new FirmwareRef("", "") : progress.getTarget());
        next.setPhase(progress.getPhase()).setBytesWritten(progress.getBytesWritten())
                .setBytesTotal(progress.getBytesTotal()).setWorker(progress.getWorker()).setUpdatedAt(progress.getAt());
        if (progress.getError() != null) {
            next.setLastError(progress.getError());
        }
        if (terminal) {
            next.setFinishedAt(progress.getAt());
        }
        return next.build();
    }
}
