package io.otaflow.devstack.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.otaflow.schemas.registry.RegisteredSchema;
import io.otaflow.schemas.registry.RegistryException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

import static io.otaflow.schemas.registry.RegistryException.*;

/**
 * The registry's rules, independent of HTTP: Avro only, ids shared across subjects for identical
 * schemas, versions numbered per subject and never reused, compatibility checked before a new
 * version is written. All writes go through the {@link SchemaLog}; reads come from the state it
 * rebuilt, after catching up with the log so that every instance answers the same.
 */
public final class SchemaRegistryService {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_WRITE_ATTEMPTS = 5;

    private final SchemaLog schemaLog;
    private final RegistryState state;
    private final Duration timeout;
    private final ReentrantLock writeLock = new ReentrantLock();

    public SchemaRegistryService(SchemaLog schemaLog, CompatibilityLevel defaultLevel, Duration timeout) {
        this.schemaLog = schemaLog;
        this.state = new RegistryState(defaultLevel);
        this.timeout = timeout;
    }

    /** Replays the log; returns once the state holds everything written before the start. */
    public void start() {
        schemaLog.start(state::apply);
        schemaLog.catchUp(timeout);
    }

    public int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        writeLock.lock();
        try {
            for (int attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
                schemaLog.catchUp(timeout);
                List<RegistryState.Version> live = state.versions(subject, false);
                for (RegistryState.Version version : live) {
                    if (same(version.schema(), schema)) {
                        return version.id();
                    }
                }
                CompatibilityLevel level = state.effectiveLevel(subject);
                List<String> problems = level.check(schema, live.stream().map(RegistryState.Version::schema).toList());
                if (!problems.isEmpty()) {
                    throw new RegistryException(409, INCOMPATIBLE_SCHEMA, "Schema being registered is incompatible with"
                            + " an earlier schema for subject \"" + subject + "\" (" + level + "): " + String.join("; ", problems));
                }
                int id = state.idOf(schema).orElseGet(state::nextId);
                int version = state.nextVersion(subject);
                ObjectNode value = JSON.createObjectNode().put("subject", subject).put("version", version)
                        .put("id", id).put("schema", schema.toString());
                schemaLog.append("SCHEMA/" + subject + "/" + version + "/" + id + "/" + sha256(schema.toString()),
                        value.toString(), timeout);
                // Another instance may have taken this version or id first; then the log ignored ours: try again.
                if (state.version(subject, version).filter(v -> v.id() == id && same(v.schema(), schema)).isPresent()) {
                    return id;
                }
            }
            throw new RegistryException(500, STORE_ERROR, "could not register under subject \"" + subject
                    + "\": lost " + MAX_WRITE_ATTEMPTS + " races with other registry instances");
        } finally {
            writeLock.unlock();
        }
    }

    /** Finds a schema already registered under a subject. */
    public RegisteredSchema lookup(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        schemaLog.catchUp(timeout);
        List<RegistryState.Version> live = requireSubject(subject);
        return live.stream().filter(v -> same(v.schema(), schema)).findFirst()
                .map(SchemaRegistryService::toRegistered)
                .orElseThrow(() -> new RegistryException(404, SCHEMA_NOT_FOUND, "Schema not found under subject \"" + subject + "\""));
    }

    public Schema schemaById(int id) {
        schemaLog.catchUp(timeout);
        return state.schemaById(id)
                .orElseThrow(() -> new RegistryException(404, SCHEMA_NOT_FOUND, "Schema " + id + " not found"));
    }

    public List<String> subjects(boolean includeDeleted) {
        schemaLog.catchUp(timeout);
        return state.subjects(includeDeleted);
    }

    public List<Integer> versions(String subject) {
        schemaLog.catchUp(timeout);
        return requireSubject(subject).stream().map(RegistryState.Version::version).toList();
    }

    /** A version by number, or "latest" / -1 for the newest live one. */
    public RegisteredSchema version(String subject, String versionText) {
        schemaLog.catchUp(timeout);
        List<RegistryState.Version> live = requireSubject(subject);
        int version = parseVersion(versionText);
        if (version == -1) {
            return toRegistered(live.get(live.size() - 1));
        }
        return live.stream().filter(v -> v.version() == version).findFirst().map(SchemaRegistryService::toRegistered)
                .orElseThrow(() -> new RegistryException(404, VERSION_NOT_FOUND,
                        "Version " + version + " not found for subject \"" + subject + "\""));
    }

    /** Deletes every version of a subject (soft; {@code permanent} only after a soft delete, as Confluent). */
    public List<Integer> deleteSubject(String subject, boolean permanent) {
        writeLock.lock();
        try {
            schemaLog.catchUp(timeout);
            List<RegistryState.Version> targets = state.versions(subject, permanent).stream()
                    .filter(v -> !permanent || v.deleted()).toList();
            if (targets.isEmpty()) {
                if (permanent && !state.versions(subject, false).isEmpty()) {
                    throw new RegistryException(404, 40405, "Subject \"" + subject
                            + "\" was not deleted first before being permanently deleted");
                }
                throw new RegistryException(404, SUBJECT_NOT_FOUND, "Subject \"" + subject + "\" not found");
            }
            for (RegistryState.Version target : targets) {
                markDeleted(target, permanent);
            }
            return targets.stream().map(RegistryState.Version::version).toList();
        } finally {
            writeLock.unlock();
        }
    }

    public int deleteVersion(String subject, String versionText, boolean permanent) {
        writeLock.lock();
        try {
            schemaLog.catchUp(timeout);
            int version = parseVersion(versionText);
            List<RegistryState.Version> all = state.versions(subject, true);
            if (all.isEmpty()) {
                throw new RegistryException(404, SUBJECT_NOT_FOUND, "Subject \"" + subject + "\" not found");
            }
            List<RegistryState.Version> live = all.stream().filter(v -> !v.deleted()).toList();
            RegistryState.Version target = version == -1
                    ? (live.isEmpty() ? null : live.get(live.size() - 1))
                    : all.stream().filter(v -> v.version() == version && (permanent || !v.deleted())).findFirst().orElse(null);
            if (target == null) {
                throw new RegistryException(404, VERSION_NOT_FOUND, "Version " + versionText + " not found for subject \"" + subject + "\"");
            }
            if (permanent && !target.deleted()) {
                throw new RegistryException(404, 40407, "Version " + target.version() + " of subject \"" + subject
                        + "\" was not deleted first before being permanently deleted");
            }
            markDeleted(target, permanent);
            return target.version();
        } finally {
            writeLock.unlock();
        }
    }

    private void markDeleted(RegistryState.Version target, boolean permanent) {
        ObjectNode value = JSON.createObjectNode().put("subject", target.subject())
                .put("version", target.version()).put("permanent", permanent);
        schemaLog.append("DELETE/" + target.subject() + "/" + target.version() + (permanent ? "/permanent" : ""),
                value.toString(), timeout);
    }

    /** Whether the schema could be registered as a new version after {@code versionText} ("latest" or a number). */
    public boolean isCompatible(String subject, String versionText, String schemaText) {
        Schema schema = parse(schemaText);
        schemaLog.catchUp(timeout);
        List<RegistryState.Version> live = state.versions(subject, false);
        if (live.isEmpty()) {
            return true;
        }
        CompatibilityLevel level = state.effectiveLevel(subject);
        int version = parseVersion(versionText);
        List<Schema> against = live.stream()
                .filter(v -> version == -1 || v.version() <= version)
                .map(RegistryState.Version::schema).toList();
        if (against.isEmpty()) {
            throw new RegistryException(404, VERSION_NOT_FOUND, "Version " + versionText + " not found for subject \"" + subject + "\"");
        }
        return level.check(schema, against).isEmpty();
    }

    public CompatibilityLevel globalCompatibility() {
        schemaLog.catchUp(timeout);
        return state.globalLevel();
    }

    public CompatibilityLevel subjectCompatibility(String subject, boolean defaultToGlobal) {
        schemaLog.catchUp(timeout);
        return state.subjectLevel(subject).or(() -> defaultToGlobal
                        ? java.util.Optional.of(state.globalLevel()) : java.util.Optional.empty())
                .orElseThrow(() -> new RegistryException(404, SUBJECT_CONFIG_NOT_FOUND,
                        "Subject '" + subject + "' does not have subject-level compatibility configured"));
    }

    /** Sets the global level (subject null) or a subject's own level. */
    public CompatibilityLevel setCompatibility(String subjectOrNull, String levelName) {
        CompatibilityLevel level = CompatibilityLevel.parse(levelName);
        if (level == null) {
            throw new RegistryException(422, INVALID_COMPATIBILITY_LEVEL, "Invalid compatibility level: " + levelName
                    + " (valid: NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE)");
        }
        schemaLog.append("CONFIG/" + (subjectOrNull == null ? "" : subjectOrNull),
                JSON.createObjectNode().put("compatibility", level.name()).toString(), timeout);
        return level;
    }

    /** Removes a subject's own level, so the global one applies again; returns the removed level. */
    public CompatibilityLevel deleteSubjectCompatibility(String subject) {
        CompatibilityLevel previous = subjectCompatibility(subject, false);
        schemaLog.append("CONFIG/" + subject, null, timeout);
        return previous;
    }

    private List<RegistryState.Version> requireSubject(String subject) {
        List<RegistryState.Version> live = state.versions(subject, false);
        if (live.isEmpty()) {
            throw new RegistryException(404, SUBJECT_NOT_FOUND, "Subject \"" + subject + "\" not found");
        }
        return live;
    }

    private static int parseVersion(String text) {
        if ("latest".equals(text) || "-1".equals(text)) {
            return -1;
        }
        try {
            int version = Integer.parseInt(text);
            if (version <= 0) {
                throw new NumberFormatException();
            }
            return version;
        } catch (NumberFormatException e) {
            throw new RegistryException(422, INVALID_VERSION, "The specified version '" + text
                    + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
        }
    }

    static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw new RegistryException(422, INVALID_SCHEMA, "Invalid schema: the request has no schema");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (SchemaParseException | NullPointerException e) {
            throw new RegistryException(422, INVALID_SCHEMA, "Invalid schema: " + e.getMessage());
        }
    }

    /** Schemas are the same when their full JSON forms are, docs and defaults included (as Confluent). */
    private static boolean same(Schema a, Schema b) {
        return a.toString().equals(b.toString());
    }

    private static RegisteredSchema toRegistered(RegistryState.Version v) {
        return new RegisteredSchema(v.subject(), v.id(), v.version(), v.schema());
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always present in the JDK", e);
        }
    }
}
