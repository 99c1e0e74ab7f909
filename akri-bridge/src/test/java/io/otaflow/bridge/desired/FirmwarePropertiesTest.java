package io.otaflow.bridge.desired;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FirmwarePropertiesTest {
    private static final String SHA = "a".repeat(64);

    @Test
    void anOrdinaryAkriConfigurationNamesNoFirmware() throws Exception {
        assertThat(FirmwareProperties.parse(Map.of())).isEmpty();
        assertThat(FirmwareProperties.parse(Map.of("RESOLUTION_WIDTH", "800", "DEVICE", "picow"))).isEmpty();
    }

    @Test
    void theAuthorsFormTakesVersionFromTheTagAndTypeFromTheRepository() throws Exception {
        FirmwareProperties firmware = FirmwareProperties.parse(Map.of("FIRMWARE", "ghcr.io/nanos/firmware/picow-blink:1.1.0")).orElseThrow();
        assertThat(firmware.type()).isEqualTo("picow-blink");
        assertThat(firmware.version()).isEqualTo("1.1.0");
        assertThat(firmware.uri()).isEmpty();
        assertThat(firmware.reference()).contains(new OciReference("ghcr.io", "nanos/firmware/picow-blink", "1.1.0"));
    }

    @Test
    void firmwareTypeOverridesTheRepositoryName() throws Exception {
        FirmwareProperties firmware = FirmwareProperties.parse(Map.of("FIRMWARE", "localhost:5000/picow-blink:2.0.0",
                "FIRMWARE_TYPE", "blink")).orElseThrow();
        assertThat(firmware.type()).isEqualTo("blink");
        assertThat(firmware.reference().orElseThrow().registry()).isEqualTo("localhost:5000");
    }

    @Test
    void theExplicitFormNeedsUriAndDigest() throws Exception {
        FirmwareProperties firmware = FirmwareProperties.parse(Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0",
                "FIRMWARE_URI", "https://fw.example.com/blink-1.1.0.bin", "FIRMWARE_SHA256", SHA.toUpperCase())).orElseThrow();
        assertThat(firmware.uri()).contains(URI.create("https://fw.example.com/blink-1.1.0.bin"));
        assertThat(firmware.sha256()).contains(SHA);
        assertThat(firmware.signature()).isEqualTo(Optional.empty());

        assertInvalid(Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0", "FIRMWARE_URI", "https://fw/x.bin"), "MissingDigest");
        assertInvalid(Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_VERSION", "1.1.0", "FIRMWARE_SHA256", SHA), "MissingImage");
        assertInvalid(Map.of("FIRMWARE_TYPE", "blink", "FIRMWARE_URI", "https://fw/x.bin", "FIRMWARE_SHA256", SHA), "MissingFirmwareKeys");
    }

    @Test
    void mistakesAreNamed() {
        assertInvalid(Map.of("FIRMWARE", "picow-blink:1.1.0"), "InvalidReference");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/picow-blink"), "InvalidReference");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/picow-blink@sha256:" + SHA), "InvalidReference");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/blink:1.1.0", "FIRMWARE_VERSION", "1.2.0"), "ConflictingVersion");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/blink:1.1.0", "FIRMWARE_SHA256", "abc"), "InvalidDigest");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/blink:1.1.0", "FIRMWARE_URI", "ftp://fw/x.bin", "FIRMWARE_SHA256", SHA), "InvalidUri");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/blink:1.1.0", "FIRMWARE_SIGNATURE", "not base64!"), "InvalidSignature");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/blink:1.1.0", "FIRMWARE_TYPE", "my blink"), "InvalidFirmwareName");
        assertInvalid(Map.of("FIRMWARE", "ghcr.io/x/blink:1.1.0", "FIRMWARE_TYPE", " "), "MissingFirmwareKeys");
    }

    private static void assertInvalid(Map<String, String> properties, String reason) {
        assertThatThrownBy(() -> FirmwareProperties.parse(properties))
                .isInstanceOf(InvalidFirmwareException.class)
                .satisfies(e -> assertThat(((InvalidFirmwareException) e).reason()).isEqualTo(reason))
                .hasMessageNotContaining("null");
    }
}
