package io.otaflow.simulators.device;

import java.time.Duration;

/**
 * What goes wrong with one simulated device, by configuration.
 *
 * @param ignoreReboot       answers 202 to a reboot request but does not reboot
 * @param slowReboot         extra time before the bootloader answers after a reboot
 * @param neverReturns       reboots into nothing: neither app nor bootloader answers again until power-cycled
 * @param dropAfterBytes     the bootloader's Wi-Fi drops the connection once this many WRIT data bytes
 *                           arrived in one connection (negative: never); once only
 * @param corruptPage        the n-th page (0-based) programmed in a connection reads back with a flipped bit (negative: never); once only
 * @param newFirmwareNoBoot  this board cannot run new firmware: a program flashed over the air other than the
 *                           one it ran first (its factory firmware) crashes at start, and the watchdog reset
 *                           lands in the bootloader (the OTA left the stay-in-bootloader magic set); the factory
 *                           firmware, booted or flashed back (a rollback), runs again
 * @param unreachableFor     answers nothing on the network for this long after power-on
 * @param sealRefusedOnce    the first SEAL is refused (ERR!) as if the stored image's CRC did not match, a
 *                           flash that lost bits after it was written and read back; once only, so a
 *                           rollback written afterwards seals
 */
public record Faults(boolean ignoreReboot, Duration slowReboot, boolean neverReturns, long dropAfterBytes,
                     int corruptPage, boolean newFirmwareNoBoot, Duration unreachableFor, boolean sealRefusedOnce) {

    public static final Faults NONE = new Faults(false, Duration.ZERO, false, -1, -1, false, Duration.ZERO, false);

    public Faults withIgnoreReboot() {
        return new Faults(true, slowReboot, neverReturns, dropAfterBytes, corruptPage, newFirmwareNoBoot, unreachableFor, sealRefusedOnce);
    }

    public Faults withSlowReboot(Duration extra) {
        return new Faults(ignoreReboot, extra, neverReturns, dropAfterBytes, corruptPage, newFirmwareNoBoot, unreachableFor, sealRefusedOnce);
    }

    public Faults withNeverReturns() {
        return new Faults(ignoreReboot, slowReboot, true, dropAfterBytes, corruptPage, newFirmwareNoBoot, unreachableFor, sealRefusedOnce);
    }

    public Faults withDropAfterBytes(long bytes) {
        return new Faults(ignoreReboot, slowReboot, neverReturns, bytes, corruptPage, newFirmwareNoBoot, unreachableFor, sealRefusedOnce);
    }

    public Faults withCorruptPage(int page) {
        return new Faults(ignoreReboot, slowReboot, neverReturns, dropAfterBytes, page, newFirmwareNoBoot, unreachableFor, sealRefusedOnce);
    }

    public Faults withNewFirmwareNoBoot() {
        return new Faults(ignoreReboot, slowReboot, neverReturns, dropAfterBytes, corruptPage, true, unreachableFor, sealRefusedOnce);
    }

    public Faults withUnreachableFor(Duration duration) {
        return new Faults(ignoreReboot, slowReboot, neverReturns, dropAfterBytes, corruptPage, newFirmwareNoBoot, duration, sealRefusedOnce);
    }

    public Faults withSealRefusedOnce() {
        return new Faults(ignoreReboot, slowReboot, neverReturns, dropAfterBytes, corruptPage, newFirmwareNoBoot, unreachableFor, true);
    }

    public boolean any() {
        return !equals(NONE);
    }
}
