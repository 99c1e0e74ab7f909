package io.otaflow.connectors.sink;

import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.WireFormat;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema.Field;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.storage.Converter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Kafka Connect converter that reads otaflow's records for any sink connector (files, object
 * stores, databases): Confluent wire format in, Connect {@link Struct}s out, with the writer's
 * schema fetched once per id from any Confluent-compatible registry ({@code schema.registry.url}).
 * Avro records become structs, {@code ["null", X]} unions optional fields, enums strings, maps and
 * arrays themselves, {@code timestamp-millis} Connect timestamps. Sink only: otaflow's producers
 * write the records, so {@code fromConnectData} is refused with a clear error.
 */
public final class OtaflowAvroConverter implements Converter {
    public static final String REGISTRY_URL = "schema.registry.url";
    private static final ConfigDef CONFIG = new ConfigDef().define(REGISTRY_URL, ConfigDef.Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
            new ConfigDef.NonEmptyString(), ConfigDef.Importance.HIGH, "Confluent-compatible schema registry URL.");

    private SchemaRegistry registry;
    private final Map<Integer, Converted> byId = new ConcurrentHashMap<>();

    /** A writer schema, its reader and the Connect schema it maps to. */
    private record Converted(GenericDatumReader<Object> reader, Schema connect) {
    }

    public OtaflowAvroConverter() {
    }

    /** For tests: a converter over a given registry. */
    public OtaflowAvroConverter(SchemaRegistry registry) {
        this.registry = registry;
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            Object url = configs.get(REGISTRY_URL);
            if (url == null || url.toString().isBlank()) {
                throw new org.apache.kafka.common.config.ConfigException(REGISTRY_URL + " is required (the schema registry otaflow writes to)");
            }
            registry = new SchemaRegistryClient(url.toString());
        }
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        throw new DataException("OtaflowAvroConverter reads otaflow's topics for sink connectors; it does not write (topic " + topic + ")");
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        if (value == null) {
            return SchemaAndValue.NULL; // a tombstone of a compacted table
        }
        ByteBuffer buffer = ByteBuffer.wrap(value);
        int id;
        try {
            id = WireFormat.readHeader(buffer);
        } catch (IllegalArgumentException e) {
            throw new DataException(topic + ": not a Confluent wire-format record: " + e.getMessage(), e);
        }
        Converted converted = byId.computeIfAbsent(id, this::converted);
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, buffer.position(), buffer.remaining(), null);
            Object avro = converted.reader().read(null, decoder);
            return new SchemaAndValue(converted.connect(), toConnect(converted.connect(), avro));
        } catch (IOException | RuntimeException e) {
            throw new DataException(topic + ": payload does not match schema " + id + ": " + e.getMessage(), e);
        }
    }

    private Converted converted(int id) {
        org.apache.avro.Schema writer = registry.schemaById(id);
        return new Converted(new GenericDatumReader<>(writer, writer, GenericData.get()), connectSchema(writer));
    }

    static Schema connectSchema(org.apache.avro.Schema avro) {
        SchemaBuilder builder = switch (avro.getType()) {
            case RECORD -> {
                SchemaBuilder struct = SchemaBuilder.struct().name(avro.getFullName());
                for (Field field : avro.getFields()) {
                    struct.field(field.name(), connectSchema(field.schema()));
                }
                yield struct;
            }
            case UNION -> {
                List<org.apache.avro.Schema> types = avro.getTypes();
                if (types.size() == 2 && types.get(0).getType() == org.apache.avro.Schema.Type.NULL) {
                    yield copy(connectSchema(types.get(1))).optional();
                }
                throw new DataException("union " + avro + " is not [null, X]: not supported");
            }
            case STRING, ENUM -> SchemaBuilder.string();
            case INT -> SchemaBuilder.int32();
            case LONG -> avro.getLogicalType() instanceof LogicalTypes.TimestampMillis ? Timestamp.builder() : SchemaBuilder.int64();
            case FLOAT -> SchemaBuilder.float32();
            case DOUBLE -> SchemaBuilder.float64();
            case BOOLEAN -> SchemaBuilder.bool();
            case BYTES, FIXED -> SchemaBuilder.bytes();
            case ARRAY -> SchemaBuilder.array(connectSchema(avro.getElementType()));
            case MAP -> SchemaBuilder.map(Schema.STRING_SCHEMA, connectSchema(avro.getValueType()));
            case NULL -> throw new DataException("a bare null type is not supported");
        };
        return builder.build();
    }

    /** The same Connect schema, rebuilt so that it can be made optional. */
    private static SchemaBuilder copy(Schema schema) {
        SchemaBuilder builder = switch (schema.type()) {
            case STRUCT -> {
                SchemaBuilder struct = SchemaBuilder.struct().name(schema.name());
                schema.fields().forEach(f -> struct.field(f.name(), f.schema()));
                yield struct;
            }
            case ARRAY -> SchemaBuilder.array(schema.valueSchema());
            case MAP -> SchemaBuilder.map(schema.keySchema(), schema.valueSchema());
            default -> Timestamp.LOGICAL_NAME.equals(schema.name()) ? Timestamp.builder() : SchemaBuilder.type(schema.type());
        };
        return builder;
    }

    static Object toConnect(Schema schema, Object avro) {
        if (avro == null) {
            return null;
        }
        return switch (schema.type()) {
            case STRUCT -> {
                GenericRecord record = (GenericRecord) avro;
                Struct struct = new Struct(schema);
                for (org.apache.kafka.connect.data.Field field : schema.fields()) {
                    struct.put(field, toConnect(field.schema(), record.get(field.name())));
                }
                yield struct;
            }
            case STRING -> avro instanceof GenericEnumSymbol<?> symbol ? symbol.toString() : avro.toString();
            case INT64 -> Timestamp.LOGICAL_NAME.equals(schema.name())
                    ? (avro instanceof Instant instant ? Date.from(instant) : new Date((Long) avro)) : avro;
            case BYTES -> avro instanceof ByteBuffer bytes ? toArray(bytes) : avro instanceof GenericData.Fixed fixed ? fixed.bytes() : avro;
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                for (Object item : (List<?>) avro) {
                    list.add(toConnect(schema.valueSchema(), item));
                }
                yield list;
            }
            case MAP -> {
                Map<String, Object> map = new HashMap<>();
                ((Map<?, ?>) avro).forEach((k, v) -> map.put(k.toString(), toConnect(schema.valueSchema(), v)));
                yield map;
            }
            default -> avro;
        };
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
