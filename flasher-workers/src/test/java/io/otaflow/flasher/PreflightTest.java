package io.otaflow.flasher;

import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.FlashInfo;
import io.otaflow.schemas.FlashErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PreflightTest {
    private static ArtifactStore.VerifiedImage image(int size, int linkedAt, int writtenAt, AppImage.Defect defect) {
        return new ArtifactStore.VerifiedImage(AppImage.build("blink", "1.1.0", size, linkedAt, defect), writtenAt, "00", null);
    }

    @Test
    void aStockImageForAPicoWPasses() {
        assertThatCode(() -> Preflight.check(image(64 * 1024, AppImage.DEFAULT_BASE, AppImage.DEFAULT_BASE, AppImage.Defect.NONE), FlashInfo.PICO_W))
                .doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource({
            // what,                             size,    linked at,  written at, defect,           code,                 message
            "'larger than the window',           1724416, 0x1005B000, 0x1005B000, NONE,             IMAGE_TOO_LARGE,      does not fit",
            "'below the window (the bootloader)', 65536,  0x10000000, 0x10000000, NONE,             IMAGE_TOO_LARGE,      does not fit",
            "'ends past the flash',              65536,   0x101F8000, 0x101F8000, NONE,             IMAGE_TOO_LARGE,      does not fit",
            "'not on a sector boundary',         65536,   0x1005B100, 0x1005B100, NONE,             IMAGE_FORMAT_INVALID, not aligned",
            "'bad vector table',                 65536,   0x1005B000, 0x1005B000, BAD_VECTOR_TABLE, IMAGE_FORMAT_INVALID, stack pointer",
            "'linked for another address',       65536,   0x10080000, 0x1005B000, NONE,             IMAGE_FORMAT_INVALID, reset vector",
    })
    void anImageThatCannotBootOnTheDeviceIsRefusedBeforeItIsTouched(String what, int size, String linkedAt, String writtenAt,
                                                                       AppImage.Defect defect, FlashErrorCode code, String message) {
        FlashFailure failure = catchThrowableOfType(FlashFailure.class, () -> Preflight.check(
                image(size, Integer.decode(linkedAt), Integer.decode(writtenAt), defect), FlashInfo.PICO_W));
        assertThat(failure).as(what).isNotNull();
        assertThat(failure.code()).isEqualTo(code);
        assertThat(failure.getMessage()).contains(message);
    }

    @Test
    void anImageOfFewerThanEightBytesHasNoVectorTable() {
        var tiny = new ArtifactStore.VerifiedImage(new byte[4], AppImage.DEFAULT_BASE, "00", null);
        assertThat(catchThrowableOfType(FlashFailure.class, () -> Preflight.check(tiny, FlashInfo.PICO_W)).code())
                .isEqualTo(FlashErrorCode.IMAGE_FORMAT_INVALID);
    }
}
