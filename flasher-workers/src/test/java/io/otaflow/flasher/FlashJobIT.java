package io.otaflow.flasher;

import io.otaflow.devstack.FreePorts;
import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.FlashInfo;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.simulators.device.DeviceConfig;
import io.otaflow.simulators.device.Faults;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.flash.SectorPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The flash sequence against simulated Pico W devices: the happy path and every fault the simulator can inject. */
class FlashJobIT {
    private static final FlashJob.Settings FAST = FlashJob.Settings.DEFAULTS.withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(3))
            .withPostConnectPause(Duration.ZERO).withRetryBackoff(Duration.ofMillis(100));
    private final HttpFrontend frontend = new HttpFrontend(1);
    private final SectorPool pool = new SectorPool(4096);
    private final List<SimulatedDevice> devices = new ArrayList<>();
    private final List<FlashProgress> events = Collections.synchronizedList(new ArrayList<>());
    @TempDir
    Path work;

    @AfterEach
    void stop() {
        devices.forEach(SimulatedDevice::close);
        frontend.close();
    }

    private SimulatedDevice device(Faults faults, boolean locked, String version) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        SimulatedDevice device = new SimulatedDevice(DeviceConfig.of("pico-" + devices.size(), new InetSocketAddress(lo, FreePorts.next()),
                new InetSocketAddress(lo, FreePorts.next())).withFaults(faults).withLocked(locked), pool, frontend);
        device.install(AppImage.build("blink", version, 64 * 1024), AppImage.DEFAULT_BASE);
        device.powerOn();
        devices.add(device);
        await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);
        return device;
    }

    private FirmwareImage image(String version, String signature) throws Exception {
        byte[] bytes = AppImage.build("blink", version, 64 * 1024);
        Path file = Files.write(work.resolve("blink-" + version + "-" + UUID.randomUUID() + ".bin"), bytes);
        return FirmwareImage.newBuilder().setUri(file.toUri().toString()).setSha256(ArtifactStore.sha256(bytes)).setSize(bytes.length)
                .setSignature(signature).build();
    }

    private FlashCommand command(SimulatedDevice device, FirmwareImage image, String version) {
        return FlashCommand.newBuilder().setCommandId(UUID.randomUUID().toString()).setDeviceId(device.id())
                .setEndpoint(device.config().httpUrl()).setOtaEndpoint(device.config().otaEndpoint()).setConfiguration("default/test")
                .setGeneration(1).setTo(new FirmwareRef("blink", version)).setImage(image).setAttempt(1)
                .setDeadline(Instant.now().plusSeconds(20)).setIssuedAt(Instant.now()).build();
    }

    private FlashProgress flash(FlashCommand command, ArtifactStore artifacts) {
        return flash(command, artifacts, FAST);
    }

    private FlashProgress flash(FlashCommand command, ArtifactStore artifacts, FlashJob.Settings settings) {
        return flash(command, new FlashJob(artifacts, settings, "test-worker", HttpClient.newHttpClient(), Clock.systemUTC()));
    }

    private FlashProgress flash(FlashCommand command, FlashJob job) {
        FlashProgress result = job.run(command, events::add);
        assertThat(events.stream().filter(FlashProgress::getTerminal)).as("exactly one terminal event").hasSize(1);
        assertThat(events.get(events.size() - 1)).isEqualTo(result);
        return result;
    }

    private ArtifactStore unsignedAllowed() throws Exception {
        return new ArtifactStore(work.resolve("cache"), List.of(), true);
    }

    @Test
    void theWholeSequenceFlashesAndVerifiesFromTheDevice() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(result.getObservedFirmware().getFirmwareVersion()).isEqualTo("1.1.0");
        assertThat(events).extracting(FlashProgress::getPhase).containsSubsequence(FlashPhase.ACCEPTED, FlashPhase.FETCHING,
                FlashPhase.REBOOTING, FlashPhase.AWAITING_BOOTLOADER, FlashPhase.ERASING, FlashPhase.WRITING, FlashPhase.SEALING,
                FlashPhase.BOOTING, FlashPhase.VERIFYING, FlashPhase.SUCCEEDED);
        assertThat(events.stream().filter(e -> e.getPhase() == FlashPhase.WRITING).count()).as("about every 10 %").isBetween(8L, 12L);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");
    }

    @Test
    void aLockedDeviceIsSkippedAndNotTouched() throws Exception {
        SimulatedDevice device = device(Faults.NONE, true, "1.0.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SKIPPED);
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.DEVICE_LOCKED);
        assertThat(device.resets()).isEqualTo(1);
    }

    @Test
    void aDeviceAlreadyAtTheTargetIsSkipped() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.1.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.ALREADY_AT_TARGET);
    }

    @Test
    void anIgnoredRebootFailsRetryablyWhenTheDeadlinePasses() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withIgnoreReboot(), false, "1.0.0");
        FlashCommand command = FlashCommand.newBuilder(command(device, image("1.1.0", null), "1.1.0"))
                .setDeadline(Instant.now().plusSeconds(5)).build();
        FlashProgress result = flash(command, unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.FAILED);
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.REBOOT_IGNORED);
        assertThat(result.getError().getRetryable()).isTrue();
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
    }

    @Test
    void anIgnoredRebootIsJudgedOnceTheAppHasAnsweredThroughoutNotAfterTheRebootTimeout() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withIgnoreReboot(), false, "1.0.0");
        FlashCommand command = FlashCommand.newBuilder(command(device, image("1.1.0", null), "1.1.0"))
                .setDeadline(Instant.now().plusSeconds(15)).build();
        // A 10 min reboot timeout: only the app's answers can give the verdict within the 15 s deadline, and again on each retry.
        FlashProgress result = flash(command, unsignedAllowed(), FAST.withTimeouts(Duration.ofMinutes(10), Duration.ofSeconds(3))
                .withRebootIgnoredAfter(Duration.ofSeconds(3)));
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.REBOOT_IGNORED);
        assertThat(events.stream().filter(e -> e.getPhase() == FlashPhase.REBOOTING).count())
                .as("a verdict every 3 s, each followed by a retry (one wait to the deadline without them)").isGreaterThanOrEqualTo(3);
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
    }

    @Test
    void aConnectionDroppedMidWriteIsResumedFromTheBootloader() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withDropAfterBytes(20 * 1024), false, "1.0.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(events).extracting(FlashProgress::getPhase).filteredOn(p -> p == FlashPhase.AWAITING_BOOTLOADER).hasSizeGreaterThan(1);
    }

    @Test
    void aCorruptedPageIsCaughtAndWrittenAgain() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withCorruptPage(30), false, "1.0.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
    }

    @Test
    void firmwareThatDoesNotBootIsReportedAsSuchOnceTheBootloaderAnswersNotAfterTheBootTimeout() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withNewFirmwareNoBoot(), false, "1.0.0");
        // A boot timeout longer than the deadline: only the bootloader's answers can give the verdict in time.
        FlashCommand command = FlashCommand.newBuilder(command(device, image("1.1.0", null), "1.1.0"))
                .setDeadline(Instant.now().plusSeconds(90)).build();
        FlashProgress result = flash(command, unsignedAllowed(), FAST.withTimeouts(Duration.ofSeconds(3), Duration.ofMinutes(10)));
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.BOOT_FAILED);
        assertThat(result.getError().getMessage()).isEqualTo("the new image did not boot: the device came back in its bootloader");
        assertThat(result.getError().getRetryable()).isFalse();
        assertThat(result.getError().getInBootloader()).as("named as left in its bootloader, for the gate's rollback").isTrue();
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.BOOTLOADER);
    }

    @Test
    void aSealRefusedAfterTheEraseIsNamedAsLeftInItsBootloaderAndTheRollbackRestoresTheOldApp() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withSealRefusedOnce(), false, "1.0.0");
        FlashProgress failed = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(failed.getPhase()).isEqualTo(FlashPhase.FAILED);
        assertThat(failed.getError().getCode()).isEqualTo(FlashErrorCode.SEAL_REJECTED);
        assertThat(failed.getError().getRetryable()).as("the same image would be refused again").isFalse();
        assertThat(failed.getError().getInBootloader()).as("the old app is erased: named, for the gate's rollback").isTrue();
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.BOOTLOADER);

        events.clear();
        FlashCommand rollback = FlashCommand.newBuilder(command(device, image("1.0.0", null), "1.0.0")).setRollback(true).build();
        FlashProgress result = flash(rollback, unsignedAllowed());
        assertThat(result.getPhase()).as(String.valueOf(result.getError())).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.0.0");
    }

    @Test
    void theRollbackOfAnImageThatDidNotBootFlashesThePreviousOneAndTheDeviceRunsItAgain() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withNewFirmwareNoBoot(), false, "1.0.0");
        FlashProgress failed = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(failed.getError().getCode()).isEqualTo(FlashErrorCode.BOOT_FAILED);
        events.clear();
        FlashCommand rollback = FlashCommand.newBuilder(command(device, image("1.0.0", null), "1.0.0")).setRollback(true).build();
        FlashProgress result = flash(rollback, unsignedAllowed());
        assertThat(result.getPhase()).as(String.valueOf(result.getError())).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(events).extracting(FlashProgress::getPhase).as("flashed, not the held image booted").contains(FlashPhase.ERASING);
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.0.0");
    }

    @Test
    void aFailureBeforeTheEraseBootsTheOldAppBack() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        // The profile expects a larger window than this device's bootloader reports: pre-flight passes, INFO refuses.
        FlashInfo expected = new FlashInfo(FlashInfo.PICO_W.flashStart(), FlashInfo.PICO_W.flashSize() + 0x10000,
                FlashInfo.PICO_W.eraseSize(), FlashInfo.PICO_W.writeSize(), FlashInfo.PICO_W.maxDataLen());
        FirmwareImage tooLarge = imageAt(FlashInfo.PICO_W.flashSize() + 0x8000, AppImage.DEFAULT_BASE, AppImage.DEFAULT_BASE,
                AppImage.Defect.NONE);
        FlashProgress result = new FlashJob(unsignedAllowed(), FAST, "test-worker", HttpClient.newHttpClient(), Clock.systemUTC())
                .withExpectedWindow(expected).run(command(device, tooLarge, "1.1.0"), events::add);
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.IMAGE_TOO_LARGE);
        assertThat(events).extracting(FlashProgress::getPhase).as("rebooted, refused before the erase")
                .contains(FlashPhase.AWAITING_BOOTLOADER).doesNotContain(FlashPhase.ERASING);
        assertThat(result.getError().getMessage()).endsWith("; the device is back on its old app (blink 1.0.0)");
        assertThat(result.getError().getInBootloader()).isFalse();
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.0.0");
    }

    @Test
    void aLockedDeviceFoundInItsBootloaderIsBootedAndSkippedNotFlashed() throws Exception {
        SimulatedDevice device = device(Faults.NONE, true, "1.0.0");
        device.requestReboot(true); // an earlier worker rebooted it and died before the erase
        await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.BOOTLOADER);
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SKIPPED);
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.DEVICE_LOCKED);
        assertThat(events).extracting(FlashProgress::getPhase).doesNotContain(FlashPhase.ERASING);
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.0.0");
    }

    @Test
    void anUnlockedDeviceFoundInItsBootloaderIsBootedReadAndFlashed() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        device.requestReboot(true);
        await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == SimulatedDevice.Mode.BOOTLOADER);
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(events).extracting(FlashProgress::getPhase).as("its app read, then rebooted as usual")
                .containsSubsequence(FlashPhase.REBOOTING, FlashPhase.AWAITING_BOOTLOADER, FlashPhase.ERASING);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");
    }

    @Test
    void aDeviceThatNeverComesBackIsUnreachable() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withNeverReturns(), false, "1.0.0");
        FlashCommand command = FlashCommand.newBuilder(command(device, image("1.1.0", null), "1.1.0"))
                .setDeadline(Instant.now().plusSeconds(6)).build();
        FlashProgress result = flash(command, unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.FAILED);
        assertThat(result.getError().getCode()).isIn(FlashErrorCode.BOOTLOADER_TIMEOUT, FlashErrorCode.DEVICE_UNREACHABLE);
    }

    @Test
    void imagesAreCheckedBeforeTheDeviceIsTouched() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        FirmwareImage wrongHash = FirmwareImage.newBuilder(image("1.1.0", null)).setSha256("ab".repeat(32)).build();
        assertThat(flash(command(device, wrongHash, "1.1.0"), unsignedAllowed()).getError().getCode()).isEqualTo(FlashErrorCode.IMAGE_HASH_MISMATCH);
        events.clear();
        assertThat(flash(command(device, image("1.2.0", null), "1.1.0"), unsignedAllowed()).getError().getCode())
                .isEqualTo(FlashErrorCode.IMAGE_METADATA_MISMATCH);
        events.clear();
        assertThat(flash(command(device, image("1.1.0", null), "1.1.0"), new ArtifactStore(work.resolve("c2"), List.of(), false))
                .getError().getCode()).isEqualTo(FlashErrorCode.IMAGE_SIGNATURE_INVALID);
        assertThat(device.resets()).as("never rebooted").isEqualTo(1);
    }

    private FirmwareImage imageAt(int size, int linkedAt, long writtenAt, AppImage.Defect defect) throws Exception {
        byte[] bytes = AppImage.build("blink", "1.1.0", size, linkedAt, defect);
        Path file = Files.write(work.resolve("blink-bad-" + UUID.randomUUID() + ".bin"), bytes);
        return FirmwareImage.newBuilder().setUri(file.toUri().toString()).setSha256(ArtifactStore.sha256(bytes)).setSize(bytes.length)
                .setBaseAddress(writtenAt).build();
    }

    @Test
    void imagesThatCannotBootThereNeverRebootTheDevice() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        record Case(String what, FirmwareImage image, FlashErrorCode code) {
        }
        List<Case> cases = List.of(
                new Case("too large for the window", imageAt(0x1A5000, AppImage.DEFAULT_BASE, AppImage.DEFAULT_BASE, AppImage.Defect.NONE),
                        FlashErrorCode.IMAGE_TOO_LARGE),
                new Case("not on a sector boundary", imageAt(64 * 1024, 0x1005B100, 0x1005B100, AppImage.Defect.NONE),
                        FlashErrorCode.IMAGE_FORMAT_INVALID),
                new Case("a bad vector table", imageAt(64 * 1024, AppImage.DEFAULT_BASE, AppImage.DEFAULT_BASE, AppImage.Defect.BAD_VECTOR_TABLE),
                        FlashErrorCode.IMAGE_FORMAT_INVALID),
                new Case("linked for another address", imageAt(64 * 1024, 0x10080000, AppImage.DEFAULT_BASE, AppImage.Defect.NONE),
                        FlashErrorCode.IMAGE_FORMAT_INVALID));
        for (Case c : cases) {
            events.clear();
            FlashProgress result = flash(command(device, c.image(), "1.1.0"), unsignedAllowed());
            assertThat(result.getPhase()).as(c.what()).isEqualTo(FlashPhase.FAILED);
            assertThat(result.getError().getCode()).as(c.what()).isEqualTo(c.code());
            assertThat(events).extracting(FlashProgress::getPhase).as(c.what()).doesNotContain(FlashPhase.REBOOTING);
        }
        assertThat(device.resets()).as("never rebooted").isEqualTo(1);
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.APP);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.0.0");
    }

    @Test
    void aStaleCommandNeverDowngradesADeviceUnlessItAllowsIt() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.2.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SKIPPED);
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.DOWNGRADE_REFUSED);
        assertThat(device.resets()).as("never rebooted").isEqualTo(1);
        events.clear();
        FlashCommand allowed = FlashCommand.newBuilder(command(device, image("1.1.0", null), "1.1.0")).setAllowDowngrade(true).build();
        assertThat(flash(allowed, unsignedAllowed()).getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");
    }

    @Test
    void signedImagesAreFlashedOnlyWithATrustedKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
        KeyPair trusted = generator.generateKeyPair();
        KeyPair stranger = generator.generateKeyPair();
        byte[] bytes = AppImage.build("blink", "1.1.0", 64 * 1024);
        Signature signer = Signature.getInstance("Ed25519");
        signer.initSign(stranger.getPrivate());
        signer.update(bytes);
        String strangerSignature = Base64.getEncoder().encodeToString(signer.sign());
        signer.initSign(trusted.getPrivate());
        signer.update(bytes);
        String trustedSignature = Base64.getEncoder().encodeToString(signer.sign());
        ArtifactStore store = new ArtifactStore(work.resolve("signed"), List.of(ArtifactStore.ed25519PublicKey(
                Base64.getEncoder().encodeToString(trusted.getPublic().getEncoded()))), false);

        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        assertThat(flash(command(device, image("1.1.0", strangerSignature), "1.1.0"), store).getError().getCode())
                .isEqualTo(FlashErrorCode.IMAGE_SIGNATURE_INVALID);
        events.clear();
        assertThat(flash(command(device, image("1.1.0", trustedSignature), "1.1.0"), store).getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
    }

    @Test
    void aSupersededCommandStopsBeforeTouchingTheDevice() throws Exception {
        SimulatedDevice device = device(Faults.NONE, false, "1.0.0");
        FlashJob job = new FlashJob(unsignedAllowed(), FAST, "test-worker", HttpClient.newHttpClient(), Clock.systemUTC())
                .withGenerations(configuration -> new Supersession.Known(0, 2, null));
        FlashProgress result = job.run(command(device, image("1.1.0", null), "1.1.0"), events::add);
        assertThat(result.getPhase()).isEqualTo(FlashPhase.FAILED);
        assertThat(result.getError().getCode()).isEqualTo(FlashErrorCode.SUPERSEDED);
        assertThat(result.getError().getRetryable()).isFalse();
        assertThat(device.resets()).isEqualTo(1);
    }

    @Test
    void aSlowRebootIsWaitedForWithinTheDeadline() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withSlowReboot(Duration.ofSeconds(4)), false, "1.0.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).as("the 3 s reboot timeout passes once, the retry finds the bootloader").isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(device.metadata().path("firmwareVersion").asText()).isEqualTo("1.1.0");
    }

    @Test
    void aFirmwareTypesOwnRebootTimeoutIsTheOneWaitedFor() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withSlowReboot(Duration.ofSeconds(4)), false, "1.0.0");
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"),
                new FlashJob(unsignedAllowed(), FAST, "test-worker", HttpClient.newHttpClient(), Clock.systemUTC())
                        .withTimeoutProfiles(List.of("blink=10000/3000", "sensor-hub=2000/2000")));
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
        assertThat(events.stream().filter(e -> e.getPhase() == FlashPhase.AWAITING_BOOTLOADER).count())
                .as("blink's 10 s reboot timeout waits the 4 s reboot out in one wait").isEqualTo(1);

        SimulatedDevice other = device(Faults.NONE.withSlowReboot(Duration.ofSeconds(4)), false, "1.0.0");
        events.clear();
        flash(command(other, image("1.1.0", null), "1.1.0"),
                new FlashJob(unsignedAllowed(), FAST, "test-worker", HttpClient.newHttpClient(), Clock.systemUTC())
                        .withTimeoutProfiles(List.of("sensor-hub=10000/3000")));
        assertThat(events.stream().filter(e -> e.getPhase() == FlashPhase.AWAITING_BOOTLOADER).count())
                .as("another type's profile leaves blink on the worker's 3 s: it times out and waits again").isGreaterThanOrEqualTo(2);
    }

    @Test
    void aDeviceUnreachableForAWhileIsFlashedWhenItComesBack() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        SimulatedDevice device = new SimulatedDevice(DeviceConfig.of("pico-late", new InetSocketAddress(lo, FreePorts.next()),
                new InetSocketAddress(lo, FreePorts.next())).withFaults(Faults.NONE.withUnreachableFor(Duration.ofSeconds(4))), pool, frontend);
        device.install(AppImage.build("blink", "1.0.0", 64 * 1024), AppImage.DEFAULT_BASE);
        device.powerOn();
        devices.add(device);
        FlashProgress result = flash(command(device, image("1.1.0", null), "1.1.0"), unsignedAllowed());
        assertThat(result.getPhase()).isEqualTo(FlashPhase.SUCCEEDED);
    }
}
