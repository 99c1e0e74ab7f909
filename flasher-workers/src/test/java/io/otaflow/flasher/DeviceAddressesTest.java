package io.otaflow.flasher;

import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class DeviceAddressesTest {
    static FlashCommand command(String endpoint, String ota) {
        return FlashCommand.newBuilder().setCommandId("c").setDeviceId("d").setEndpoint(endpoint).setOtaEndpoint(ota).setConfiguration("ns/c")
                .setGeneration(1).setTo(new FirmwareRef("blink", "1.1.0"))
                .setImage(FirmwareImage.newBuilder().setUri("file:///x").setSha256("00").setSize(1).build())
                .setDeadline(Instant.EPOCH.plusSeconds(60)).setIssuedAt(Instant.EPOCH).build();
    }

    @Test
    void theBootloaderIsOnPort4242OfTheAppsHostUnlessTheCommandSaysOtherwise() throws Exception {
        DeviceAddresses plain = DeviceAddresses.of(command("http://127.0.0.1:8080/", null));
        assertThat(plain.app()).isEqualTo("http://127.0.0.1:8080");
        assertThat(plain.ota().getPort()).isEqualTo(4242);
        assertThat(plain.ota().getHostString()).isEqualTo("127.0.0.1");
        DeviceAddresses named = DeviceAddresses.of(command("https://127.0.0.1", "127.0.0.1:5000"));
        assertThat(named.ota().getPort()).isEqualTo(5000);
        assertThat(DeviceAddresses.of(command("http://[::1]:8080", "[::1]:4243")).ota().getPort()).isEqualTo(4243);
    }

    @ParameterizedTest(name = "[{index}] endpoint {0}, ota {1}")
    @CsvSource({
            "'',                     ''",
            "'127.0.0.1:8080',       ''",
            "'ftp://127.0.0.1',      ''",
            "'file:/etc/passwd',     ''",
            "'http://',              ''",
            "'http://bad host',      ''",
            "'http://127.0.0.1',     '127.0.0.1'",
            "'http://127.0.0.1',     '127.0.0.1:'",
            "'http://127.0.0.1',     ':4242'",
            "'http://127.0.0.1',     '127.0.0.1:port'",
            "'http://127.0.0.1',     '127.0.0.1:0'",
            "'http://127.0.0.1',     '127.0.0.1:70000'",
    })
    void aMalformedEndpointIsAnInvalidCommandWithItsReason(String endpoint, String ota) {
        FlashFailure failure = catchThrowableOfType(FlashFailure.class, () -> DeviceAddresses.of(command(endpoint, ota.isEmpty() ? null : ota)));
        assertThat(failure).isNotNull();
        assertThat(failure.code()).isEqualTo(FlashErrorCode.INVALID_COMMAND);
        assertThat(failure.getMessage()).containsAnyOf("endpoint", "OTA endpoint");
    }
}
