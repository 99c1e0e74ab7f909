package io.otaflow.devstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the registry knows, rebuilt by applying the schema log in order. Applying is deterministic:
 * a record that conflicts with what came before it (a version or id already taken by another
 * schema) is ignored, so every instance that reads the same log ends with the same state.
 *
 * <p>Record keys: {@code SCHEMA/<subject>/<version>/<id>/<hash>} (value: subject, version, id,
 * schema), {@code DELETE/<subject>/<version>} (value: subject, version, permanent) and
 * {@code CONFIG/<subject>} or {@code CONFIG/} for the global level (value: compatibility; a
 * tombstone removes a subject's own level). Keys never repeat for different content, so
 * compaction never drops a record that decided an id.
 */
final class RegistryState {
    private static final Logger log = LoggerFactory.getLogger(RegistryState.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One version of a subject. */
    record Version(String subject, int version, int id, Schema schema, boolean deleted) {
    }

    private final Map<Integer, Schema> schemasById = new HashMap<>();
    private final Map<String, Integer> idsByCanonical = new HashMap<>();
    private final Map<String, TreeMap<Integer, Version>> subjects = new HashMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel;
    private final CompatibilityLevel defaultLevel;

    RegistryState(CompatibilityLevel defaultLevel) {
        this.defaultLevel = defaultLevel;
    }

    synchronized void apply(String key, String value) {
        try {
            if (key.startsWith("SCHEMA/")) {
                applySchema(JSON.readTree(value));
            } else if (key.startsWith("DELETE/")) {
                applyDelete(JSON.readTree(value));
            } else if (key.startsWith("CONFIG/")) {
                String subject = key.substring("CONFIG/".length());
                CompatibilityLevel level = value == null ? null
                        : CompatibilityLevel.parse(JSON.readTree(value).path("compatibility").asText());
                if (subject.isEmpty()) {
                    globalLevel = level;
                } else if (level == null) {
                    subjectLevels.remove(subject);
                } else {
                    subjectLevels.put(subject, level);
                }
            } else {
                log.warn("ignoring schema-log record with unknown key {}", key);
            }
        } catch (IOException | RuntimeException e) {
            log.warn("ignoring unreadable schema-log record {}: {}", key, e.toString());
        }
    }

    private void applySchema(JsonNode node) {
        String subject = node.path("subject").asText();
        int version = node.path("version").asInt();
        int id = node.path("id").asInt();
        Schema schema = new Schema.Parser().parse(node.path("schema").asText());
        String canonical = schema.toString();
        Schema holder = schemasById.get(id);
        if (holder != null && !holder.toString().equals(canonical)) {
            log.debug("ignoring {} v{}: id {} already belongs to another schema", subject, version, id);
            return;
        }
        Integer existingId = idsByCanonical.get(canonical);
        if (existingId != null && existingId != id) {
            log.debug("ignoring {} v{}: schema already has id {}", subject, version, existingId);
            return;
        }
        TreeMap<Integer, Version> versions = subjects.computeIfAbsent(subject, s -> new TreeMap<>());
        if (versions.containsKey(version)) {
            log.debug("ignoring {} v{}: version already taken", subject, version);
            return;
        }
        schemasById.put(id, schema);
        idsByCanonical.put(canonical, id);
        versions.put(version, new Version(subject, version, id, schema, false));
    }

    private void applyDelete(JsonNode node) {
        TreeMap<Integer, Version> versions = subjects.get(node.path("subject").asText());
        if (versions == null) {
            return;
        }
        int version = node.path("version").asInt();
        boolean permanent = node.path("permanent").asBoolean(false);
        Version existing = versions.get(version);
        if (existing == null) {
            return;
        }
        if (permanent) {
            // The id keeps its schema: data written with it stays readable and the id is never reused.
            versions.remove(version);
        } else {
            versions.put(version, new Version(existing.subject(), version, existing.id(), existing.schema(), true));
        }
    }

    synchronized Optional<Schema> schemaById(int id) {
        return Optional.ofNullable(schemasById.get(id));
    }

    synchronized Optional<Integer> idOf(Schema schema) {
        return Optional.ofNullable(idsByCanonical.get(schema.toString()));
    }

    synchronized int nextId() {
        return schemasById.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    }

    /** The next version number: versions are never reused, deleted ones included. */
    synchronized int nextVersion(String subject) {
        TreeMap<Integer, Version> versions = subjects.get(subject);
        return versions == null || versions.isEmpty() ? 1 : versions.lastKey() + 1;
    }

    synchronized List<Version> versions(String subject, boolean includeDeleted) {
        TreeMap<Integer, Version> versions = subjects.get(subject);
        List<Version> result = new ArrayList<>();
        if (versions != null) {
            versions.values().stream().filter(v -> includeDeleted || !v.deleted()).forEach(result::add);
        }
        return result;
    }

    synchronized Optional<Version> version(String subject, int version) {
        TreeMap<Integer, Version> versions = subjects.get(subject);
        return versions == null ? Optional.empty() : Optional.ofNullable(versions.get(version));
    }

    synchronized List<String> subjects(boolean includeDeleted) {
        TreeSet<String> names = new TreeSet<>();
        subjects.forEach((name, versions) -> {
            if (versions.values().stream().anyMatch(v -> includeDeleted || !v.deleted())) {
                names.add(name);
            }
        });
        return new ArrayList<>(names);
    }

    synchronized CompatibilityLevel globalLevel() {
        return globalLevel == null ? defaultLevel : globalLevel;
    }

    synchronized Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    synchronized CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevel(subject).orElseGet(this::globalLevel);
    }
}
