package io.otaflow.simulators.device;

import java.time.Duration;

/**
 * How long a simulated Pico W takes for each thing it does. {@link #REALISTIC} follows a real
 * Pico W (CYW43 Wi-Fi join and DHCP take seconds; a 4 KiB sector erase of its W25Q16 flash tens
 * of milliseconds, a 256-byte page program under a millisecond); {@link #FAST} is for tests.
 *
 * @param wifiJoin     joining the access point, after every reset
 * @param dhcp         getting an address, after the join
 * @param appStart     the application's own start-up before it serves HTTP
 * @param rebootDelay  from accepting a reboot request to the reset
 * @param eraseSector  erasing one 4 KiB sector
 * @param programPage  programming one 256-byte page
 */
public record TimingProfile(String name, Duration wifiJoin, Duration dhcp, Duration appStart, Duration rebootDelay,
                           Duration eraseSector, Duration programPage) {

    public static final TimingProfile FAST = new TimingProfile("fast", Duration.ZERO, Duration.ZERO,
            Duration.ofMillis(5), Duration.ofMillis(5), Duration.ZERO, Duration.ZERO);

    public static final TimingProfile REALISTIC = new TimingProfile("realistic", Duration.ofMillis(2500),
            Duration.ofMillis(800), Duration.ofMillis(700), Duration.ofMillis(100), Duration.ofMillis(45),
            Duration.ofNanos(800_000));

    public static TimingProfile named(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "fast" -> FAST;
            case "realistic" -> REALISTIC;
            default -> throw new IllegalArgumentException("unknown timing profile '" + name + "' (fast, realistic)");
        };
    }

    /** From a reset to answering on the network: Wi-Fi join plus DHCP. */
    public Duration networkUp() {
        return wifiJoin.plus(dhcp);
    }

    /**
     * The least time a flash of {@code imageBytes} can take on this profile, device side only:
     * reboot into the bootloader and its network, erase and program every sector and page, then
     * the app's reset, network and start. No protocol round trips are counted.
     */
    public Duration flashLowerBound(long imageBytes) {
        long sectors = (imageBytes + 4095) / 4096;
        long pages = (imageBytes + 255) / 256;
        return rebootDelay.plus(networkUp())
                .plus(eraseSector.multipliedBy(sectors))
                .plus(programPage.multipliedBy(pages))
                .plus(networkUp()).plus(appStart);
    }
}
