package io.otaflow.cli;

import io.otaflow.simulators.device.DeviceAuth;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.fleet.FaultPlan;
import io.otaflow.simulators.fleet.Fleet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code otaflow simulate}: a fleet of simulated Pico W devices until Ctrl-C. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Run a fleet of simulated Raspberry Pi Pico W devices (app HTTP, optional MQTT, picowota bootloader) "
                + "until Ctrl-C, and write one JSON line per device (deviceId, http, ota, fault) to the endpoints file.")
final class SimulateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--devices", defaultValue = "50", description = "How many devices (default: ${DEFAULT-VALUE}).")
    int devices;

    @Option(names = "--faults", defaultValue = "",
            description = "Faults by share, e.g. locked=5%%,ignore-reboot=2%%,slow-reboot:20s=1%%,never-returns=1%%,"
                    + "drop-after:100KiB=2%%,corrupt-page:10=1%%,no-boot=2%%,unreachable:30s=1%%")
    String faults;

    @Option(names = "--mqtt", description = "MQTT broker URL (tcp://host:port) for the devices' retained state and reboot commands.")
    String mqtt;

    @Option(names = "--timing", defaultValue = "fast", description = "Timing profile: fast or realistic (default: ${DEFAULT-VALUE}).")
    String timing;

    @Option(names = "--addressing", defaultValue = "addresses",
            description = "addresses: one loopback address per device (127.10.x.y, ports 8080 and 4242); ports: 127.0.0.1 with two ports each.")
    String addressing;

    @Option(names = "--firmware-type", defaultValue = "blink", description = "Firmware every device starts with (default: ${DEFAULT-VALUE}).")
    String firmwareType;

    @Option(names = "--firmware-version", defaultValue = "1.0.0", description = "Its version (default: ${DEFAULT-VALUE}).")
    String firmwareVersion;

    @Option(names = "--image-size", defaultValue = "256KiB", description = "Its size (default: ${DEFAULT-VALUE}).")
    String imageSize;

    @Option(names = "--id-prefix", defaultValue = "pico-", description = "Device id prefix (default: ${DEFAULT-VALUE}).")
    String idPrefix;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for picking faulty devices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--endpoints-file", required = true, description = "Where to write one JSON line per device.")
    Path endpointsFile;

    @Option(names = "--address-offset", defaultValue = "0",
            description = "With --addressing addresses: skip this many addresses, so that fleets in several processes do not collide.")
    int addressOffset;

    @Option(names = "--basic-auth", paramLabel = "USER:PASSWORD", description = "Devices require HTTP basic authentication.")
    String basicAuth;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        DeviceAuth auth = DeviceAuth.NONE;
        if (basicAuth != null) {
            int colon = basicAuth.indexOf(':');
            if (colon < 1) {
                throw new IllegalArgumentException("--basic-auth takes USER:PASSWORD");
            }
            auth = new DeviceAuth.Basic(basicAuth.substring(0, colon), basicAuth.substring(colon + 1));
        }
        Fleet.Spec fleetSpec = new Fleet.Spec(devices, idPrefix, firmwareType, firmwareVersion,
                (int) FaultPlan.bytes(imageSize, imageSize), TimingProfile.named(timing), FaultPlan.parse(faults), seed,
                Fleet.Addressing.valueOf(addressing.toUpperCase(Locale.ROOT)), mqtt, auth, false, addressOffset);
        long start = System.nanoTime();
        Fleet fleet = Fleet.start(fleetSpec);
        UntilStopped stopped = UntilStopped.closing(fleet, "simulate");
        fleet.writeEndpoints(endpointsFile);
        Map<String, Integer> byFault = new TreeMap<>();
        fleet.devices().forEach(d -> byFault.merge(fleet.label(d.id()), 1, Integer::sum));
        out.printf("%d simulated Pico W devices (%s %s, %s timing) started in %d ms%n", devices, firmwareType, firmwareVersion,
                timing, (System.nanoTime() - start) / 1_000_000);
        out.printf("  devices by fault  %s%n", byFault);
        out.printf("  endpoints         %s%n", endpointsFile.toAbsolutePath());
        if (mqtt != null) {
            out.printf("  mqtt              %s (state on otaflow/devices/{id}/state)%n", mqtt);
        }
        out.println("Press Ctrl-C to stop.");
        out.flush();
        stopped.await();
        return 0;
    }
}
