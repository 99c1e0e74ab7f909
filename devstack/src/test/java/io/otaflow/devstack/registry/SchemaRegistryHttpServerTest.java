package io.otaflow.devstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.schemas.registry.RegistryException;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static io.otaflow.devstack.registry.SchemaRegistryServiceTest.OTHER;
import static io.otaflow.devstack.registry.SchemaRegistryServiceTest.V1;
import static io.otaflow.devstack.registry.SchemaRegistryServiceTest.V2_WITHOUT_DEFAULT;
import static io.otaflow.devstack.registry.SchemaRegistryServiceTest.V2_WITH_DEFAULT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every route of the Confluent REST API the registry serves, with its error codes, over HTTP on loopback. */
class SchemaRegistryHttpServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private SchemaRegistryHttpServer server;
    private SchemaRegistryClient client;

    record Answer(int status, JsonNode body, String contentType) {
        int errorCode() {
            return body.path("error_code").asInt();
        }
    }

    @BeforeEach
    void start() throws IOException {
        SchemaRegistryService service = new SchemaRegistryService(new InMemorySchemaLog(), CompatibilityLevel.BACKWARD, Duration.ofSeconds(5));
        service.start();
        server = new SchemaRegistryHttpServer(service, new InetSocketAddress("127.0.0.1", 0));
        server.start();
        client = new SchemaRegistryClient(server.url());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Answer call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(response.statusCode(), JSON.readTree(response.body()),
                response.headers().firstValue("Content-Type").orElse(""));
    }

    private static String schemaBody(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    @Test
    void registerThenReadBackByIdAndVersion() throws Exception {
        Answer registered = call("POST", "/subjects/devices-value/versions", schemaBody(V1));
        assertThat(registered.status()).isEqualTo(200);
        assertThat(registered.contentType()).isEqualTo("application/vnd.schemaregistry.v1+json");
        int id = registered.body().path("id").asInt();

        Answer byId = call("GET", "/schemas/ids/" + id, null);
        assertThat(new Schema.Parser().parse(byId.body().path("schema").asText()).getFullName()).isEqualTo("t.Device");

        Answer latest = call("GET", "/subjects/devices-value/versions/latest", null);
        assertThat(latest.body().path("subject").asText()).isEqualTo("devices-value");
        assertThat(latest.body().path("version").asInt()).isEqualTo(1);
        assertThat(latest.body().path("id").asInt()).isEqualTo(id);

        assertThat(call("GET", "/subjects/devices-value/versions/1", null).body().path("id").asInt()).isEqualTo(id);
        assertThat(call("GET", "/subjects/devices-value/versions/1/schema", null).body().path("name").asText()).isEqualTo("Device");
        assertThat(call("GET", "/schemas/ids/" + id + "/schema", null).body().path("name").asText()).isEqualTo("Device");
        assertThat(call("GET", "/subjects", null).body().toString()).isEqualTo("[\"devices-value\"]");
        assertThat(call("GET", "/subjects/devices-value/versions", null).body().toString()).isEqualTo("[1]");
    }

    @Test
    void lookupBySchema() throws Exception {
        int id = client.register("devices-value", new Schema.Parser().parse(V1));
        Answer found = call("POST", "/subjects/devices-value", schemaBody(V1));
        assertThat(found.status()).isEqualTo(200);
        assertThat(found.body().path("id").asInt()).isEqualTo(id);
        assertThat(found.body().path("version").asInt()).isEqualTo(1);

        Answer missingSchema = call("POST", "/subjects/devices-value", schemaBody(OTHER));
        assertThat(missingSchema.status()).isEqualTo(404);
        assertThat(missingSchema.errorCode()).isEqualTo(40403);
        Answer missingSubject = call("POST", "/subjects/nobody", schemaBody(V1));
        assertThat(missingSubject.status()).isEqualTo(404);
        assertThat(missingSubject.errorCode()).isEqualTo(40401);
    }

    @Test
    void errorsUseConfluentShapeAndCodes() throws Exception {
        Answer invalid = call("POST", "/subjects/s/versions", schemaBody("{\"type\":\"recrod\"}"));
        assertThat(invalid.status()).isEqualTo(422);
        assertThat(invalid.errorCode()).isEqualTo(42201);
        assertThat(invalid.body().path("message").asText()).startsWith("Invalid schema");

        call("POST", "/subjects/s/versions", schemaBody(V1));
        Answer incompatible = call("POST", "/subjects/s/versions", schemaBody(V2_WITHOUT_DEFAULT));
        assertThat(incompatible.status()).isEqualTo(409);
        assertThat(incompatible.errorCode()).isEqualTo(409);

        assertThat(call("GET", "/subjects/none/versions", null).errorCode()).isEqualTo(40401);
        assertThat(call("GET", "/subjects/s/versions/9", null).errorCode()).isEqualTo(40402);
        assertThat(call("GET", "/subjects/s/versions/abc", null).errorCode()).isEqualTo(42202);
        assertThat(call("GET", "/schemas/ids/4242", null).errorCode()).isEqualTo(40403);
        assertThat(call("GET", "/schemas/ids/4242", null).status()).isEqualTo(404);
        assertThat(call("PUT", "/config", "{\"compatibility\":\"MAYBE\"}").errorCode()).isEqualTo(42203);
        assertThat(call("GET", "/config/s", null).errorCode()).isEqualTo(40408);

        Answer notJson = call("POST", "/subjects/s/versions", "this is not json");
        assertThat(notJson.status()).isEqualTo(400);
        Answer protobuf = call("POST", "/subjects/s/versions", "{\"schemaType\":\"PROTOBUF\",\"schema\":\"syntax = \\\"proto3\\\";\"}");
        assertThat(protobuf.errorCode()).isEqualTo(42201);
        assertThat(protobuf.body().path("message").asText()).contains("Avro schemas only");
        assertThat(call("PATCH", "/subjects", null).status()).isEqualTo(405);
        assertThat(call("GET", "/nowhere", null).status()).isEqualTo(404);
    }

    @Test
    void deleteSubjectReturnsItsVersions() throws Exception {
        call("POST", "/subjects/s/versions", schemaBody(V1));
        call("POST", "/subjects/s/versions", schemaBody(V2_WITH_DEFAULT));
        Answer deleted = call("DELETE", "/subjects/s", null);
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.body().toString()).isEqualTo("[1,2]");
        assertThat(call("GET", "/subjects/s/versions", null).errorCode()).isEqualTo(40401);
        assertThat(call("GET", "/subjects?deleted=true", null).body().toString()).isEqualTo("[\"s\"]");
        assertThat(call("DELETE", "/subjects/s", null).errorCode()).isEqualTo(40401);
        assertThat(call("DELETE", "/subjects/s?permanent=true", null).body().toString()).isEqualTo("[1,2]");
    }

    @Test
    void deleteOneVersion() throws Exception {
        call("POST", "/subjects/s/versions", schemaBody(V1));
        call("POST", "/subjects/s/versions", schemaBody(V2_WITH_DEFAULT));
        assertThat(call("DELETE", "/subjects/s/versions/latest", null).body().asInt()).isEqualTo(2);
        assertThat(call("GET", "/subjects/s/versions", null).body().toString()).isEqualTo("[1]");
    }

    @Test
    void configGlobalAndPerSubject() throws Exception {
        assertThat(call("GET", "/config", null).body().path("compatibilityLevel").asText()).isEqualTo("BACKWARD");
        assertThat(call("PUT", "/config", "{\"compatibility\":\"FULL\"}").body().path("compatibility").asText()).isEqualTo("FULL");
        assertThat(call("GET", "/config", null).body().path("compatibilityLevel").asText()).isEqualTo("FULL");
        assertThat(call("PUT", "/config/s", "{\"compatibility\":\"NONE\"}").body().path("compatibility").asText()).isEqualTo("NONE");
        assertThat(call("GET", "/config/s", null).body().path("compatibilityLevel").asText()).isEqualTo("NONE");
        assertThat(call("GET", "/config/t?defaultToGlobal=true", null).body().path("compatibilityLevel").asText()).isEqualTo("FULL");

        // With NONE on the subject, an otherwise incompatible change goes in.
        call("POST", "/subjects/s/versions", schemaBody(V1));
        assertThat(call("POST", "/subjects/s/versions", schemaBody(V2_WITHOUT_DEFAULT)).status()).isEqualTo(200);
        assertThat(call("DELETE", "/config/s", null).body().path("compatibilityLevel").asText()).isEqualTo("NONE");
        assertThat(call("GET", "/config/s", null).errorCode()).isEqualTo(40408);
    }

    @Test
    void compatibilityCheckEndpoint() throws Exception {
        call("POST", "/subjects/s/versions", schemaBody(V1));
        assertThat(call("POST", "/compatibility/subjects/s/versions/latest", schemaBody(V2_WITH_DEFAULT))
                .body().path("is_compatible").asBoolean()).isTrue();
        assertThat(call("POST", "/compatibility/subjects/s/versions/latest", schemaBody(V2_WITHOUT_DEFAULT))
                .body().path("is_compatible").asBoolean()).isFalse();
    }

    @Test
    void subjectsWithSpecialCharactersRoundTrip() {
        int id = client.register("otaflow.device.reports.v1-value", new Schema.Parser().parse(V1));
        assertThat(client.latest("otaflow.device.reports.v1-value").id()).isEqualTo(id);
        assertThat(client.register("ns/name with space", new Schema.Parser().parse(V1))).isEqualTo(id);
        assertThat(client.subjects()).contains("ns/name with space");
    }

    @Test
    void theClientSurfacesErrorCodes() {
        assertThatThrownBy(() -> client.schemaById(77))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        assertThatThrownBy(() -> new SchemaRegistryClient("http://127.0.0.1:1").subjects())
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.getMessage()).contains("unreachable"));
    }
}
