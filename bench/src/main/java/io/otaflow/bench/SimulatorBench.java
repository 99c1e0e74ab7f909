package io.otaflow.bench;

import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.PicowotaClient;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.fleet.Fleet;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The simulator's figures (issue 3): devices started per second and heap per idle device for a
 * fleet of {@code --devices} (default 10,000), then the time to flash a 600 KiB image through
 * the whole sequence (reboot into the bootloader, serial-flash's sequence, boot, new version
 * reported) under the fast and the realistic profile, beside each profile's own lower bound.
 * Prints {@code BENCH <name> <value> <unit>} lines. Run with a 2 GiB heap (bench/run does).
 */
public final class SimulatorBench {
    private static final int IMAGE_BYTES = 600 * 1024;

    public static void main(String[] args) throws Exception {
        int devices = 10_000;
        boolean realistic = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--devices" -> devices = Integer.parseInt(args[++i]);
                case "--no-realistic" -> realistic = false;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--devices N, --no-realistic)");
            }
        }
        fleet(devices);
        flash(TimingProfile.FAST);
        if (realistic) {
            flash(TimingProfile.REALISTIC);
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return heap.getUsed();
    }

    private static void fleet(int devices) throws Exception {
        long before = usedHeapAfterGc();
        long start = System.nanoTime();
        try (Fleet fleet = Fleet.start(Fleet.Spec.of(devices).withFirmware("blink", "1.0.0", IMAGE_BYTES))) {
            List<SimulatedDevice> all = fleet.devices();
            while (all.stream().anyMatch(d -> d.mode() != SimulatedDevice.Mode.APP)) {
                Thread.sleep(20);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long after = usedHeapAfterGc();
            System.out.printf("BENCH sim_devices %d devices%n", devices);
            System.out.printf("BENCH sim_devices_started_per_second %.0f devices/s%n", devices / seconds);
            System.out.printf("BENCH sim_heap_per_idle_device %.1f KiB%n", (after - before) / 1024.0 / devices);
            System.out.printf("BENCH sim_heap_fleet_total %.1f MiB%n", (after - before) / 1024.0 / 1024.0);
            System.out.printf("BENCH sim_shared_flash_sectors %d sectors%n", fleet.sectorPool().size());
            System.out.printf("BENCH sim_rss %.0f MiB%n", rssMiB());
        }
    }

    private static double rssMiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
            }
        }
        return -1;
    }

    private static void flash(TimingProfile timing) throws Exception {
        try (Fleet fleet = Fleet.start(Fleet.Spec.of(1).withTiming(timing).withAddressing(Fleet.Addressing.PORTS)
                .withFirmware("blink", "1.0.0", IMAGE_BYTES))) {
            SimulatedDevice device = fleet.devices().get(0);
            awaitMode(device, SimulatedDevice.Mode.APP, Duration.ofSeconds(30));
            byte[] image = AppImage.build("blink", "1.1.0", IMAGE_BYTES);
            HttpClient http = HttpClient.newHttpClient();
            long start = System.nanoTime();
            HttpResponse<String> reboot = http.send(HttpRequest.newBuilder(URI.create(device.config().httpUrl() + SimulatedDevice.REBOOT_PATH))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"bootloader\":true}")).build(), HttpResponse.BodyHandlers.ofString());
            if (reboot.statusCode() != 202) {
                throw new IllegalStateException("reboot answered " + reboot.statusCode());
            }
            awaitMode(device, SimulatedDevice.Mode.BOOTLOADER, Duration.ofSeconds(30));
            // No post-connect pause: the simulator never loses the first packet (serial-flash waits 1 s for real devices).
            try (PicowotaClient client = PicowotaClient.connect(device.config().ota(),
                    PicowotaClient.Options.SERIAL_FLASH.withPostConnectPause(Duration.ZERO))) {
                client.flash(image, AppImage.DEFAULT_BASE, new PicowotaClient.Progress() {
                    @Override
                    public void phase(String phase) {
                    }

                    @Override
                    public void bytesWritten(long written, long total) {
                    }
                });
            }
            awaitMode(device, SimulatedDevice.Mode.APP, Duration.ofSeconds(60));
            String version = device.metadata().path("firmwareVersion").asText();
            if (!version.equals("1.1.0")) {
                throw new IllegalStateException("device reports " + version + " after the flash");
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double bound = timing.flashLowerBound(image.length).toNanos() / 1e9;
            System.out.printf("BENCH sim_flash_600KiB_%s %.3f s%n", timing.name(), seconds);
            System.out.printf("BENCH sim_flash_600KiB_%s_lower_bound %.3f s%n", timing.name(), bound);
            if (bound > 0) {
                System.out.printf("BENCH sim_flash_600KiB_%s_ratio %.3f x%n", timing.name(), seconds / bound);
            }
        }
    }

    private static void awaitMode(SimulatedDevice device, SimulatedDevice.Mode mode, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (device.mode() != mode) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("device did not reach " + mode + " within " + timeout + " (it is " + device.mode() + ")");
            }
            Thread.sleep(5);
        }
    }
}
