package io.otaflow.flasher;

import io.otaflow.picowota.PicowotaException;
import io.otaflow.schemas.FlashErrorCode;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

import static io.otaflow.flasher.ErrorClassifier.Step.*;
import static org.assertj.core.api.Assertions.assertThat;

class ErrorClassifierTest {
    @Test
    void networkTroubleIsRetryableAndItsCodeDependsOnTheStep() {
        assertThat(ErrorClassifier.classify(new ConnectException(), APP)).isEqualTo(FlashErrorCode.DEVICE_UNREACHABLE);
        assertThat(ErrorClassifier.classify(new ConnectException(), BOOTLOADER)).isEqualTo(FlashErrorCode.BOOTLOADER_TIMEOUT);
        assertThat(ErrorClassifier.classify(new SocketException("reset"), WRITE)).isEqualTo(FlashErrorCode.CONNECTION_LOST);
        assertThat(ErrorClassifier.classify(new SocketTimeoutException(), WRITE)).isEqualTo(FlashErrorCode.CONNECTION_LOST);
        for (FlashErrorCode code : new FlashErrorCode[] {FlashErrorCode.DEVICE_UNREACHABLE, FlashErrorCode.BOOTLOADER_TIMEOUT,
                FlashErrorCode.CONNECTION_LOST, FlashErrorCode.WRITE_CRC_MISMATCH, FlashErrorCode.REBOOT_IGNORED}) {
            assertThat(ErrorClassifier.retryable(code)).as(code.name()).isTrue();
        }
    }

    @Test
    void protocolAnswersMapToTheirCodes() {
        assertThat(ErrorClassifier.classify(new PicowotaException(PicowotaException.Kind.CRC_MISMATCH, "x"), WRITE))
                .isEqualTo(FlashErrorCode.WRITE_CRC_MISMATCH);
        assertThat(ErrorClassifier.classify(new PicowotaException(PicowotaException.Kind.REFUSED, "x"), SEAL))
                .isEqualTo(FlashErrorCode.SEAL_REJECTED);
        assertThat(ErrorClassifier.classify(new PicowotaException(PicowotaException.Kind.DOES_NOT_FIT, "x"), WRITE))
                .isEqualTo(FlashErrorCode.IMAGE_TOO_LARGE);
    }

    @Test
    void badImagesLocksAndTypesAreFinal() {
        for (FlashErrorCode code : new FlashErrorCode[] {FlashErrorCode.IMAGE_HASH_MISMATCH, FlashErrorCode.IMAGE_SIGNATURE_INVALID,
                FlashErrorCode.IMAGE_METADATA_MISMATCH, FlashErrorCode.IMAGE_TOO_LARGE, FlashErrorCode.SEAL_REJECTED,
                FlashErrorCode.DEVICE_LOCKED, FlashErrorCode.TYPE_MISMATCH, FlashErrorCode.BOOT_FAILED, FlashErrorCode.VERIFY_MISMATCH,
                FlashErrorCode.AUTH_FAILED}) {
            assertThat(ErrorClassifier.retryable(code)).as(code.name()).isFalse();
        }
    }
}
