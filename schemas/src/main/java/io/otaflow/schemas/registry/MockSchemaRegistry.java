package io.otaflow.schemas.registry;

import org.apache.avro.Schema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An in-memory registry with the same id rules as a real one (one id per distinct schema, shared
 * across subjects; versions per subject) but no compatibility checks. For unit tests only.
 */
public final class MockSchemaRegistry implements SchemaRegistry {
    private final Map<String, Integer> idsBySchema = new HashMap<>();
    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, List<Integer>> idsBySubject = new HashMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        int id = idsBySchema.computeIfAbsent(schema.toString(), s -> {
            int next = schemasById.size() + 1;
            schemasById.put(next, schema);
            return next;
        });
        List<Integer> versions = idsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        if (!versions.contains(id)) {
            versions.add(id);
        }
        return id;
    }

    @Override
    public synchronized RegisteredSchema lookup(String subject, Schema schema) {
        List<Integer> versions = idsBySubject.get(subject);
        if (versions == null) {
            throw new RegistryException(404, RegistryException.SUBJECT_NOT_FOUND, "Subject \"" + subject + "\" not found");
        }
        Integer id = idsBySchema.get(schema.toString());
        if (id == null || !versions.contains(id)) {
            throw new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema not found under subject \"" + subject + "\"");
        }
        return new RegisteredSchema(subject, id, versions.indexOf(id) + 1, schema);
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema schema = schemasById.get(id);
        if (schema == null) {
            throw new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return schema;
    }
}
