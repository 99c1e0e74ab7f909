package io.otaflow.picowota;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Images as the SDK lays them out, the header check picowota makes, and binary info as picotool reads it. */
class ImageTest {
    private static final int BASE = AppImage.DEFAULT_BASE;

    private static ImageHeader.Memory at(int base, byte[] image) {
        return (address, length) -> {
            long offset = address - base;
            if (offset < 0 || offset + length > image.length) {
                throw new IllegalArgumentException("outside the image");
            }
            byte[] out = new byte[length];
            System.arraycopy(image, (int) offset, out, 0, length);
            return out;
        };
    }

    @Test
    void aBuiltImageHasTheSdkLayout() {
        byte[] image = AppImage.build("blink", "1.2.0", 600 * 1024);
        assertThat(image).hasSize(600 * 1024);
        assertThat(Integer.toUnsignedLong(Words.read(image, 0))).isGreaterThanOrEqualTo(ImageHeader.SRAM_BASE);
        assertThat(Words.read(image, 4)).isEqualTo(BASE + 0x100 | 1);
        assertThat(Words.read(image, 0xC0)).isEqualTo(BinaryInfo.MARKER_START);
        assertThat(Words.read(image, 0xD0)).isEqualTo(BinaryInfo.MARKER_END);
        assertThat(AppImage.build("blink", "1.2.0", 600 * 1024)).isEqualTo(image);
        assertThat(AppImage.build("blink", "1.2.1", 600 * 1024)).isNotEqualTo(image);
    }

    @Test
    void binaryInfoGivesProgramNameAndVersion() {
        byte[] image = AppImage.build("picow-blink", "2.0.0-rc.1+build.7", 64 * 1024);
        assertThat(BinaryInfo.read(image, BASE)).contains(new BinaryInfo.ProgramInfo("picow-blink", "2.0.0-rc.1+build.7"));
        assertThat(BinaryInfo.read(AppImage.build("x", "1", 4096, BASE, AppImage.Defect.NO_BINARY_INFO), BASE)).isEmpty();
        // Read at the wrong address, the pointers lead nowhere: no name, no version, no crash.
        assertThat(BinaryInfo.read(image, BASE + 0x10000)).contains(new BinaryInfo.ProgramInfo(null, null));
    }

    @Test
    void binaryInfoFollowsTheAddressMappingTable() {
        byte[] image = AppImage.build("blink", "1.0.0", 8192);
        // Move the version string to "RAM" at 0x20000100, copied at boot from image offset 0x1000.
        int entry = Words.read(image, Words.read(image, 0xC4) - BASE + 4) - BASE;
        String moved = "9.9.9\0";
        System.arraycopy(moved.getBytes(), 0, image, 0x1000, moved.length());
        Words.write(image, entry + 8, 0x20000100);
        int table = 0x1800;
        Words.write(image, 0xCC, BASE + table);
        Words.write(image, table, BASE + 0x1000);
        Words.write(image, table + 4, 0x20000100);
        Words.write(image, table + 8, 0x20000200);
        Words.write(image, table + 12, 0);
        assertThat(BinaryInfo.read(image, BASE).orElseThrow().version()).isEqualTo("9.9.9");
    }

    @Test
    void theHeaderCheckAcceptsAGoodImage() {
        byte[] image = AppImage.build("blink", "1.2.0", 4096);
        ImageHeader header = new ImageHeader(BASE, image.length, Crc.crc32(image));
        assertThat(header.check(at(BASE, image))).isEmpty();
        assertThat(ImageHeader.decode(header.encode())).isEqualTo(header);
        assertThat(header.encode()).hasSize(256);
    }

    @Test
    void theHeaderCheckRefusesEachKindOfBadImage() {
        byte[] image = AppImage.build("blink", "1.2.0", 4096);
        assertThat(new ImageHeader(BASE, image.length, Crc.crc32(image) ^ 1).check(at(BASE, image)))
                .hasValueSatisfying(reason -> assertThat(reason).contains("CRC-32"));

        byte[] badVectors = AppImage.build("blink", "1.2.0", 4096, BASE, AppImage.Defect.BAD_VECTOR_TABLE);
        assertThat(new ImageHeader(BASE, badVectors.length, Crc.crc32(badVectors)).check(at(BASE, badVectors)))
                .hasValueSatisfying(reason -> assertThat(reason).contains("stack pointer"));

        byte[] noThumb = image.clone();
        Words.write(noThumb, 4, BASE + 0x100);
        assertThat(check(noThumb)).hasValueSatisfying(reason -> assertThat(reason).contains("Thumb"));

        byte[] outside = image.clone();
        Words.write(outside, 4, BASE + outside.length + 5);
        assertThat(check(outside)).hasValueSatisfying(reason -> assertThat(reason).contains("reset vector"));

        byte[] atEnd = image.clone();
        Words.write(atEnd, 4, BASE + atEnd.length - 1);      // inside [vtor, vtor+size], Thumb bit set
        assertThat(check(atEnd)).isEmpty();
    }

    private static Optional<String> check(byte[] image) {
        return new ImageHeader(BASE, image.length, Crc.crc32(image)).check(at(BASE, image));
    }

    @Test
    void elfImagesRoundTripAsSerialFlashReadsThem() {
        byte[] image = AppImage.build("blink", "1.2.0", 10_000);
        byte[] elf = ElfImage.write(image, BASE);
        assertThat(ElfImage.isElf(elf)).isTrue();
        ElfImage.Loaded loaded = ElfImage.read(elf);
        assertThat(loaded.address()).isEqualTo(BASE);
        assertThat(loaded.bytes()).isEqualTo(image);
        assertThatThrownBy(() -> ElfImage.read(image)).hasMessageContaining("not an ELF");
    }

    @Test
    void absurdBuildRequestsAreRefused() {
        assertThatThrownBy(() -> AppImage.build("blink", "1.0.0", 100)).hasMessageContaining("at least 1 KiB");
        assertThatThrownBy(() -> AppImage.build("", "1.0.0", 4096)).hasMessageContaining("must not be empty");
    }
}
