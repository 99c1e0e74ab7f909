package io.otaflow.schemas.serde;

import io.otaflow.schemas.registry.RegistryException;
import io.otaflow.schemas.registry.SchemaRegistry;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.Deserializer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads records in the Confluent wire format. With a generated class, the writer's schema (fetched
 * from the registry by id) is resolved against the class's schema, so records written with an
 * older or newer compatible schema are read as today's class. Without one, generic records come
 * back in the writer's schema.
 *
 * <p>Every failure is a {@link WireFormatException} naming the topic and schema id. Kafka's consumer
 * wraps it in a {@code RecordDeserializationException} that carries partition and offset; code that
 * reads raw bytes calls {@link #deserialize(ConsumerRecord)} to get them in the message directly.
 */
public class AvroDeserializer<T extends GenericContainer> implements Deserializer<T> {
    private SchemaRegistry registry;
    private Class<? extends SpecificRecord> type;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();

    /** For Kafka to instantiate from configuration; call {@link #configure} before use. */
    public AvroDeserializer() {
    }

    /**
     * @param type the generated class to read as, or null for generic records
     */
    public AvroDeserializer(SchemaRegistry registry, Class<? extends SpecificRecord> type) {
        this.registry = registry;
        this.type = type;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            registry = SerdeConfig.client(configs);
        }
        Object typeName = configs.get(isKey ? SerdeConfig.KEY_TYPE : SerdeConfig.VALUE_TYPE);
        if (type == null && typeName != null) {
            type = loadType(typeName);
        }
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends SpecificRecord> loadType(Object typeName) {
        if (typeName instanceof Class<?> c && SpecificRecord.class.isAssignableFrom(c)) {
            return (Class<? extends SpecificRecord>) c;
        }
        try {
            Class<?> c = Class.forName(typeName.toString());
            if (!SpecificRecord.class.isAssignableFrom(c)) {
                throw new ConfigException(SerdeConfig.VALUE_TYPE, typeName, "not a generated Avro record class");
            }
            return (Class<? extends SpecificRecord>) c;
        } catch (ClassNotFoundException e) {
            throw new ConfigException(SerdeConfig.VALUE_TYPE, typeName, "class not found");
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return decode(topic, -1, -1, data);
    }

    /** Decodes a raw record; an error names its topic, partition and offset. */
    public T deserialize(ConsumerRecord<?, byte[]> record) {
        return decode(record.topic(), record.partition(), record.offset(), record.value());
    }

    @SuppressWarnings("unchecked")
    private T decode(String topic, int partition, long offset, byte[] data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new WireFormatException(topic, partition, offset, -1, "AvroDeserializer is not configured: no schema registry", null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        int id;
        try {
            id = WireFormat.readHeader(buffer);
        } catch (IllegalArgumentException e) {
            throw new WireFormatException(topic, partition, offset, -1, e.getMessage(), e);
        }
        DatumReader<Object> reader;
        try {
            reader = readers.computeIfAbsent(id, this::readerFor);
        } catch (RegistryException e) {
            String reason = e.errorCode() == RegistryException.SCHEMA_NOT_FOUND
                    ? "unknown schema id " + id + ": the registry has no such schema"
                    : "cannot fetch schema id " + id + ": " + e.getMessage();
            throw new WireFormatException(topic, partition, offset, id, reason, e);
        } catch (AvroRuntimeException e) {
            throw new WireFormatException(topic, partition, offset, id,
                    "writer schema " + id + " cannot be read as " + type.getName() + ": " + e.getMessage(), e);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, buffer.position(), buffer.remaining(), null);
            Object value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IOException(decoder.inputStream().available() + " bytes left over after the record");
            }
            return (T) value;
        } catch (IOException | RuntimeException e) {
            throw new WireFormatException(topic, partition, offset, id,
                    "payload is not a valid Avro record for schema " + id + ": " + e, e);
        }
    }

    @SuppressWarnings("unchecked")
    private DatumReader<Object> readerFor(int id) {
        Schema writer = registry.schemaById(id);
        if (type == null) {
            return new GenericDatumReader<>(writer);
        }
        SpecificData model = SpecificData.getForClass(type);
        Schema reader = model.getSchema(type);
        return (DatumReader<Object>) (DatumReader<?>) new SpecificDatumReader<>(writer, reader, model);
    }
}
