package io.otaflow.flasher;

import io.otaflow.picowota.PicowotaException;
import io.otaflow.schemas.FlashErrorCode;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpTimeoutException;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one place that decides what an error means: its code, and whether trying again (within the
 * command's deadline, or as a new attempt) can help. Transient network and device trouble is
 * retryable; a bad image, a refused signature, a locked device or a wrong type is not.
 */
public final class ErrorClassifier {
    private static final Set<FlashErrorCode> RETRYABLE = EnumSet.of(
            FlashErrorCode.DEVICE_UNREACHABLE, FlashErrorCode.REBOOT_IGNORED, FlashErrorCode.BOOTLOADER_TIMEOUT,
            FlashErrorCode.BOOTLOADER_BUSY, FlashErrorCode.CONNECTION_LOST, FlashErrorCode.WRITE_CRC_MISMATCH,
            FlashErrorCode.PROTOCOL_ERROR, FlashErrorCode.IMAGE_FETCH_FAILED, FlashErrorCode.DEADLINE_EXCEEDED,
            FlashErrorCode.INTERNAL);

    private ErrorClassifier() {
    }

    public static boolean retryable(FlashErrorCode code) {
        return RETRYABLE.contains(code);
    }

    /** The code for an exception raised while talking to a device in a given step. */
    public static FlashErrorCode classify(Throwable error, Step step) {
        if (error instanceof FlashFailure failure) {
            return failure.code();
        }
        if (error instanceof PicowotaException picowota) {
            return switch (picowota.kind()) {
                case CRC_MISMATCH -> FlashErrorCode.WRITE_CRC_MISMATCH;
                case DOES_NOT_FIT -> FlashErrorCode.IMAGE_TOO_LARGE;
                case NOT_SYNCED -> FlashErrorCode.BOOTLOADER_BUSY;
                case REFUSED -> step == Step.SEAL ? FlashErrorCode.SEAL_REJECTED : FlashErrorCode.PROTOCOL_ERROR;
                case PROTOCOL -> FlashErrorCode.PROTOCOL_ERROR;
                case NO_BOOTABLE_IMAGE -> FlashErrorCode.BOOT_FAILED;
            };
        }
        if (error instanceof ConnectException || error instanceof NoRouteToHostException) {
            return step == Step.BOOTLOADER ? FlashErrorCode.BOOTLOADER_TIMEOUT : FlashErrorCode.DEVICE_UNREACHABLE;
        }
        if (error instanceof SocketTimeoutException || error instanceof HttpTimeoutException) {
            return step == Step.APP ? FlashErrorCode.DEVICE_UNREACHABLE : FlashErrorCode.CONNECTION_LOST;
        }
        if (error instanceof SocketException || error instanceof java.io.EOFException) {
            return step == Step.APP ? FlashErrorCode.DEVICE_UNREACHABLE : FlashErrorCode.CONNECTION_LOST;
        }
        if (error instanceof IOException) {
            return step == Step.APP ? FlashErrorCode.DEVICE_UNREACHABLE : FlashErrorCode.CONNECTION_LOST;
        }
        return FlashErrorCode.INTERNAL;
    }

    /** Where in the sequence an error happened: the same exception means different things. */
    public enum Step {
        APP, BOOTLOADER, WRITE, SEAL
    }
}
