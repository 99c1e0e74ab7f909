package io.otaflow.connectors.sink;

import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.EligibilityClass;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.registry.MockSchemaRegistry;
import io.otaflow.schemas.serde.AvroSerializer;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Date;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OtaflowAvroConverterTest {
    private final MockSchemaRegistry registry = new MockSchemaRegistry();
    private final OtaflowAvroConverter converter = new OtaflowAvroConverter(registry);

    @Test
    void aDeviceStateBecomesAStructWithOptionalFieldsEnumsMapsAndTimestamps() {
        Instant seen = Instant.parse("2026-11-28T10:00:00Z");
        DeviceState state = DeviceState.newBuilder().setDeviceId("pico-1").setOnline(true).setMode(DeviceMode.APP)
                .setFirmware(new FirmwareRef("blink", "1.1.0")).setLastSeen(seen).setProperties(Map.of("ring", "canary"))
                .setAttemptsByGeneration(Map.of("2", 1)).setEligibility(EligibilityClass.UP_TO_DATE)
                .setCurrentFlash(FlashSummary.newBuilder().setCommandId("c1").setGeneration(2).setPhase(FlashPhase.SUCCEEDED)
                        .setTarget(new FirmwareRef("blink", "1.1.0")).setStartedAt(seen).setUpdatedAt(seen).build())
                .build();
        byte[] bytes = new AvroSerializer<DeviceState>(registry, false).serialize("otaflow.device.state.v1", state);

        SchemaAndValue converted = converter.toConnectData("otaflow.device.state.v1", bytes);
        Struct struct = (Struct) converted.value();
        assertThat(converted.schema().name()).isEqualTo("io.otaflow.schemas.DeviceState");
        assertThat(struct.getString("deviceId")).isEqualTo("pico-1");
        assertThat(struct.getString("mode")).isEqualTo("APP");
        assertThat(struct.getStruct("firmware").getString("firmwareVersion")).isEqualTo("1.1.0");
        assertThat(converted.schema().field("firmware").schema().isOptional()).isTrue();
        assertThat(struct.get("endpoint")).isNull();
        assertThat(converted.schema().field("lastSeen").schema().name()).isEqualTo(Timestamp.LOGICAL_NAME);
        assertThat(struct.get("lastSeen")).isEqualTo(Date.from(seen));
        assertThat(struct.getMap("properties")).containsEntry("ring", "canary");
        assertThat(struct.getMap("attemptsByGeneration")).containsEntry("2", 1);
        assertThat(struct.getStruct("currentFlash").getString("phase")).isEqualTo("SUCCEEDED");
        assertThat(converted.schema().field("attemptsByGeneration").schema().valueSchema().type()).isEqualTo(Schema.Type.INT32);
        struct.validate();
    }

    @Test
    void tombstonesAreNullAndGarbageIsAClearError() {
        assertThat(converter.toConnectData("t", null)).isEqualTo(SchemaAndValue.NULL);
        assertThatThrownBy(() -> converter.toConnectData("otaflow.device.state.v1", new byte[]{1, 2, 3}))
                .isInstanceOf(DataException.class).hasMessageContaining("otaflow.device.state.v1");
        assertThatThrownBy(() -> converter.fromConnectData("t", null, null)).isInstanceOf(DataException.class).hasMessageContaining("does not write");
    }
}
