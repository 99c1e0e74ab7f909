package io.otaflow.schemas.serde;

import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.MockSchemaRegistry;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroSerdeTest {
    private static final String TOPIC = "otaflow.device.reports.v1";

    private final MockSchemaRegistry registry = new MockSchemaRegistry();
    private final AvroSerializer<DeviceReport> serializer = new AvroSerializer<>(registry, false);
    private final AvroDeserializer<DeviceReport> deserializer = new AvroDeserializer<>(registry, DeviceReport.class);

    static DeviceReport report() {
        return DeviceReport.newBuilder()
                .setDeviceId("pico-0001")
                .setFirmwareType("blink")
                .setFirmwareVersion("1.2.0")
                .setLocked(true)
                .setMode(DeviceMode.APP)
                .setUptimeMs(12_345L)
                .setHardware("rp2040-picow")
                .setObservedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setSource(Source.HTTP_SCAN)
                .setConfiguration("default/picow-blink")
                .setProperties(Map.of("HOST_ENDPOINT", "10.0.0.7"))
                .build();
    }

    @Test
    void roundTripKeepsEveryField() {
        DeviceReport original = report();
        byte[] bytes = serializer.serialize(TOPIC, original);
        assertThat(deserializer.deserialize(TOPIC, bytes)).isEqualTo(original);
    }

    @Test
    void writesTheConfluentWireFormatUnderTheTopicNameStrategySubject() {
        byte[] bytes = serializer.serialize(TOPIC, report());
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        assertThat(buffer.get()).isZero();
        int id = buffer.getInt();
        assertThat(registry.lookup(TOPIC + "-value", DeviceReport.getClassSchema()).id()).isEqualTo(id);
        assertThat(registry.schemaById(id)).isEqualTo(DeviceReport.getClassSchema());
    }

    @Test
    void keysRegisterUnderTheKeySubject() {
        new AvroSerializer<DeviceReport>(registry, true).serialize(TOPIC, report());
        assertThat(registry.lookup(TOPIC + "-key", DeviceReport.getClassSchema()).version()).isEqualTo(1);
    }

    @Test
    void nullIsATombstoneBothWays() {
        assertThat(serializer.serialize(TOPIC, null)).isNull();
        assertThat(deserializer.deserialize(TOPIC, null)).isNull();
    }

    @Test
    void readsARecordWrittenWithAnOlderSchemaUsingTodaysDefaults() {
        // Version 1 of DeviceReport had no hardware, uptime, configuration or properties.
        Schema older = new Schema.Parser().parse("""
                {"type":"record","name":"DeviceReport","namespace":"io.otaflow.schemas","fields":[
                  {"name":"deviceId","type":"string"},
                  {"name":"firmwareType","type":"string"},
                  {"name":"firmwareVersion","type":"string"},
                  {"name":"locked","type":"boolean"},
                  {"name":"observedAt","type":{"type":"long","logicalType":"timestamp-millis"}}
                ]}""");
        GenericRecord old = new GenericData.Record(older);
        old.put("deviceId", "pico-0002");
        old.put("firmwareType", "blink");
        old.put("firmwareVersion", "1.0.0");
        old.put("locked", false);
        old.put("observedAt", 1_700_000_000_000L);
        byte[] bytes = new AvroSerializer<GenericRecord>(registry, false).serialize(TOPIC, old);

        DeviceReport read = deserializer.deserialize(TOPIC, bytes);

        assertThat(read.getDeviceId()).isEqualTo("pico-0002");
        assertThat(read.getFirmwareVersion()).isEqualTo("1.0.0");
        assertThat(read.getObservedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(read.getHardware()).isNull();
        assertThat(read.getMode()).isEqualTo(DeviceMode.APP);
        assertThat(read.getProperties()).isEmpty();
    }

    @Test
    void readsARecordWrittenWithANewerSchemaIgnoringFieldsItDoesNotKnow() {
        Schema newer = new Schema.Parser().parse(DeviceReport.getClassSchema().toString()
                .replace("{\"name\":\"deviceId\"", "{\"name\":\"batteryMv\",\"type\":\"int\",\"default\":0},{\"name\":\"deviceId\""));
        GenericRecord record = new GenericData.Record(newer);
        DeviceReport today = report();
        for (Schema.Field field : DeviceReport.getClassSchema().getFields()) {
            record.put(field.name(), GenericData.get().deepCopy(field.schema(), toGeneric(today, field)));
        }
        record.put("batteryMv", 3_300);
        byte[] bytes = new AvroSerializer<GenericRecord>(registry, false).serialize(TOPIC, record);

        assertThat(deserializer.deserialize(TOPIC, bytes)).isEqualTo(today);
    }

    private static Object toGeneric(DeviceReport report, Schema.Field field) {
        Object value = report.get(field.pos());
        if (value instanceof Enum<?> e) {
            return new GenericData.EnumSymbol(field.schema(), e.name());
        }
        if (value instanceof Instant i) {
            return i.toEpochMilli();
        }
        return value;
    }

    @Test
    void anUnknownSchemaIdIsAnErrorNamingTopicAndId() {
        byte[] bytes = serializer.serialize(TOPIC, report());
        ByteBuffer.wrap(bytes).put(1, (byte) 0x7f);
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, bytes))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining(TOPIC)
                .hasMessageContaining("unknown schema id");
    }

    @Test
    void aNonAvroPayloadIsAnErrorNamingTopicPartitionAndOffset() {
        byte[] json = "{\"deviceId\":\"pico\"}".getBytes();
        ConsumerRecord<String, byte[]> record = new ConsumerRecord<>(TOPIC, 3, 42L, "pico", json);
        assertThatThrownBy(() -> deserializer.deserialize(record))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("topic " + TOPIC + " partition 3 offset 42")
                .hasMessageContaining("magic byte 0x7b");
    }

    @Test
    void aTruncatedPayloadIsAnError() {
        byte[] bytes = serializer.serialize(TOPIC, report());
        byte[] cut = java.util.Arrays.copyOf(bytes, bytes.length - 10);
        assertThatThrownBy(() -> deserializer.deserialize(new ConsumerRecord<>(TOPIC, 0, 7L, "k", cut)))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("partition 0 offset 7")
                .hasMessageContaining("not a valid Avro record");
    }

    @Test
    void trailingGarbageIsAnError() {
        byte[] bytes = serializer.serialize(TOPIC, report());
        byte[] longer = java.util.Arrays.copyOf(bytes, bytes.length + 3);
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, longer))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("left over");
    }

    @Test
    void aTooShortPayloadIsAnError() {
        assertThatThrownBy(() -> deserializer.deserialize(TOPIC, new byte[] {0, 1}))
                .isInstanceOf(WireFormatException.class)
                .hasMessageContaining("too short");
    }

    @Test
    void genericReadingReturnsTheWritersSchema() {
        byte[] bytes = serializer.serialize(TOPIC, report());
        GenericRecord generic = new AvroDeserializer<GenericRecord>(registry, null).deserialize(TOPIC, bytes);
        assertThat(generic.getSchema()).isEqualTo(DeviceReport.getClassSchema());
        assertThat(generic.get("firmwareVersion").toString()).isEqualTo("1.2.0");
    }
}
