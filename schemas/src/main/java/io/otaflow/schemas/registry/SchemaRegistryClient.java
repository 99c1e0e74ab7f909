package io.otaflow.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small client for the Confluent Schema Registry REST API (Avro only). The Confluent client is
 * not on Maven Central, so otaflow speaks the documented REST API itself. Ids and registrations
 * are cached: a schema is registered (or looked up) once per subject, an id is fetched once.
 * Thread-safe; share one instance per process and registry URL.
 */
public final class SchemaRegistryClient implements SchemaRegistry {
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI baseUri;
    private final HttpClient http;
    private final Duration timeout;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

    private final String authorization;

    private record SubjectSchema(String subject, Schema schema) {
    }

    /**
     * Credentials for registries that ask for them (Confluent Cloud, a registry behind basic auth):
     * {@code USER:PASSWORD}, as Confluent's clients take {@code basic.auth.user.info}. Never logged.
     */
    public static final String BASIC_AUTH_VARIABLE = "OTAFLOW_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO";

    public SchemaRegistryClient(String baseUrl) {
        this(baseUrl, Duration.ofSeconds(10));
    }

    public SchemaRegistryClient(String baseUrl, Duration timeout) {
        this(baseUrl, timeout, System.getenv(BASIC_AUTH_VARIABLE));
    }

    /** @param basicAuthUserInfo {@code USER:PASSWORD}, or null for none */
    public SchemaRegistryClient(String baseUrl, Duration timeout, String basicAuthUserInfo) {
        if (basicAuthUserInfo != null && !basicAuthUserInfo.isBlank() && !basicAuthUserInfo.contains(":")) {
            throw new IllegalArgumentException(BASIC_AUTH_VARIABLE + " must be USER:PASSWORD");
        }
        this.authorization = basicAuthUserInfo == null || basicAuthUserInfo.isBlank() ? null
                : "Basic " + java.util.Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("schema registry URL is required (e.g. http://127.0.0.1:8081)");
        }
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.baseUri = URI.create(trimmed);
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public String baseUrl() {
        return baseUri.toString();
    }

    @Override
    public int register(String subject, Schema schema) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", body);
        int id = answer.path("id").asInt(-1);
        if (id < 0) {
            throw new RegistryException(500, RegistryException.STORE_ERROR, "registry answered without an id: " + answer);
        }
        idsBySubjectSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    @Override
    public RegisteredSchema lookup(String subject, Schema schema) {
        ObjectNode body = JSON.createObjectNode().put("schema", schema.toString());
        JsonNode answer = call("POST", "/subjects/" + encode(subject), body);
        RegisteredSchema found = toRegistered(answer);
        idsBySubjectSchema.put(new SubjectSchema(subject, schema), found.id());
        return found;
    }

    /** Cached forever, since ids are immutable. */
    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id, null);
        Schema schema = parse(answer.path("schema").asText());
        schemasById.put(id, schema);
        return schema;
    }

    public RegisteredSchema latest(String subject) {
        return version(subject, "latest");
    }

    public RegisteredSchema version(String subject, String version) {
        return toRegistered(call("GET", "/subjects/" + encode(subject) + "/versions/" + encode(version), null));
    }

    public List<String> subjects() {
        JsonNode answer = call("GET", "/subjects", null);
        return JSON.convertValue(answer, JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    }

    public List<Integer> versions(String subject) {
        JsonNode answer = call("GET", "/subjects/" + encode(subject) + "/versions", null);
        return JSON.convertValue(answer, JSON.getTypeFactory().constructCollectionType(List.class, Integer.class));
    }

    public List<Integer> deleteSubject(String subject) {
        JsonNode answer = call("DELETE", "/subjects/" + encode(subject), null);
        idsBySubjectSchema.keySet().removeIf(k -> k.subject().equals(subject));
        return JSON.convertValue(answer, JSON.getTypeFactory().constructCollectionType(List.class, Integer.class));
    }

    /** The global compatibility level (e.g. BACKWARD). */
    public String compatibility() {
        return call("GET", "/config", null).path("compatibilityLevel").asText();
    }

    public void setCompatibility(String subjectOrNull, String level) {
        String path = subjectOrNull == null ? "/config" : "/config/" + encode(subjectOrNull);
        call("PUT", path, JSON.createObjectNode().put("compatibility", level));
    }

    private RegisteredSchema toRegistered(JsonNode node) {
        return new RegisteredSchema(node.path("subject").asText(), node.path("id").asInt(),
                node.path("version").asInt(), parse(node.path("schema").asText()));
    }

    private static Schema parse(String text) {
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new RegistryException(500, RegistryException.INVALID_SCHEMA,
                    "registry returned a schema that does not parse: " + e.getMessage(), e);
        }
    }

    private JsonNode call(String method, String path, JsonNode body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUri + path))
                .timeout(timeout)
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE)
                    .method(method, HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException | HttpTimeoutException e) {
            throw new RegistryException(0, RegistryException.UNREACHABLE,
                    "schema registry " + baseUri + " is unreachable (" + method + " " + path + "): " + e, e);
        } catch (IOException e) {
            throw new RegistryException(0, RegistryException.UNREACHABLE,
                    "schema registry " + baseUri + " failed (" + method + " " + path + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(0, RegistryException.UNREACHABLE, "interrupted calling the schema registry", e);
        }
        JsonNode answer;
        try {
            answer = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new RegistryException(response.statusCode(), RegistryException.STORE_ERROR,
                    method + " " + path + " answered HTTP " + response.statusCode() + " with a body that is not JSON", e);
        }
        if (response.statusCode() >= 300) {
            int code = answer.path("error_code").asInt(response.statusCode());
            String message = answer.path("message").asText("HTTP " + response.statusCode());
            throw new RegistryException(response.statusCode(), code, method + " " + path + ": " + message);
        }
        return answer;
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
