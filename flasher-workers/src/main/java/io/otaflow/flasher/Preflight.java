package io.otaflow.flasher;

import io.otaflow.picowota.FlashInfo;
import io.otaflow.picowota.ImageHeader;
import io.otaflow.picowota.Words;
import io.otaflow.schemas.FlashErrorCode;

/**
 * What can be known of an image without the device, checked before the device is rebooted: an
 * image that fails here never touches a device. Against the flash window the device is expected
 * to report (a stock Pico W unless configured; INFO confirms it once connected): the image starts
 * on an erase-sector boundary inside the window and, padded to whole pages, ends before the last
 * page (picowota's bound check is {@code addr + len < flash end}, so that page is never written). Its
 * vector table is what picowota's SEAL and boot will demand: an initial stack pointer in SRAM, and
 * a Thumb reset vector inside the image. Without this, one image linked for the wrong address was
 * refused only at SEAL, after the erase, leaving every targeted device in its bootloader.
 */
public final class Preflight {
    /** One past the RP2040's 264 KiB of SRAM: a stack pointer may sit at the very top. */
    static final long SRAM_END = 0x20042000L;

    private Preflight() {
    }

    public static void check(ArtifactStore.VerifiedImage image, FlashInfo window) throws FlashFailure {
        byte[] bytes = image.bytes();
        long start = Integer.toUnsignedLong(image.address());
        long padded = (bytes.length + window.writeSize() - 1L) / window.writeSize() * window.writeSize();
        if (start < Integer.toUnsignedLong(window.flashStart()) || start + padded >= window.flashEnd()) {
            throw new FlashFailure(FlashErrorCode.IMAGE_TOO_LARGE, String.format(
                    "image 0x%08x+%d does not fit the flash window 0x%08x+%d", start, padded, window.flashStart(), window.flashSize()));
        }
        if (start % window.eraseSize() != 0) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FORMAT_INVALID, String.format(
                    "image address 0x%08x is not aligned to the %d-byte erase sector", start, window.eraseSize()));
        }
        if (bytes.length < 8) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FORMAT_INVALID, "image of " + bytes.length + " bytes has no vector table");
        }
        long stack = Integer.toUnsignedLong(Words.read(bytes, 0));
        long reset = Integer.toUnsignedLong(Words.read(bytes, 4));
        if (stack < ImageHeader.SRAM_BASE || stack > SRAM_END) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FORMAT_INVALID, String.format(
                    "initial stack pointer 0x%08x is not in SRAM [0x%08x, 0x%08x]: not an app linked for this device",
                    stack, ImageHeader.SRAM_BASE, SRAM_END));
        }
        if ((reset & 1) == 0 || reset < start || reset >= start + bytes.length) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FORMAT_INVALID, String.format(
                    "reset vector 0x%08x is not a Thumb address inside the image [0x%08x, 0x%08x): linked for another address?",
                    reset, start, start + bytes.length));
        }
    }
}
