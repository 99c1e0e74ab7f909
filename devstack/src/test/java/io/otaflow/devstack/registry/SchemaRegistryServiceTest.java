package io.otaflow.devstack.registry;

import io.otaflow.schemas.registry.RegistryException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchemaRegistryServiceTest {
    static final String V1 = """
            {"type":"record","name":"Device","namespace":"t","fields":[{"name":"id","type":"string"}]}""";
    static final String V2_WITH_DEFAULT = """
            {"type":"record","name":"Device","namespace":"t","fields":[{"name":"id","type":"string"},
             {"name":"version","type":"string","default":"0.0.0"}]}""";
    static final String V2_WITHOUT_DEFAULT = """
            {"type":"record","name":"Device","namespace":"t","fields":[{"name":"id","type":"string"},
             {"name":"version","type":"string"}]}""";
    static final String OTHER = """
            {"type":"record","name":"Other","namespace":"t","fields":[{"name":"n","type":"int"}]}""";

    private InMemorySchemaLog log;
    private SchemaRegistryService registry;

    @BeforeEach
    void start() {
        log = new InMemorySchemaLog();
        registry = new SchemaRegistryService(log, CompatibilityLevel.BACKWARD, Duration.ofSeconds(5));
        registry.start();
    }

    static RegistryException error(Runnable call) {
        try {
            call.run();
        } catch (RegistryException e) {
            return e;
        }
        throw new AssertionError("expected a RegistryException");
    }

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameIdAndOneVersion() {
        int id = registry.register("a-value", V1);
        assertThat(registry.register("a-value", V1.replace(" ", "  "))).isEqualTo(id);
        assertThat(registry.versions("a-value")).containsExactly(1);
    }

    @Test
    void identicalSchemasShareAnIdAcrossSubjects() {
        int id = registry.register("a-value", V1);
        assertThat(registry.register("b-value", V1)).isEqualTo(id);
        assertThat(registry.register("c-value", OTHER)).isNotEqualTo(id);
        assertThat(registry.subjects(false)).containsExactly("a-value", "b-value", "c-value");
    }

    @Test
    void aCompatibleChangeBecomesTheNextVersion() {
        int first = registry.register("a-value", V1);
        int second = registry.register("a-value", V2_WITH_DEFAULT);
        assertThat(second).isNotEqualTo(first);
        assertThat(registry.versions("a-value")).containsExactly(1, 2);
        assertThat(registry.version("a-value", "latest").id()).isEqualTo(second);
        assertThat(registry.version("a-value", "1").id()).isEqualTo(first);
    }

    @Test
    void backwardIsTheDefaultAndRefusesAFieldWithoutDefault() {
        registry.register("a-value", V1);
        RegistryException e = error(() -> registry.register("a-value", V2_WITHOUT_DEFAULT));
        assertThat(e.errorCode()).isEqualTo(409);
        assertThat(e.httpStatus()).isEqualTo(409);
        assertThat(e.getMessage()).contains("READER_FIELD_MISSING_DEFAULT_VALUE").contains("version");
        assertThat(registry.versions("a-value")).containsExactly(1);
    }

    @Test
    void forwardAndFullCheckTheOtherDirection() {
        registry.register("a-value", V2_WITH_DEFAULT);
        registry.setCompatibility("a-value", "FORWARD");
        // Removing a field with a default: old readers fill in the default, so FORWARD allows it.
        registry.register("a-value", V1);
        registry.setCompatibility("b-value", "FULL");
        registry.register("b-value", V1);
        assertThat(error(() -> registry.register("b-value", V2_WITHOUT_DEFAULT)).errorCode()).isEqualTo(409);
    }

    @Test
    void transitiveChecksEveryLiveVersion() {
        String v3 = V2_WITHOUT_DEFAULT.replace("{\"name\":\"version\",\"type\":\"string\"}",
                "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"extra\",\"type\":\"string\",\"default\":\"x\"}");
        registry.setCompatibility("a-value", "NONE");
        registry.register("a-value", V1);
        registry.register("a-value", V2_WITHOUT_DEFAULT);
        registry.setCompatibility("a-value", "BACKWARD_TRANSITIVE");
        // Compatible with v2 (same fields), but cannot read v1 data: refused only transitively.
        assertThat(v3).contains("extra");
        assertThat(error(() -> registry.register("a-value", v3)).errorCode()).isEqualTo(409);
        registry.setCompatibility("a-value", "BACKWARD");
        assertThat(registry.register("a-value", v3)).isPositive();
        assertThat(registry.isCompatible("a-value", "latest", v3)).isTrue();
        assertThat(registry.isCompatible("a-value", "1", V2_WITHOUT_DEFAULT)).isFalse();
    }

    @Test
    void invalidSchemasAreRefusedWith42201() {
        assertThat(error(() -> registry.register("a-value", "{not json")).errorCode()).isEqualTo(42201);
        assertThat(error(() -> registry.register("a-value", "{\"type\":\"record\",\"name\":\"X\"}")).errorCode()).isEqualTo(42201);
        assertThat(error(() -> registry.register("a-value", "")).errorCode()).isEqualTo(42201);
        assertThat(error(() -> registry.register("a-value", "")).httpStatus()).isEqualTo(422);
    }

    @Test
    void notFoundErrorsUseConfluentCodes() {
        assertThat(error(() -> registry.versions("missing")).errorCode()).isEqualTo(40401);
        assertThat(error(() -> registry.lookup("missing", V1)).errorCode()).isEqualTo(40401);
        registry.register("a-value", V1);
        assertThat(error(() -> registry.lookup("a-value", OTHER)).errorCode()).isEqualTo(40403);
        assertThat(error(() -> registry.schemaById(99)).errorCode()).isEqualTo(40403);
        assertThat(error(() -> registry.version("a-value", "7")).errorCode()).isEqualTo(40402);
        assertThat(error(() -> registry.version("a-value", "zero")).errorCode()).isEqualTo(42202);
        assertThat(error(() -> registry.subjectCompatibility("a-value", false)).errorCode()).isEqualTo(40408);
        assertThat(error(() -> registry.setCompatibility(null, "SIDEWAYS")).errorCode()).isEqualTo(42203);
    }

    @Test
    void lookupFindsIdAndVersion() {
        registry.register("a-value", V1);
        int id = registry.register("a-value", V2_WITH_DEFAULT);
        var found = registry.lookup("a-value", V2_WITH_DEFAULT);
        assertThat(found.id()).isEqualTo(id);
        assertThat(found.version()).isEqualTo(2);
        assertThat(found.subject()).isEqualTo("a-value");
    }

    @Test
    void deletingASubjectKeepsItsIdsReadableAndNeverReusesVersions() {
        int id = registry.register("a-value", V1);
        assertThat(registry.deleteSubject("a-value", false)).containsExactly(1);
        assertThat(error(() -> registry.versions("a-value")).errorCode()).isEqualTo(40401);
        assertThat(registry.subjects(false)).isEmpty();
        assertThat(registry.subjects(true)).containsExactly("a-value");
        assertThat(registry.schemaById(id).getFullName()).isEqualTo("t.Device");

        assertThat(registry.register("a-value", V1)).isEqualTo(id);
        assertThat(registry.versions("a-value")).containsExactly(2);
    }

    @Test
    void permanentDeleteNeedsASoftDeleteFirst() {
        registry.register("a-value", V1);
        assertThat(error(() -> registry.deleteSubject("a-value", true)).errorCode()).isEqualTo(40405);
        registry.deleteSubject("a-value", false);
        assertThat(registry.deleteSubject("a-value", true)).containsExactly(1);
        assertThat(registry.subjects(true)).isEmpty();
        assertThat(error(() -> registry.deleteSubject("a-value", false)).errorCode()).isEqualTo(40401);
    }

    @Test
    void compatibilityLevelsGlobalAndPerSubject() {
        assertThat(registry.globalCompatibility()).isEqualTo(CompatibilityLevel.BACKWARD);
        registry.setCompatibility(null, "full");
        assertThat(registry.globalCompatibility()).isEqualTo(CompatibilityLevel.FULL);
        assertThat(registry.subjectCompatibility("a-value", true)).isEqualTo(CompatibilityLevel.FULL);
        registry.setCompatibility("a-value", "NONE");
        assertThat(registry.subjectCompatibility("a-value", false)).isEqualTo(CompatibilityLevel.NONE);
        assertThat(registry.deleteSubjectCompatibility("a-value")).isEqualTo(CompatibilityLevel.NONE);
        assertThat(registry.subjectCompatibility("a-value", true)).isEqualTo(CompatibilityLevel.FULL);
    }

    @Test
    void aSecondInstanceOnTheSameLogAgreesOnEverything() {
        SchemaRegistryService other = new SchemaRegistryService(log.sharedReader(), CompatibilityLevel.BACKWARD, Duration.ofSeconds(5));
        other.start();
        int a = registry.register("a-value", V1);
        int b = other.register("b-value", OTHER);
        assertThat(other.schemaById(a).getFullName()).isEqualTo("t.Device");
        assertThat(registry.schemaById(b).getFullName()).isEqualTo("t.Other");
        assertThat(other.register("a-value", V1)).isEqualTo(a);
        assertThat(registry.subjects(false)).isEqualTo(other.subjects(false));
    }

    @Test
    void aRaceLostToAnotherInstanceIsIgnoredByEveryoneAndRetried() {
        // Another instance wrote version 1 with id 1 for a different schema just before us.
        log.appendFromElsewhere("SCHEMA/a-value/1/1/x", """
                {"subject":"a-value","version":1,"id":1,"schema":%s}""".formatted(quote(OTHER)));
        // Our stale view also wants version 1 / id 1; the log keeps the first writer's record.
        log.appendFromElsewhere("SCHEMA/a-value/1/1/y", """
                {"subject":"a-value","version":1,"id":1,"schema":%s}""".formatted(quote(V1)));
        SchemaRegistryService fresh = new SchemaRegistryService(log.sharedReader(), CompatibilityLevel.NONE, Duration.ofSeconds(5));
        fresh.start();
        assertThat(fresh.version("a-value", "1").schema().getName()).isEqualTo("Other");
        assertThat(fresh.schemaById(1).getName()).isEqualTo("Other");

        int id = fresh.register("a-value", V1);
        assertThat(id).isEqualTo(2);
        assertThat(fresh.versions("a-value")).containsExactly(1, 2);
    }

    private static String quote(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }
}
