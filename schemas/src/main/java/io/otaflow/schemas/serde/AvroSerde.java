package io.otaflow.schemas.serde;

import io.otaflow.schemas.registry.SchemaRegistry;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** Kafka Streams serdes for otaflow's generated records, sharing one registry client. */
public final class AvroSerde {
    private AvroSerde() {
    }

    public static <T extends SpecificRecord> Serde<T> forValue(SchemaRegistry registry, Class<T> type) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, false), new AvroDeserializer<>(registry, type));
    }

    public static <T extends SpecificRecord> Serde<T> forKey(SchemaRegistry registry, Class<T> type) {
        return Serdes.serdeFrom(new AvroSerializer<>(registry, true), new AvroDeserializer<>(registry, type));
    }
}
