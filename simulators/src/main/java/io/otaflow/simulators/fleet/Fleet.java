package io.otaflow.simulators.fleet;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.picowota.AppImage;
import io.otaflow.simulators.device.DeviceAuth;
import io.otaflow.simulators.device.DeviceConfig;
import io.otaflow.simulators.device.HttpFrontend;
import io.otaflow.simulators.device.SimulatedDevice;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.flash.SectorPool;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Many simulated Pico W devices in one JVM: one Netty event loop for all their HTTP, a virtual
 * thread per bootloader session, and flash sectors shared by content, so that ten thousand idle
 * devices fit in a small heap. Each device gets its own loopback address (127.x.y.z, with the
 * device's real ports: HTTP 8080 and picowota 4242) or, on request, its own ports on 127.0.0.1.
 * Addresses and ports are reserved for the fleet's life ({@link LoopbackReservation}): a device
 * keeps them across reboots and two fleets on one machine never share one.
 */
public final class Fleet implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final int HTTP_PORT = 8080;
    public static final int OTA_PORT = 4242;

    /** How devices are told apart on the network. */
    public enum Addressing {
        /** 127.10.0.1, 127.10.0.2, ... each with ports 8080 and 4242, as real devices on a LAN. */
        ADDRESSES,
        /** 127.0.0.1 with two free ports per device. */
        PORTS
    }

    /**
     * @param devices      how many
     * @param idPrefix     device ids are prefix + zero-padded index
     * @param firmwareType the type of the image every device starts with
     * @param version      its version
     * @param imageBytes   its size
     * @param faults       who gets which fault
     * @param mqttUrl      broker for the devices' MQTT face, or null
     * @param auth         HTTP authentication of every device
     */
    public record Spec(int devices, String idPrefix, String firmwareType, String version, int imageBytes,
                       TimingProfile timing, FaultPlan faults, long seed, Addressing addressing, String mqttUrl,
                       DeviceAuth auth, boolean readQuirk, int addressOffset) {
        public static Spec of(int devices) {
            return new Spec(devices, "pico-", "blink", "1.0.0", 256 * 1024, TimingProfile.FAST, FaultPlan.none(), 42,
                    Addressing.ADDRESSES, null, DeviceAuth.NONE, false, 0);
        }

        public Spec withFirmware(String type, String version, int imageBytes) {
            return new Spec(devices, idPrefix, type, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        public Spec withTiming(TimingProfile timing) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        public Spec withFaults(FaultPlan faults) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        public Spec withAddressing(Addressing addressing) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        public Spec withMqtt(String mqttUrl) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        public Spec withIdPrefix(String idPrefix) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        /** Start this fleet's addresses further up, so that several fleets (processes) do not collide. */
        public Spec withAddressOffset(int addressOffset) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        /** Which devices get which fault: the same seed picks the same devices. */
        public Spec withSeed(long seed) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }

        public Spec withAuth(DeviceAuth auth) {
            return new Spec(devices, idPrefix, firmwareType, version, imageBytes, timing, faults, seed, addressing, mqttUrl, auth, readQuirk, addressOffset);
        }
    }

    private final Spec spec;
    private final SectorPool pool = new SectorPool(4096);
    private final HttpFrontend frontend;
    private final Map<String, SimulatedDevice> devices = new LinkedHashMap<>();
    private final Map<String, FaultPlan.Assignment> assignments = new LinkedHashMap<>();
    private LoopbackReservation reservation;

    private Fleet(Spec spec) {
        this.spec = spec;
        this.frontend = new HttpFrontend(Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors())));
    }

    /** Builds the fleet's image, installs it on every device and powers them all on. */
    public static Fleet start(Spec spec) {
        if (spec.devices() < 1 || spec.devices() > 250 * 256) {
            throw new IllegalArgumentException("a fleet has 1 to 64000 devices, not " + spec.devices());
        }
        Fleet fleet = new Fleet(spec);
        try {
            fleet.create();
            fleet.devices.values().forEach(SimulatedDevice::powerOn);
            return fleet;
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
    }

    private void create() {
        byte[] image = AppImage.build(spec.firmwareType(), spec.version(), spec.imageBytes());
        List<FaultPlan.Assignment> plan = spec.faults().assign(spec.devices(), spec.seed());
        int digits = Math.max(4, String.valueOf(spec.devices()).length());
        SimulatedDevice first = null;
        int addressOffset = spec.addressOffset();
        List<Integer> ports = List.of();
        if (spec.addressing() == Addressing.PORTS) {
            reservation = LoopbackReservation.ports(2 * spec.devices());
            ports = reservation.ports();
        } else if (addressOffset == 0) {
            // No offset asked for: take addresses no other fleet on this machine holds.
            reservation = LoopbackReservation.addresses(spec.devices(), HTTP_PORT);
            addressOffset = reservation.firstAddressIndex();
        }
        for (int i = 0; i < spec.devices(); i++) {
            String id = spec.idPrefix() + String.format("%0" + digits + "d", i + 1);
            FaultPlan.Assignment assignment = plan.get(i);
            InetSocketAddress http;
            InetSocketAddress ota;
            if (spec.addressing() == Addressing.ADDRESSES) {
                InetAddress address = loopback(addressOffset + i);
                http = new InetSocketAddress(address, HTTP_PORT);
                ota = new InetSocketAddress(address, OTA_PORT);
            } else {
                InetAddress address = InetAddress.getLoopbackAddress();
                http = new InetSocketAddress(address, ports.get(2 * i));
                ota = new InetSocketAddress(address, ports.get(2 * i + 1));
            }
            DeviceConfig config = new DeviceConfig(id, http, ota, spec.auth(), assignment.locked(), "pico_w", spec.timing(),
                    assignment.faults(), spec.mqttUrl(), spec.readQuirk());
            SimulatedDevice device = new SimulatedDevice(config, pool, frontend);
            if (first == null) {
                device.install(image, AppImage.DEFAULT_BASE);
                first = device;
            } else {
                device.cloneFlashFrom(first);
            }
            devices.put(id, device);
            assignments.put(id, assignment);
        }
    }

    /** The i-th device's address: 127.10.0.1 onwards, skipping .0 and .255. */
    static InetAddress loopback(int index) {
        int host = index % 254 + 1;
        int net = index / 254;
        try {
            return InetAddress.getByAddress(new byte[] {127, (byte) (10 + net / 256), (byte) (net % 256), (byte) host});
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<SimulatedDevice> devices() {
        return List.copyOf(devices.values());
    }

    public SimulatedDevice device(String id) {
        return devices.get(id);
    }

    /** The fault each device was given ("healthy", "locked", "no-boot", ...). */
    public String label(String deviceId) {
        return assignments.get(deviceId).label();
    }

    public SectorPool sectorPool() {
        return pool;
    }

    /** One JSON line per device: {@code deviceId}, {@code http} (base URL), {@code ota} (host:port), {@code fault}. */
    public void writeEndpoints(Path file) throws IOException {
        try (BufferedWriter out = Files.newBufferedWriter(file)) {
            for (SimulatedDevice device : devices.values()) {
                Map<String, String> line = new LinkedHashMap<>();
                line.put("deviceId", device.id());
                line.put("http", device.config().httpUrl());
                line.put("ota", device.config().otaEndpoint());
                line.put("fault", label(device.id()));
                out.write(JSON.writeValueAsString(line));
                out.newLine();
            }
        }
    }

    @Override
    public void close() {
        List<SimulatedDevice> all = new ArrayList<>(devices.values());
        all.forEach(SimulatedDevice::powerOff);
        frontend.close();
        if (reservation != null) {
            reservation.close();
        }
    }
}
