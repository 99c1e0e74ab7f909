package io.otaflow.devstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.otaflow.schemas.registry.RegisteredSchema;
import io.otaflow.schemas.registry.RegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Confluent Schema Registry REST API (the Avro part) over {@link SchemaRegistryService}, so
 * that Confluent's serializers, Kafka Connect converters and other third-party clients can use it.
 * Errors use Confluent's JSON shape: {@code {"error_code": 40401, "message": "..."}}.
 */
public final class SchemaRegistryHttpServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryHttpServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

    private static final Pattern SUBJECT = Pattern.compile("^/subjects/([^/]+)/?$");
    private static final Pattern SUBJECT_VERSIONS = Pattern.compile("^/subjects/([^/]+)/versions/?$");
    private static final Pattern SUBJECT_VERSION = Pattern.compile("^/subjects/([^/]+)/versions/([^/]+)/?$");
    private static final Pattern SUBJECT_VERSION_SCHEMA = Pattern.compile("^/subjects/([^/]+)/versions/([^/]+)/schema/?$");
    private static final Pattern SCHEMA_BY_ID = Pattern.compile("^/schemas/ids/([^/]+)/?$");
    private static final Pattern SCHEMA_BY_ID_RAW = Pattern.compile("^/schemas/ids/([^/]+)/schema/?$");
    private static final Pattern CONFIG_SUBJECT = Pattern.compile("^/config/([^/]+)/?$");
    private static final Pattern COMPATIBILITY = Pattern.compile("^/compatibility/subjects/([^/]+)/versions/([^/]+)/?$");

    private final SchemaRegistryService service;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    public SchemaRegistryHttpServer(SchemaRegistryService service, InetSocketAddress bindAddress) throws IOException {
        this.service = service;
        this.server = HttpServer.create(bindAddress, 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://" + server.getAddress().getHostString() + ":" + port();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getRawPath();
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            try {
                Object answer = route(method, path, query, exchange);
                respond(exchange, 200, answer);
            } catch (RegistryException e) {
                respond(exchange, e.httpStatus(), error(e.errorCode(), e.getMessage()));
            } catch (BadRequest e) {
                respond(exchange, e.status, error(e.code, e.getMessage()));
            } catch (RuntimeException e) {
                log.warn("schema registry failed on {} {}", method, path, e);
                respond(exchange, 500, error(50001, "Error in the backend data store: " + e.getMessage()));
            }
        }
    }

    private Object route(String method, String path, Map<String, String> query, HttpExchange exchange) throws IOException {
        boolean deleted = Boolean.parseBoolean(query.get("deleted"));
        boolean permanent = Boolean.parseBoolean(query.get("permanent"));
        Matcher m;
        if (path.equals("/") || path.isEmpty()) {
            return JSON.createObjectNode();
        }
        if (path.equals("/subjects") || path.equals("/subjects/")) {
            requireMethod(method, "GET");
            return service.subjects(deleted);
        }
        if ((m = SUBJECT_VERSIONS.matcher(path)).matches()) {
            String subject = decode(m.group(1));
            return switch (method) {
                case "GET" -> service.versions(subject);
                case "POST" -> {
                    int id = service.register(subject, schemaOf(readBody(exchange)));
                    yield JSON.createObjectNode().put("id", id);
                }
                default -> throw methodNotAllowed(method);
            };
        }
        if ((m = SUBJECT_VERSION_SCHEMA.matcher(path)).matches()) {
            requireMethod(method, "GET");
            return JSON.readTree(service.version(decode(m.group(1)), decode(m.group(2))).schema().toString());
        }
        if ((m = SUBJECT_VERSION.matcher(path)).matches()) {
            String subject = decode(m.group(1));
            String version = decode(m.group(2));
            return switch (method) {
                case "GET" -> describe(service.version(subject, version));
                case "DELETE" -> service.deleteVersion(subject, version, permanent);
                default -> throw methodNotAllowed(method);
            };
        }
        if ((m = SUBJECT.matcher(path)).matches()) {
            String subject = decode(m.group(1));
            return switch (method) {
                case "POST" -> describe(service.lookup(subject, schemaOf(readBody(exchange))));
                case "DELETE" -> service.deleteSubject(subject, permanent);
                default -> throw methodNotAllowed(method);
            };
        }
        if ((m = SCHEMA_BY_ID_RAW.matcher(path)).matches()) {
            requireMethod(method, "GET");
            return JSON.readTree(service.schemaById(parseId(m.group(1))).toString());
        }
        if ((m = SCHEMA_BY_ID.matcher(path)).matches()) {
            requireMethod(method, "GET");
            return JSON.createObjectNode().put("schema", service.schemaById(parseId(m.group(1))).toString());
        }
        if (path.equals("/config") || path.equals("/config/")) {
            return switch (method) {
                case "GET" -> JSON.createObjectNode().put("compatibilityLevel", service.globalCompatibility().name());
                case "PUT" -> JSON.createObjectNode().put("compatibility",
                        service.setCompatibility(null, compatibilityOf(readBody(exchange))).name());
                default -> throw methodNotAllowed(method);
            };
        }
        if ((m = CONFIG_SUBJECT.matcher(path)).matches()) {
            String subject = decode(m.group(1));
            return switch (method) {
                case "GET" -> JSON.createObjectNode().put("compatibilityLevel",
                        service.subjectCompatibility(subject, Boolean.parseBoolean(query.get("defaultToGlobal"))).name());
                case "PUT" -> JSON.createObjectNode().put("compatibility",
                        service.setCompatibility(subject, compatibilityOf(readBody(exchange))).name());
                case "DELETE" -> JSON.createObjectNode().put("compatibilityLevel",
                        service.deleteSubjectCompatibility(subject).name());
                default -> throw methodNotAllowed(method);
            };
        }
        if ((m = COMPATIBILITY.matcher(path)).matches()) {
            requireMethod(method, "POST");
            boolean compatible = service.isCompatible(decode(m.group(1)), decode(m.group(2)), schemaOf(readBody(exchange)));
            return JSON.createObjectNode().put("is_compatible", compatible);
        }
        throw new BadRequest(404, 404, "HTTP 404 Not Found: " + method + " " + path);
    }

    private static ObjectNode describe(RegisteredSchema registered) {
        return JSON.createObjectNode().put("subject", registered.subject()).put("version", registered.version())
                .put("id", registered.id()).put("schema", registered.schema().toString());
    }

    /** The schema text of a request body; refuses non-Avro types and references, which this registry does not store. */
    private static String schemaOf(JsonNode body) {
        String type = body.path("schemaType").asText("AVRO");
        if (!type.equalsIgnoreCase("AVRO")) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Invalid schema: schemaType " + type + " is not supported; this registry stores Avro schemas only");
        }
        if (body.path("references").isArray() && !body.path("references").isEmpty()) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Invalid schema: schema references are not supported; inline the referenced types");
        }
        JsonNode schema = body.get("schema");
        if (schema == null || !schema.isTextual()) {
            throw new RegistryException(422, RegistryException.INVALID_SCHEMA,
                    "Invalid schema: the body needs a \"schema\" field holding the schema as a JSON string");
        }
        return schema.asText();
    }

    private static String compatibilityOf(JsonNode body) {
        JsonNode level = body.get("compatibility");
        if (level == null || !level.isTextual()) {
            throw new RegistryException(422, RegistryException.INVALID_COMPATIBILITY_LEVEL,
                    "Invalid compatibility level: the body needs a \"compatibility\" field");
        }
        return level.asText();
    }

    private static JsonNode readBody(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new BadRequest(413, 41301, "request body exceeds " + MAX_BODY_BYTES + " bytes");
            }
            JsonNode node = bytes.length == 0 ? null : JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw new BadRequest(400, 400, "the request body must be a JSON object");
            }
            return node;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new BadRequest(400, 400, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static int parseId(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new RegistryException(404, RegistryException.SCHEMA_NOT_FOUND, "Schema " + text + " not found");
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw methodNotAllowed(method);
        }
    }

    private static BadRequest methodNotAllowed(String method) {
        return new BadRequest(405, 405, "HTTP 405 Method Not Allowed: " + method);
    }

    private static ObjectNode error(int code, String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message);
    }

    private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String key = decode(eq < 0 ? pair : pair.substring(0, eq));
            params.put(key, eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return params;
    }

    /** A request the API refuses before it reaches the registry's rules. */
    private static final class BadRequest extends RuntimeException {
        final int status;
        final int code;

        BadRequest(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    /** For tests and tools: the routes served, for documentation. */
    static List<String> routes() {
        return List.of("GET /subjects", "GET|POST /subjects/{s}/versions", "GET|DELETE /subjects/{s}/versions/{v}",
                "POST|DELETE /subjects/{s}", "GET /schemas/ids/{id}", "GET|PUT /config", "GET|PUT|DELETE /config/{s}",
                "POST /compatibility/subjects/{s}/versions/{v}");
    }
}
