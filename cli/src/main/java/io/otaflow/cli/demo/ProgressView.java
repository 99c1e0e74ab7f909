package io.otaflow.cli.demo;

import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.RolloutCounts;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.fold.FlashSummaries;

import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Live progress of a demo run. On a terminal the block redraws in place about four times a
 * second (ANSI cursor movement); otherwise (a pipe, a CI log) it prints a line when something
 * changed, at most every five seconds, so logs stay readable.
 */
public final class ProgressView {
    private static final List<FlashPhase> PHASES = List.of(FlashPhase.ACCEPTED, FlashPhase.FETCHING, FlashPhase.REBOOTING,
            FlashPhase.AWAITING_BOOTLOADER, FlashPhase.ERASING, FlashPhase.WRITING, FlashPhase.SEALING, FlashPhase.BOOTING,
            FlashPhase.VERIFYING);
    private final PrintWriter out;
    private final boolean live;
    private int drawnLines;
    private long lastPrint;
    private String lastLine = "";

    public ProgressView(PrintWriter out, boolean live) {
        this.out = out;
        this.live = live;
    }

    void phase(String text) {
        finishBlock();
        out.println("▶ " + text);
        out.flush();
    }

    void discovery(int known, int expected, RolloutStatus status) {
        String line = "  discovered " + bar(known, expected, 30) + " " + known + "/" + expected
                + (status == null ? "" : "   rollout " + status.getState() + " (" + status.getCounts().getUpToDate() + " up to date)");
        draw(List.of(line));
    }

    void rollout(RolloutStatus status, FleetWatch watch, double seconds) {
        RolloutCounts c = status.getCounts();
        Map<FlashPhase, Integer> phases = new EnumMap<>(FlashPhase.class);
        long bytes = 0;
        long total = 0;
        for (DeviceState state : watch.devices.values()) {
            if (state.getCurrentFlash() != null && FlashSummaries.inFlight(state.getCurrentFlash())
                    && status.getConfiguration().equals(state.getConfiguration())) {
                phases.merge(state.getCurrentFlash().getPhase(), 1, Integer::sum);
                bytes += state.getCurrentFlash().getBytesWritten();
                total += state.getCurrentFlash().getBytesTotal();
            }
        }
        int targeted = Math.max(1, c.getTotal() - c.getLocked() - c.getTypeMismatch() - c.getDowngradeRefused());
        int updated = c.getUpToDate();
        StringBuilder phaseLine = new StringBuilder("  phases   ");
        for (FlashPhase phase : PHASES) {
            int n = phases.getOrDefault(phase, 0);
            if (n > 0) {
                phaseLine.append(phase.name().toLowerCase().replace('_', ' ')).append(' ').append(n).append("  ");
            }
        }
        if (total > 0) {
            phaseLine.append("written ").append(bar(bytes, total, 20)).append(' ').append(bytes * 100 / total).append('%');
        }
        if (phases.isEmpty()) {
            phaseLine.append("(nothing in flight)");
        }
        String waves = "  waves    " + bar(status.getWave() + (status.getState().name().equals("COMPLETED") ? 1 : 0), status.getWaveCount(), 20)
                + " wave " + Math.min(status.getWave() + 1, status.getWaveCount()) + "/" + status.getWaveCount() + "   " + status.getState()
                + (status.getReason() == null ? "" : " (" + status.getReason() + ")") + waveProgress(status);
        String counts = "  updated  " + bar(updated, targeted, 30) + " " + updated + "/" + targeted
                + "   in flight " + c.getInFlight() + "   held (locked) " + c.getLocked() + "   failed " + c.getFailed()
                + "   skipped " + c.getSkipped() + (c.getBlocked() > 0 ? "   blocked " + c.getBlocked() : "")
                + "   rolled back " + c.getRolledBack() + "   offline " + c.getOffline();
        draw(List.of(String.format("  %5.1f s   generation %d: %s %s", seconds, status.getGeneration(),
                status.getTarget().getFirmwareType(), status.getTarget().getFirmwareVersion()), waves, phaseLine.toString(), counts));
    }

    /** Each wave's admitted devices, done and still running: overlapping waves show as two with devices running. */
    static String waveProgress(RolloutStatus status) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < status.getWaves().size(); i++) {
            io.otaflow.schemas.WaveProgress w = status.getWaves().get(i);
            int running = w.getAdmitted() - w.getSucceeded() - w.getFailed() - w.getSkipped();
            line.append(i == 0 ? "   " : "  ").append('w').append(i + 1).append(' ').append(w.getSucceeded()).append('/').append(w.getAdmitted())
                    .append(running > 0 ? " (" + running + " running)" : "");
        }
        return line.toString();
    }

    private void draw(List<String> lines) {
        String joined = String.join("\n", lines);
        if (live) {
            if (drawnLines > 0) {
                out.print("\u001b[" + drawnLines + "F");
            }
            for (String line : lines) {
                out.print("\u001b[2K" + line + "\n");
            }
            drawnLines = lines.size();
            out.flush();
        } else if (!joined.equals(lastLine) && System.nanoTime() - lastPrint > 5_000_000_000L) {
            lines.forEach(out::println);
            out.flush();
            lastLine = joined;
            lastPrint = System.nanoTime();
        }
    }

    void finishBlock() {
        drawnLines = 0;
        lastLine = "";
        lastPrint = 0;
    }

    static String bar(long done, long total, int width) {
        int filled = total <= 0 ? 0 : (int) Math.min(width, done * width / total);
        return "[" + "█".repeat(filled) + "·".repeat(width - filled) + "]";
    }
}
