package io.otaflow.connectors.discovery;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetadataParserTest {
    private final MetadataParser parser = new MetadataParser(MetadataProfile.OTAFLOW);

    private DeviceMetadata parse(String json) throws Exception {
        return parser.parse(json.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    @Test
    void readsTheDeviceContract() throws Exception {
        DeviceMetadata m = parse("""
                {"deviceId":"pico-0001","firmwareType":"blink","firmwareVersion":"1.2.0","locked":true,"mode":"app",
                 "uptimeMs":1234,"hardware":"pico_w"}""");
        assertThat(m).isEqualTo(new DeviceMetadata("pico-0001", "blink", "1.2.0", true, "app", 1234L, "pico_w"));
    }

    @Test
    void readsTheAuthorsShape() throws Exception {
        DeviceMetadata m = new MetadataParser(MetadataProfile.AUTHORS).parse(
                "{\"device\":\"pico-9\",\"application\":\"blink\",\"version\":\"0.3\"}".getBytes(), null);
        assertThat(m.deviceId()).isEqualTo("pico-9");
        assertThat(m.firmwareVersion()).isEqualTo("0.3");
        assertThat(m.locked()).isFalse();
    }

    @Test
    void refusesBadInputWithTheReason() {
        assertThatThrownBy(() -> parse("{\"deviceId\":")).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> parse("[1,2]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> parse("{\"deviceId\":\"p\",\"firmwareType\":\"blink\",\"locked\":false}")).hasMessageContaining("missing field firmwareVersion");
        String tenKb = "9".repeat(10_000);
        assertThatThrownBy(() -> parse("{\"deviceId\":\"p\",\"firmwareType\":\"blink\",\"firmwareVersion\":\"" + tenKb + "\",\"locked\":false}"))
                .hasMessageContaining("firmwareVersion must have 1 to 128 characters");
        assertThatThrownBy(() -> parse("{\"deviceId\":\"p\",\"firmwareType\":\"blink\",\"firmwareVersion\":\"1\",\"locked\":false,\"uptimeMs\":-5}"))
                .hasMessageContaining("uptimeMs must be a non-negative");
        assertThatThrownBy(() -> parse("{\"deviceId\":\"has space\",\"firmwareType\":\"blink\",\"firmwareVersion\":\"1\",\"locked\":false}"))
                .hasMessageContaining("is not a device id");
        assertThatThrownBy(() -> parse("{\"deviceId\":\"p\",\"firmwareType\":\"blink\",\"firmwareVersion\":\"1\",\"locked\":\"yes\"}"))
                .hasMessageContaining("locked must be true or false");
        assertThatThrownBy(() -> parse("{\"deviceId\":\"p\",\"deviceId\":\"q\",\"firmwareType\":\"b\",\"firmwareVersion\":\"1\",\"locked\":false}"))
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> parser.parse(new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'}, "application/json"))
                .hasMessageContaining("not valid UTF-8");
        assertThatThrownBy(() -> parser.parse("<html><body>Router login</body></html>".getBytes(), "text/html; charset=utf-8"))
                .hasMessageContaining("answered text/html, not JSON");
        assertThatThrownBy(() -> parser.parse(new byte[MetadataParser.MAX_BODY_BYTES + 1], "application/json"))
                .hasMessageContaining("exceeds");
    }
}
