package io.otaflow.schemas.serde;

import io.otaflow.schemas.registry.RegistryException;
import io.otaflow.schemas.registry.SchemaRegistry;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes Avro records (generated or generic) in the Confluent wire format, registering the
 * record's schema under the topic's subject ({@code TopicNameStrategy}) the first time it is seen.
 * A null record stays null, so tombstones pass through.
 */
public class AvroSerializer<T extends GenericContainer> implements Serializer<T> {
    private SchemaRegistry registry;
    private boolean autoRegister = true;
    private boolean isKey;
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    /** For Kafka to instantiate from configuration; call {@link #configure} before use. */
    public AvroSerializer() {
    }

    public AvroSerializer(SchemaRegistry registry, boolean isKey) {
        this.registry = registry;
        this.isKey = isKey;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        this.autoRegister = SerdeConfig.autoRegister(configs);
        if (registry == null) {
            this.registry = SerdeConfig.client(configs);
        }
    }

    @Override
    public byte[] serialize(String topic, T record) {
        if (record == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("AvroSerializer is not configured: no schema registry");
        }
        Schema schema = record.getSchema();
        String subject = SerdeConfig.subject(topic, isKey);
        int id;
        try {
            id = ids.computeIfAbsent(new SubjectSchema(subject, schema),
                    k -> autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema).id());
        } catch (RegistryException e) {
            throw new SerializationException("cannot register or find the schema of " + schema.getFullName()
                    + " under subject " + subject + " for topic " + topic + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        ByteBuffer header = ByteBuffer.allocate(WireFormat.HEADER_SIZE);
        WireFormat.writeHeader(header, id);
        out.writeBytes(header.array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writers.computeIfAbsent(schema, s -> writerFor(record)).write(record, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("cannot encode a " + schema.getFullName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(GenericContainer record) {
        if (record instanceof SpecificRecord) {
            // The generated class's own model carries its logical-type conversions (Instant, ...).
            return new SpecificDatumWriter<>(record.getSchema(), SpecificData.getForClass(record.getClass()));
        }
        return new GenericDatumWriter<>(record.getSchema());
    }
}
