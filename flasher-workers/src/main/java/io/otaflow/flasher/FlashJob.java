package io.otaflow.flasher;

import io.otaflow.picowota.FlashInfo;
import io.otaflow.picowota.PicowotaClient;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One flash command, start to end, as the paper's firmware-update Job and serial-flash do it,
 * with checks at both ends: verify the image; re-read the device (a device that turned locked,
 * or is already at the target, is skipped, not flashed); reboot it into its bootloader and wait
 * until picowota answers; flash it (serial-flash's sequence); let it boot; verify from the device
 * itself that it runs the target. A device found waiting in its bootloader is flashed again
 * (resume). Retryable errors are retried until the command's deadline. Every run ends in exactly
 * one terminal progress event, which it also returns.
 */
public final class FlashJob {
    private static final Logger log = LoggerFactory.getLogger(FlashJob.class);
    /** Answers in a row that make "back in its bootloader" a verdict while waiting for the new app. */
    static final int BOOTLOADER_ANSWERS = 2;
    static final Duration BOOTLOADER_PROBE_INTERVAL = Duration.ofSeconds(1);
    static final Duration APP_PROBE_INTERVAL = Duration.ofSeconds(1);
    private static final Duration APP_PROBE_TIMEOUT = Duration.ofSeconds(1);
    /** One quick SYNC: the probe must not hold the wait up when nothing listens. */
    private static final PicowotaClient.Options BOOTLOADER_PROBE = new PicowotaClient.Options(Duration.ofSeconds(1), Duration.ZERO, 1,
            Duration.ofSeconds(2));

    /**
     * @param rebootTimeout     how long the bootloader may take to answer after a reboot request
     * @param bootTimeout       how long the new app may take to answer after GOGO
     * @param requestTimeout    one HTTP request to the app
     * @param retryBackoff      pause before retrying a retryable failure
     * @param postConnectPause  pause after connecting to picowota (serial-flash: 1 s for real devices)
     * @param rebootIgnoredAfter an app that answered at every probe for this long after the reboot
     *                          request never went down: REBOOT_IGNORED then, not after the reboot timeout
     */
    public record Settings(Duration rebootTimeout, Duration bootTimeout, Duration requestTimeout, Duration retryBackoff,
                           Duration postConnectPause, String deviceAuthorization, Duration rebootIgnoredAfter) {
        public static final Settings DEFAULTS = new Settings(Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(5),
                Duration.ofSeconds(2), Duration.ofSeconds(1), null, Duration.ofSeconds(10));

        public Settings withTimeouts(Duration reboot, Duration boot) {
            return new Settings(reboot, boot, requestTimeout, retryBackoff, postConnectPause, deviceAuthorization, rebootIgnoredAfter);
        }

        public Settings withPostConnectPause(Duration pause) {
            return new Settings(rebootTimeout, bootTimeout, requestTimeout, retryBackoff, pause, deviceAuthorization, rebootIgnoredAfter);
        }

        public Settings withRetryBackoff(Duration backoff) {
            return new Settings(rebootTimeout, bootTimeout, requestTimeout, backoff, postConnectPause, deviceAuthorization, rebootIgnoredAfter);
        }

        public Settings withRebootIgnoredAfter(Duration after) {
            return new Settings(rebootTimeout, bootTimeout, requestTimeout, retryBackoff, postConnectPause, deviceAuthorization, after);
        }
    }

    private final ArtifactStore artifacts;
    private final Settings settings;
    private final String worker;
    private final Clock clock;
    private final DeviceApp app;
    private volatile GenerationView generations = configuration -> Supersession.Known.NOTHING;
    private volatile FlashInfo expectedWindow = FlashInfo.PICO_W;
    private volatile TimeoutProfiles timeouts;

    /** What is known of each Configuration's desired firmware (its epoch and generation, and whether it was withdrawn). */
    @FunctionalInterface
    public interface GenerationView {
        Supersession.Known desired(String configuration);
    }

    /** Commands of an older generation than the desired one stop before touching the device (or before a retry). */
    public FlashJob withGenerations(GenerationView view) {
        this.generations = view;
        return this;
    }

    /** The flash window devices are expected to report (a stock Pico W by default); images are checked against it before a reboot. */
    public FlashJob withExpectedWindow(FlashInfo window) {
        this.expectedWindow = window;
        return this;
    }

    /** Reboot and boot timeouts per firmware type; types not named keep the settings' timeouts. */
    public FlashJob withTimeoutProfiles(List<String> entries) {
        this.timeouts = timeouts.withEntries(entries);
        return this;
    }

    private boolean superseded(FlashCommand command) {
        return Supersession.superseded(command, generations.desired(command.getConfiguration()));
    }

    public FlashJob(ArtifactStore artifacts, Settings settings, String worker, HttpClient http, Clock clock) {
        this.artifacts = artifacts;
        this.settings = settings;
        this.worker = worker;
        this.clock = clock;
        this.app = new DeviceApp(http, settings.deviceAuthorization());
        this.timeouts = TimeoutProfiles.of(settings.rebootTimeout(), settings.bootTimeout());
    }

    /**
     * Runs the command; the returned event is the terminal one, already sent to the sink. Returns
     * null, with no terminal event, when interrupted (the worker is stopping or lost the command's
     * partition): the command is then redelivered and its new owner sends the one terminal event.
     */
    public FlashProgress run(FlashCommand command, ProgressSink sink) {
        Reporter report = new Reporter(command, sink);
        report.phase(FlashPhase.ACCEPTED, 0, 0);
        ArtifactStore.VerifiedImage image;
        try {
            report.phase(FlashPhase.FETCHING, 0, 0);
            image = artifacts.fetch(command.getImage(), command.getTo());
            Preflight.check(image, expectedWindow);
        } catch (FlashFailure e) {
            return report.failed(e.code(), e.getMessage(), FlashPhase.FETCHING);
        }
        DeviceAddresses addresses;
        try {
            addresses = DeviceAddresses.of(command);
        } catch (FlashFailure e) {
            return report.failed(e.code(), e.getMessage(), FlashPhase.ACCEPTED);
        }
        FlashErrorCode lastCode = FlashErrorCode.DEADLINE_EXCEEDED;
        String lastMessage = "deadline passed before the first attempt";
        FlashPhase lastPhase = FlashPhase.ACCEPTED;
        Attempt attempt = null;
        try {
            while (clock.instant().isBefore(command.getDeadline())) {
                if (superseded(command)) {
                    return leaveAsFound(attempt, report, FlashErrorCode.SUPERSEDED, "generation " + command.getGeneration()
                            + " was superseded (or its rollout stopped) before this attempt", lastPhase);
                }
                attempt = new Attempt(command, addresses, image, report);
                try {
                    return attempt.run();
                } catch (FlashFailure e) {
                    lastCode = e.code();
                    lastMessage = e.getMessage();
                    lastPhase = attempt.phase;
                } catch (IOException e) {
                    lastCode = ErrorClassifier.classify(e, attempt.step);
                    lastMessage = e.toString();
                    lastPhase = attempt.phase;
                }
                if (!ErrorClassifier.retryable(lastCode)) {
                    return leaveAsFound(attempt, report, lastCode, lastMessage, lastPhase);
                }
                log.info("device {} command {}: {} ({}); retrying within the deadline", command.getDeviceId(), command.getCommandId(),
                        lastCode, lastMessage);
                Thread.sleep(settings.retryBackoff());
            }
            return leaveAsFound(attempt, report, lastCode, "deadline " + command.getDeadline() + " passed; last error: " + lastMessage,
                    lastPhase);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * The terminal failure, after leaving the device as it was found where that can be done. A
     * device the last attempt left in its bootloader before anything was erased still holds its
     * old app and header: it is booted back and must answer. A device whose app was erased, or
     * whose new image did not boot, stays in its bootloader for a retry or the gate's rollback;
     * the event says so ({@code error.inBootloader}) and the log names it.
     */
    private FlashProgress leaveAsFound(Attempt attempt, Reporter report, FlashErrorCode code, String message, FlashPhase phase)
            throws InterruptedException {
        if (attempt == null || !attempt.inBootloader) {
            return report.failed(code, message, phase, false);
        }
        String left;
        if (code == FlashErrorCode.BOOT_FAILED) {
            left = null; // the message says it already
        } else if (attempt.erased) {
            left = "its app was erased";
        } else {
            Restored restored = bootStoredApp(attempt.addresses, clock.instant().plus(attempt.timeouts.boot()));
            if (restored.app() != null) {
                return report.failed(code, message + "; the device is back on its old app (" + restored.app().firmwareType() + " "
                        + restored.app().firmwareVersion() + ")", phase, false);
            }
            left = "its old app could not be booted back: " + restored.why();
        }
        log.warn("device {} command {}: left in its bootloader ({}); it needs a retry or a rollback", attempt.command.getDeviceId(),
                attempt.command.getCommandId(), left == null ? message : left);
        return report.failed(code, left == null ? message : message + "; the device waits in its bootloader (" + left + ")", phase, true);
    }

    /** What booting a device's stored app came to: the app's metadata once it answered, or why it did not. */
    private record Restored(DeviceApp.Metadata app, String why) {
    }

    /**
     * Boots the app a device waiting in its bootloader holds, if the bootloader's own check passes
     * (picowota would boot it at reset), and waits for it to answer until {@code until}.
     */
    private Restored bootStoredApp(DeviceAddresses addresses, Instant until) throws InterruptedException {
        try (PicowotaClient client = PicowotaClient.connect(addresses.ota(), BOOTLOADER_PROBE.withPostConnectPause(settings.postConnectPause()))) {
            client.go(client.bootableImage(client.info()).vtor());
        } catch (IOException e) {
            return new Restored(null, e.getMessage());
        }
        try {
            return new Restored(awaitApp(addresses, until), null);
        } catch (FlashFailure e) {
            return new Restored(null, e.getMessage());
        }
    }

    /** One try of the device-side sequence. */
    private final class Attempt {
        final FlashCommand command;
        final DeviceAddresses addresses;
        final ArtifactStore.VerifiedImage image;
        final Reporter report;
        final TimeoutProfiles.Timeouts timeouts;
        FlashPhase phase = FlashPhase.ACCEPTED;
        ErrorClassifier.Step step = ErrorClassifier.Step.APP;
        /** The worker last saw the device in its bootloader, its app not running. */
        boolean inBootloader;
        /** The app window was (being) erased: the old app is gone. */
        boolean erased;

        Attempt(FlashCommand command, DeviceAddresses addresses, ArtifactStore.VerifiedImage image, Reporter report) {
            this.command = command;
            this.addresses = addresses;
            this.image = image;
            this.report = report;
            this.timeouts = FlashJob.this.timeouts.forType(command.getTo().getFirmwareType());
        }

        FlashProgress run() throws IOException, InterruptedException, FlashFailure {
            InetSocketAddress ota = addresses.ota();
            DeviceApp.Metadata before = null;
            try {
                before = app.metadata(addresses.app(), settings.requestTimeout());
            } catch (IOException e) {
                // The app does not answer: maybe it sits in its bootloader (a previous try or worker left it there).
                // If the app it holds would boot, boot it: its lock and version are read before anything is written.
                // If none would, flashing is the only way to give it an app again. A rollback skips this: it follows
                // an image of this rollout that failed on this device, which is what the device holds now.
                if (!command.getRollback() && bootloaderAnswers(ota)) {
                    inBootloader = true;
                    before = bootStoredApp(addresses, min(clock.instant().plus(timeouts.boot()), command.getDeadline())).app();
                    inBootloader = before == null;
                }
            }
            if (before != null) {
                if (before.locked()) {
                    return report.skipped(FlashErrorCode.DEVICE_LOCKED, "the device is locked");
                }
                FirmwareRef target = command.getTo();
                if (before.firmwareType().equals(target.getFirmwareType()) && before.firmwareVersion().equals(target.getFirmwareVersion())) {
                    return report.skipped(FlashErrorCode.ALREADY_AT_TARGET, "the device already runs " + target.getFirmwareVersion());
                }
                if (!before.firmwareType().equals(target.getFirmwareType()) && !command.getAllowRepurpose() && !command.getRollback()) {
                    return report.skipped(FlashErrorCode.TYPE_MISMATCH, "the device runs '" + before.firmwareType() + "', not '"
                            + target.getFirmwareType() + "'");
                }
                if (DowngradeGuard.refuses(command, before.firmwareType(), before.firmwareVersion())) {
                    return report.skipped(FlashErrorCode.DOWNGRADE_REFUSED, "the device runs " + before.firmwareVersion()
                            + ", newer than the target " + target.getFirmwareVersion() + ", and the command allows no downgrade");
                }
                phase = FlashPhase.REBOOTING;
                report.phase(phase, 0, image.bytes().length);
                app.rebootToBootloader(addresses.app(), settings.requestTimeout());
            }
            phase = FlashPhase.AWAITING_BOOTLOADER;
            step = ErrorClassifier.Step.BOOTLOADER;
            report.phase(phase, 0, image.bytes().length);
            PicowotaClient client = awaitBootloader(ota, before != null);
            inBootloader = true;
            try (client) {
                step = ErrorClassifier.Step.WRITE;
                int total = image.bytes().length;
                int[] lastTenth = {-1};
                client.flash(image.bytes(), image.address(), new PicowotaClient.Progress() {
                    @Override
                    public void phase(String name) {
                        switch (name) {
                            case "ERASING" -> {
                                erased = true;
                                report.phase(phase = FlashPhase.ERASING, 0, total);
                            }
                            case "WRITING" -> report.phase(phase = FlashPhase.WRITING, 0, total);
                            case "SEALING" -> {
                                step = ErrorClassifier.Step.SEAL;
                                report.phase(phase = FlashPhase.SEALING, total, total);
                            }
                            case "BOOTING" -> report.phase(phase = FlashPhase.BOOTING, total, total);
                            default -> {
                            }
                        }
                    }

                    @Override
                    public void bytesWritten(long written, long all) {
                        int tenth = (int) (written * 10 / all);
                        if (tenth != lastTenth[0] && tenth < 10) {
                            lastTenth[0] = tenth;
                            report.phase(FlashPhase.WRITING, written, all);
                        }
                    }
                });
            }
            phase = FlashPhase.VERIFYING;
            step = ErrorClassifier.Step.APP;
            report.phase(phase, image.bytes().length, image.bytes().length);
            DeviceApp.Metadata after;
            try {
                after = awaitApp(addresses, min(clock.instant().plus(timeouts.boot()), command.getDeadline()));
            } catch (FlashFailure e) {
                inBootloader = e.code() == FlashErrorCode.BOOT_FAILED;
                throw e;
            }
            inBootloader = false;
            FirmwareRef target = command.getTo();
            if (!after.firmwareType().equals(target.getFirmwareType()) || !after.firmwareVersion().equals(target.getFirmwareVersion())) {
                throw new FlashFailure(FlashErrorCode.VERIFY_MISMATCH, "the device came back running " + after.firmwareType() + " "
                        + after.firmwareVersion() + ", not " + target.getFirmwareType() + " " + target.getFirmwareVersion());
            }
            return report.succeeded(new FirmwareRef(after.firmwareType(), after.firmwareVersion()), image.bytes().length);
        }

        /**
         * Waits for picowota after a reboot request (or, not rebooted, for a device that may come
         * back). While it waits, the app is probed once a second: an app that answered every probe
         * for {@code rebootIgnoredAfter} never went down, and the reboot was ignored. A reboot,
         * however slow, takes the app down first.
         */
        private PicowotaClient awaitBootloader(InetSocketAddress ota, boolean rebooted) throws IOException, InterruptedException, FlashFailure {
            Instant requested = clock.instant();
            Instant until = min(requested.plus(timeouts.reboot()), command.getDeadline());
            PicowotaClient.Options options = PicowotaClient.Options.SERIAL_FLASH.withPostConnectPause(settings.postConnectPause());
            IOException last = null;
            boolean appWentDown = false;
            Instant nextAppProbe = requested.plus(APP_PROBE_INTERVAL);
            while (clock.instant().isBefore(until)) {
                try {
                    return PicowotaClient.connect(ota, options);
                } catch (IOException e) {
                    last = e;
                }
                if (rebooted && !appWentDown && !clock.instant().isBefore(nextAppProbe)) {
                    appWentDown = !appAnswersAt(addresses);
                    Duration up = Duration.between(requested, clock.instant());
                    if (!appWentDown && up.compareTo(settings.rebootIgnoredAfter()) >= 0) {
                        throw new FlashFailure(FlashErrorCode.REBOOT_IGNORED, "the app answered every probe for " + up.toSeconds()
                                + " s after the reboot request and never went down; the bootloader never answered");
                    }
                    nextAppProbe = clock.instant().plus(APP_PROBE_INTERVAL);
                }
                Thread.sleep(100);
            }
            if (rebooted) {
                try {
                    app.metadata(addresses.app(), settings.requestTimeout());
                    throw new FlashFailure(FlashErrorCode.REBOOT_IGNORED, "the app still answers "
                            + Duration.between(requested, clock.instant()).toSeconds() + " s after the reboot request; the bootloader never did");
                } catch (IOException ignored) {
                    // neither app nor bootloader answers
                }
            }
            throw new FlashFailure(rebooted ? FlashErrorCode.BOOTLOADER_TIMEOUT : FlashErrorCode.DEVICE_UNREACHABLE,
                    "neither the app nor the bootloader at " + ota + " answered" + (last == null ? "" : ": " + last.getMessage()));
        }

    }

    /**
     * Waits for an app that was just booted (GOGO). picowota never clears its magic, so an image that
     * crashes at start lands the device back in its bootloader (the protocol notes): once the
     * bootloader answers SYNC {@link #BOOTLOADER_ANSWERS} times in a row, probed a second apart
     * from a second after GOGO, that is the verdict, not the whole boot timeout. A booting app
     * never listens on the OTA port, so a healthy device cannot look like this.
     */
    private DeviceApp.Metadata awaitApp(DeviceAddresses addresses, Instant until) throws InterruptedException, FlashFailure {
        InetSocketAddress ota = addresses.ota();
        Instant nextProbe = clock.instant().plus(BOOTLOADER_PROBE_INTERVAL);
        int bootloaderAnswers = 0;
        while (clock.instant().isBefore(until)) {
            try {
                return app.metadata(addresses.app(), settings.requestTimeout());
            } catch (IOException e) {
                if (!clock.instant().isBefore(nextProbe)) {
                    bootloaderAnswers = bootloaderAnswers(ota) ? bootloaderAnswers + 1 : 0;
                    if (bootloaderAnswers >= BOOTLOADER_ANSWERS) {
                        throw new FlashFailure(FlashErrorCode.BOOT_FAILED,
                                "the new image did not boot: the device came back in its bootloader");
                    }
                    nextProbe = clock.instant().plus(BOOTLOADER_PROBE_INTERVAL);
                }
                Thread.sleep(100);
            }
        }
        // The app never came back: a device waiting in its bootloader did not boot the image.
        try (PicowotaClient ignored = PicowotaClient.connect(ota, PicowotaClient.Options.SERIAL_FLASH
                .withPostConnectPause(settings.postConnectPause()))) {
            throw new FlashFailure(FlashErrorCode.BOOT_FAILED, "the new image did not boot: the device is back in its bootloader");
        } catch (IOException e) {
            throw new FlashFailure(FlashErrorCode.DEVICE_UNREACHABLE, "the device did not come back after the flash");
        }
    }

    /** True when the app answers its metadata at once (a short probe, not a request that may wait). */
    private boolean appAnswersAt(DeviceAddresses addresses) throws InterruptedException {
        try {
            app.metadata(addresses.app(), APP_PROBE_TIMEOUT);
            return true;
        } catch (IOException | FlashFailure e) {
            return false;
        }
    }

    /** True when picowota answers SYNC at the OTA address: the device sits in its bootloader. */
    private boolean bootloaderAnswers(InetSocketAddress ota) {
        try (PicowotaClient ignored = PicowotaClient.connect(ota, BOOTLOADER_PROBE.withPostConnectPause(settings.postConnectPause()))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static Instant min(Instant a, Instant b) {
        return a.isBefore(b) ? a : b;
    }

    /** Builds and sends progress events for one command. */
    private final class Reporter {
        private final FlashCommand command;
        private final ProgressSink sink;

        Reporter(FlashCommand command, ProgressSink sink) {
            this.command = command;
            this.sink = sink;
        }

        private FlashProgress.Builder base(FlashPhase phase) {
            return FlashProgress.newBuilder().setCommandId(command.getCommandId()).setDeviceId(command.getDeviceId())
                    .setConfiguration(command.getConfiguration()).setGeneration(command.getGeneration())
                    .setAttempt(command.getAttempt()).setTarget(command.getTo()).setRollback(command.getRollback())
                    .setPhase(phase).setWorker(worker).setAt(clock.instant());
        }

        void phase(FlashPhase phase, long written, long total) {
            sink.progress(base(phase).setBytesWritten(written).setBytesTotal(total).build());
        }

        FlashProgress succeeded(FirmwareRef observed, long total) {
            FlashProgress done = base(FlashPhase.SUCCEEDED).setObservedFirmware(observed).setBytesWritten(total).setBytesTotal(total)
                    .setTerminal(true).build();
            sink.progress(done);
            log.info("device {} command {}: now runs {} {}", command.getDeviceId(), command.getCommandId(),
                    observed.getFirmwareType(), observed.getFirmwareVersion());
            return done;
        }

        FlashProgress skipped(FlashErrorCode code, String reason) {
            FlashProgress done = base(FlashPhase.SKIPPED).setSkipReason(reason)
                    .setError(FlashError.newBuilder().setCode(code).setMessage(reason).setRetryable(false).build())
                    .setTerminal(true).build();
            sink.progress(done);
            log.info("device {} command {}: skipped ({})", command.getDeviceId(), command.getCommandId(), reason);
            return done;
        }

        FlashProgress failed(FlashErrorCode code, String message, FlashPhase during) {
            return failed(code, message, during, false);
        }

        FlashProgress failed(FlashErrorCode code, String message, FlashPhase during, boolean inBootloader) {
            FlashProgress done = base(FlashPhase.FAILED).setError(FlashError.newBuilder().setCode(code).setMessage(message)
                    .setRetryable(ErrorClassifier.retryable(code)).setPhase(during).setInBootloader(inBootloader).build())
                    .setTerminal(true).build();
            sink.progress(done);
            log.info("device {} command {}: failed {} ({})", command.getDeviceId(), command.getCommandId(), code, message);
            return done;
        }
    }
}
