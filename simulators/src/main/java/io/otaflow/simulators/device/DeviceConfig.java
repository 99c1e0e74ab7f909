package io.otaflow.simulators.device;

import java.net.InetSocketAddress;

/**
 * One simulated Pico W.
 *
 * @param id        stable device id (as the real app derives it from the board's unique id)
 * @param http      where the app serves HTTP
 * @param ota       where the bootloader listens (port 4242 on a real device)
 * @param auth      HTTP authentication of the app
 * @param locked    the app's lock flag at power-on
 * @param hardware  the hardware model the app reports
 * @param mqttUrl   broker the app connects to ({@code tcp://host:port}), or null for none
 * @param readQuirk answer with the real bootloader's stale bytes after a READ
 */
public record DeviceConfig(String id, InetSocketAddress http, InetSocketAddress ota, DeviceAuth auth, boolean locked,
                           String hardware, TimingProfile timing, Faults faults, String mqttUrl, boolean readQuirk) {

    public static DeviceConfig of(String id, InetSocketAddress http, InetSocketAddress ota) {
        return new DeviceConfig(id, http, ota, DeviceAuth.NONE, false, "pico_w", TimingProfile.FAST, Faults.NONE, null, false);
    }

    public DeviceConfig withTiming(TimingProfile timing) {
        return new DeviceConfig(id, http, ota, auth, locked, hardware, timing, faults, mqttUrl, readQuirk);
    }

    public DeviceConfig withFaults(Faults faults) {
        return new DeviceConfig(id, http, ota, auth, locked, hardware, timing, faults, mqttUrl, readQuirk);
    }

    public DeviceConfig withAuth(DeviceAuth auth) {
        return new DeviceConfig(id, http, ota, auth, locked, hardware, timing, faults, mqttUrl, readQuirk);
    }

    public DeviceConfig withLocked(boolean locked) {
        return new DeviceConfig(id, http, ota, auth, locked, hardware, timing, faults, mqttUrl, readQuirk);
    }

    public DeviceConfig withMqtt(String mqttUrl) {
        return new DeviceConfig(id, http, ota, auth, locked, hardware, timing, faults, mqttUrl, readQuirk);
    }

    public DeviceConfig withReadQuirk(boolean readQuirk) {
        return new DeviceConfig(id, http, ota, auth, locked, hardware, timing, faults, mqttUrl, readQuirk);
    }

    public String httpUrl() {
        return "http://" + http.getHostString() + ":" + http.getPort();
    }

    public String otaEndpoint() {
        return ota.getHostString() + ":" + ota.getPort();
    }
}
