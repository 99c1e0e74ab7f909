package io.otaflow.simulators.device;

import io.otaflow.devstack.FreePorts;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.BinaryInfo;
import io.otaflow.picowota.Crc;
import io.otaflow.picowota.ElfImage;
import io.otaflow.picowota.PicowotaClient;
import io.otaflow.picowota.PicowotaException;
import io.otaflow.simulators.flash.SectorPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** One simulated Pico W over real sockets: its app over HTTP and its bootloader over TCP, driven by a picowota client. */
class SimulatedDeviceIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int APP = AppImage.DEFAULT_BASE;
    private static final PicowotaClient.Options CLIENT = PicowotaClient.Options.SERIAL_FLASH.withPostConnectPause(Duration.ZERO);
    private final HttpFrontend frontend = new HttpFrontend(1);
    private final SectorPool pool = new SectorPool(4096);
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<SimulatedDevice> devices = new ArrayList<>();

    @AfterEach
    void stop() {
        devices.forEach(SimulatedDevice::close);
        frontend.close();
    }

    private SimulatedDevice device(DeviceConfig config, byte[] image) {
        SimulatedDevice device = new SimulatedDevice(config, pool, frontend);
        devices.add(device);
        if (image != null) {
            device.install(image, APP);
        }
        device.powerOn();
        return device;
    }

    private SimulatedDevice device(Faults faults) throws IOException {
        InetAddress lo = InetAddress.getLoopbackAddress();
        DeviceConfig config = DeviceConfig.of("pico-test", new InetSocketAddress(lo, FreePorts.next()), new InetSocketAddress(lo, FreePorts.next()))
                .withFaults(faults);
        return device(config, AppImage.build("blink", "1.0.0", 64 * 1024));
    }

    private HttpResponse<String> get(SimulatedDevice device, String path, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(device.config().httpUrl() + path)).timeout(Duration.ofSeconds(5));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode metadata(SimulatedDevice device) throws Exception {
        HttpResponse<String> response = get(device, SimulatedDevice.METADATA_PATH, null);
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private int reboot(SimulatedDevice device, boolean toBootloader) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(device.config().httpUrl() + SimulatedDevice.REBOOT_PATH))
                .POST(HttpRequest.BodyPublishers.ofString("{\"bootloader\": " + toBootloader + "}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static void awaitMode(SimulatedDevice device, SimulatedDevice.Mode mode) {
        await().atMost(Duration.ofSeconds(10)).until(device::mode, m -> m == mode);
    }

    private static void flash(SimulatedDevice device, byte[] image) throws IOException {
        try (PicowotaClient client = PicowotaClient.connect(device.config().ota(), CLIENT)) {
            client.flash(image, APP, new PicowotaClient.Progress() {
                @Override
                public void phase(String phase) {
                }

                @Override
                public void bytesWritten(long written, long total) {
                }
            });
        }
    }

    @Test
    void theWholeOtaSequenceChangesTheVersionTheAppReports() throws Exception {
        SimulatedDevice device = device(Faults.NONE);
        awaitMode(device, SimulatedDevice.Mode.APP);
        JsonNode before = metadata(device);
        assertThat(before.path("deviceId").asText()).isEqualTo("pico-test");
        assertThat(before.path("firmwareType").asText()).isEqualTo("blink");
        assertThat(before.path("firmwareVersion").asText()).isEqualTo("1.0.0");
        assertThat(before.path("locked").asBoolean()).isFalse();
        assertThat(before.path("mode").asText()).isEqualTo("app");

        assertThat(reboot(device, true)).isEqualTo(202);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        assertThatThrownBy(() -> get(device, SimulatedDevice.METADATA_PATH, null)).isInstanceOf(IOException.class);

        flash(device, AppImage.build("blink", "1.1.0", 600 * 1024));
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(metadata(device).path("firmwareVersion").asText()).isEqualTo("1.1.0");

        // The magic survives: the next plain reset lands in the bootloader, as on the real device...
        device.requestReboot(false);
        await().atMost(Duration.ofSeconds(10)).until(() -> device.resets() >= 2 && device.mode() == SimulatedDevice.Mode.APP);
        // ...unless the app cleared it (picowota_reboot(false) does). A power cycle clears it too and keeps the flash.
        device.powerCycle();
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(metadata(device).path("firmwareVersion").asText()).isEqualTo("1.1.0");
    }

    @Test
    void aBadImageIsRefusedAtSealAndLeavesTheDeviceInItsBootloader() throws Exception {
        SimulatedDevice device = device(Faults.NONE);
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        byte[] broken = AppImage.build("blink", "1.1.0", 64 * 1024, APP, AppImage.Defect.BAD_VECTOR_TABLE);
        assertThatThrownBy(() -> flash(device, broken)).isInstanceOfSatisfying(PicowotaException.class,
                e -> assertThat(e.kind()).isEqualTo(PicowotaException.Kind.REFUSED));
        // The old header was erased with the app: after a power cycle there is nothing to boot.
        device.powerCycle();
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        // A good image then recovers it.
        flash(device, AppImage.build("blink", "1.1.1", 64 * 1024));
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(metadata(device).path("firmwareVersion").asText()).isEqualTo("1.1.1");
    }

    @Test
    void anElfFileFlashesLikeItsBin() throws Exception {
        SimulatedDevice device = device(Faults.NONE);
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        ElfImage.Loaded loaded = ElfImage.read(ElfImage.write(AppImage.build("blink", "2.0.0", 32 * 1024), APP));
        flash(device, loaded.bytes());
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(metadata(device).path("firmwareVersion").asText()).isEqualTo("2.0.0");
    }

    @Test
    void aSecondClientIsResetWhileTheFirstIsConnected() throws Exception {
        SimulatedDevice device = device(Faults.NONE);
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        try (PicowotaClient first = PicowotaClient.connect(device.config().ota(), CLIENT)) {
            assertThat(first.info().flashStart()).isEqualTo(APP);
            try (Socket second = new Socket()) {
                // The reset may land while connecting (CI saw it on loopback), before the write or
                // before the read: either way this client is refused.
                assertThatThrownBy(() -> {
                    second.connect(device.config().ota(), 2000);
                    second.setSoTimeout(2000);
                    InputStream in = second.getInputStream();
                    second.getOutputStream().write("SYNC".getBytes());
                    if (in.read() < 0) {
                        throw new IOException("closed");
                    }
                }).isInstanceOf(IOException.class);
            }
            assertThat(first.crc(APP, 256)).isEqualTo(Crc.crc32(device.flash().read(APP, 256)));
        }
    }

    @Test
    void authenticationIsChecked() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        SimulatedDevice device = device(DeviceConfig.of("pico-auth", new InetSocketAddress(lo, FreePorts.next()),
                new InetSocketAddress(lo, FreePorts.next())).withAuth(new DeviceAuth.Basic("admin", "s3cret")), AppImage.build("blink", "1.0.0", 4096));
        awaitMode(device, SimulatedDevice.Mode.APP);
        HttpResponse<String> refused = get(device, SimulatedDevice.METADATA_PATH, null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.headers().firstValue("WWW-Authenticate")).contains("Basic realm=\"pico\"");
        assertThat(get(device, SimulatedDevice.METADATA_PATH, "Basic YWRtaW46czNjcmV0").statusCode()).isEqualTo(200);
        assertThat(get(device, SimulatedDevice.METADATA_PATH, "Basic YWRtaW46d3Jvbmc=").statusCode()).isEqualTo(401);
        assertThat(new DeviceAuth.Bearer("s3cr3t-token").toString()).doesNotContain("s3cr3t");
    }

    @Test
    void theLockFlagIsReportedAndSettable() throws Exception {
        SimulatedDevice device = device(Faults.NONE);
        awaitMode(device, SimulatedDevice.Mode.APP);
        HttpResponse<String> set = http.send(HttpRequest.newBuilder(URI.create(device.config().httpUrl() + SimulatedDevice.LOCK_PATH))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"locked\":true}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(set.statusCode()).isEqualTo(200);
        assertThat(metadata(device).path("locked").asBoolean()).isTrue();
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(device.config().httpUrl() + SimulatedDevice.REBOOT_PATH))
                .POST(HttpRequest.BodyPublishers.ofString("<html>")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void anIgnoredRebootLeavesTheAppRunning() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withIgnoreReboot());
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(reboot(device, true)).isEqualTo(202);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(device::mode, m -> m == SimulatedDevice.Mode.APP);
        assertThat(device.resets()).isEqualTo(1);
    }

    @Test
    void firmwareThatDoesNotBootFallsBackToTheBootloaderAndTheFactoryFirmwareFlashedBackRunsAgain() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withNewFirmwareNoBoot());
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        flash(device, AppImage.build("blink", "1.1.0", 32 * 1024));
        await().atMost(Duration.ofSeconds(10)).until(() -> device.resets() >= 3 && device.mode() == SimulatedDevice.Mode.BOOTLOADER);
        assertThat(device.running()).isEmpty();
        flash(device, AppImage.build("blink", "1.0.0", 64 * 1024)); // a rollback to what it ran first
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(device.running()).map(BinaryInfo.ProgramInfo::version).contains("1.0.0");
    }

    @Test
    void aDeviceThatNeverReturnsFromRebootAnswersNothing() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withNeverReturns());
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.DEAD);
        assertThatThrownBy(() -> PicowotaClient.connect(device.config().ota(), CLIENT)).isInstanceOf(IOException.class);
        device.powerCycle();
        awaitMode(device, SimulatedDevice.Mode.APP);
    }

    @Test
    void anUnreachableDeviceComesBackLater() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withUnreachableFor(Duration.ofMillis(800)));
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(1)).until(device::mode, m -> m == SimulatedDevice.Mode.STARTING);
        assertThatThrownBy(() -> get(device, SimulatedDevice.METADATA_PATH, null)).isInstanceOf(IOException.class);
        awaitMode(device, SimulatedDevice.Mode.APP);
    }

    @Test
    void aDroppedConnectionMidWriteLeavesTheDeviceInItsBootloaderAndARetrySucceeds() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withDropAfterBytes(20 * 1024));
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        byte[] image = AppImage.build("blink", "1.2.0", 64 * 1024);
        assertThatThrownBy(() -> flash(device, image)).isInstanceOf(IOException.class);
        assertThat(device.mode()).isEqualTo(SimulatedDevice.Mode.BOOTLOADER);
        flash(device, image);
        awaitMode(device, SimulatedDevice.Mode.APP);
        assertThat(metadata(device).path("firmwareVersion").asText()).isEqualTo("1.2.0");
    }

    @Test
    void aCorruptedPageIsCaughtByTheWriteCrc() throws Exception {
        SimulatedDevice device = device(Faults.NONE.withCorruptPage(40));
        awaitMode(device, SimulatedDevice.Mode.APP);
        reboot(device, true);
        awaitMode(device, SimulatedDevice.Mode.BOOTLOADER);
        assertThatThrownBy(() -> flash(device, AppImage.build("blink", "1.2.0", 64 * 1024)))
                .isInstanceOfSatisfying(PicowotaException.class, e -> assertThat(e.kind()).isEqualTo(PicowotaException.Kind.CRC_MISMATCH));
    }
}
