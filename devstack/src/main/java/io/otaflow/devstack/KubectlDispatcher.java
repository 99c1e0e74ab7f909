package io.otaflow.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What kubectl needs of an API server and fabric8's CRUD server does not give, in front of it:
 * discovery ({@code /version}, {@code /api}, {@code /apis}, each group version's resources with
 * verbs, short names, categories and singular names, from the installed CRDs), typed list kinds,
 * server-side Table output from each CRD's {@code additionalPrinterColumns}, and {@code Status}
 * bodies for errors. Everything else, watches over WebSockets included, is the CRUD server's.
 * Aggregated discovery is not offered: a plain {@code application/json} answer makes kubectl fall
 * back to the per-group documents, as it does with older servers.
 */
final class KubectlDispatcher extends Dispatcher {
    static final String SERVER_VERSION = "v1.32.0-otaflow-embedded";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> VERBS = List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");
    /** /apis/GROUP/VERSION[/namespaces/NS]/PLURAL[/NAME[/SUBRESOURCE]] */
    private static final Pattern RESOURCE = Pattern.compile(
            "^/apis/([^/]+)/([^/]+)(?:/namespaces/([^/]+))?/([^/]+)(?:/([^/]+))?(?:/([^/]+))?$");

    private final Dispatcher crud;
    private final Supplier<List<CustomResourceDefinition>> crds;

    KubectlDispatcher(Dispatcher crud, Supplier<List<CustomResourceDefinition>> crds) {
        this.crud = crud;
        this.crds = crds;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getPath();
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        if (bare.length() > 1 && bare.endsWith("/")) {
            bare = bare.substring(0, bare.length() - 1);
        }
        try {
            if ("GET".equals(request.getMethod())) {
                Optional<JsonNode> discovery = discovery(bare);
                if (discovery.isPresent()) {
                    return json(200, discovery.get());
                }
                if (bare.startsWith("/openapi")) {
                    return status(404, "NotFound", "the embedded API server publishes no OpenAPI document", null);
                }
            }
            MockResponse response = crud.dispatch(request);
            if (response.getWebSocketListener() != null) {
                return response;
            }
            Matcher m = RESOURCE.matcher(bare);
            Optional<CustomResourceDefinition> crd = m.matches() ? crd(m.group(1), m.group(4)) : Optional.empty();
            if (response.code() >= 400) {
                return errorStatus(response, crd.orElse(null), m.matches() ? m.group(5) : null);
            }
            boolean table = String.valueOf(request.getHeader("Accept")).contains("as=Table");
            // Only a Table or a list (its kind) needs rewriting: fabric8 clients' reads of one object pass untouched.
            if (crd.isEmpty() || !"GET".equals(request.getMethod()) || m.group(6) != null || (!table && m.group(5) != null)) {
                return response;
            }
            JsonNode body = JSON.readTree(bytes(response));
            if (table) {
                return json(200, table(crd.get(), m.group(2), body, includeObject(path)));
            }
            if (body.isObject() && "List".equals(body.path("kind").asText())) {
                ((ObjectNode) body).put("kind", crd.get().getSpec().getNames().getKind() + "List");
                ((ObjectNode) body).put("apiVersion", m.group(1) + "/" + m.group(2));
            }
            return json(response.code(), body);
        } catch (IOException | RuntimeException e) {
            return status(500, "InternalError", "embedded API server: " + e, null);
        }
    }

    @Override
    public void shutdown() {
        crud.shutdown();
    }

    // ------------------------------------------------------------------ discovery

    private Optional<JsonNode> discovery(String path) {
        switch (path) {
            case "/version":
                return Optional.of(JSON.createObjectNode().put("major", "1").put("minor", "32").put("gitVersion", SERVER_VERSION)
                        .put("platform", "linux/amd64"));
            case "/api":
                ObjectNode api = JSON.createObjectNode().put("kind", "APIVersions");
                api.putArray("versions").add("v1");
                api.putArray("serverAddressByClientCIDRs");
                return Optional.of(api);
            case "/api/v1":
                ObjectNode core = resourceList("v1");
                ArrayNode resources = (ArrayNode) core.get("resources");
                resources.add(resource("namespaces", "namespace", false, "Namespace", List.of("ns"), List.of()));
                resources.add(resource("events", "event", true, "Event", List.of("ev"), List.of()));
                return Optional.of(core);
            case "/apis":
                return Optional.of(groups());
            case "/apis/apiextensions.k8s.io/v1":
                ObjectNode ext = resourceList("apiextensions.k8s.io/v1");
                ((ArrayNode) ext.get("resources")).add(resource("customresourcedefinitions", "customresourcedefinition", false,
                        "CustomResourceDefinition", List.of("crd", "crds"), List.of()));
                return Optional.of(ext);
            default:
                break;
        }
        String[] parts = path.split("/");
        if (parts.length == 3 && parts[1].equals("apis")) {
            return group(parts[2]);
        }
        if (parts.length == 4 && parts[1].equals("apis")) {
            return groupVersion(parts[2], parts[3]);
        }
        return Optional.empty();
    }

    private ObjectNode groups() {
        ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        groups.add(groupNode("apiextensions.k8s.io", List.of("v1")));
        crds.get().stream().map(c -> c.getSpec().getGroup()).distinct().forEach(group -> groups.add(groupNode(group, versions(group))));
        return list;
    }

    private Optional<JsonNode> group(String group) {
        List<String> versions = group.equals("apiextensions.k8s.io") ? List.of("v1") : versions(group);
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode node = groupNode(group, versions).put("kind", "APIGroup").put("apiVersion", "v1");
        return Optional.of(node);
    }

    private List<String> versions(String group) {
        return crds.get().stream().filter(c -> c.getSpec().getGroup().equals(group))
                .flatMap(c -> c.getSpec().getVersions().stream()).filter(CustomResourceDefinitionVersion::getServed)
                .map(CustomResourceDefinitionVersion::getName).distinct().toList();
    }

    private ObjectNode groupNode(String group, List<String> versions) {
        ObjectNode node = JSON.createObjectNode().put("name", group);
        ArrayNode list = node.putArray("versions");
        versions.forEach(v -> list.add(JSON.createObjectNode().put("groupVersion", group + "/" + v).put("version", v)));
        node.set("preferredVersion", JSON.createObjectNode().put("groupVersion", group + "/" + versions.get(0)).put("version", versions.get(0)));
        return node;
    }

    private Optional<JsonNode> groupVersion(String group, String version) {
        List<CustomResourceDefinition> served = crds.get().stream().filter(c -> c.getSpec().getGroup().equals(group))
                .filter(c -> c.getSpec().getVersions().stream().anyMatch(v -> v.getName().equals(version) && v.getServed())).toList();
        if (served.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode list = resourceList(group + "/" + version);
        ArrayNode resources = (ArrayNode) list.get("resources");
        for (CustomResourceDefinition crd : served) {
            var names = crd.getSpec().getNames();
            boolean namespaced = "Namespaced".equals(crd.getSpec().getScope());
            resources.add(resource(names.getPlural(), names.getSingular(), namespaced, names.getKind(),
                    names.getShortNames() == null ? List.of() : names.getShortNames(),
                    names.getCategories() == null ? List.of() : names.getCategories()));
            boolean status = crd.getSpec().getVersions().stream()
                    .anyMatch(v -> v.getName().equals(version) && v.getSubresources() != null && v.getSubresources().getStatus() != null);
            if (status) {
                ObjectNode sub = JSON.createObjectNode().put("name", names.getPlural() + "/status").put("singularName", "")
                        .put("namespaced", namespaced).put("kind", names.getKind());
                sub.putArray("verbs").add("get").add("patch").add("update");
                resources.add(sub);
            }
        }
        return Optional.of(list);
    }

    private static ObjectNode resourceList(String groupVersion) {
        ObjectNode list = JSON.createObjectNode().put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", groupVersion);
        list.putArray("resources");
        return list;
    }

    private static ObjectNode resource(String plural, String singular, boolean namespaced, String kind, List<String> shortNames,
                                       List<String> categories) {
        ObjectNode node = JSON.createObjectNode().put("name", plural).put("singularName", singular).put("namespaced", namespaced)
                .put("kind", kind);
        ArrayNode verbs = node.putArray("verbs");
        VERBS.forEach(verbs::add);
        ArrayNode shorts = node.putArray("shortNames");
        shortNames.forEach(shorts::add);
        ArrayNode cats = node.putArray("categories");
        categories.forEach(cats::add);
        return node;
    }

    private Optional<CustomResourceDefinition> crd(String group, String plural) {
        return crds.get().stream().filter(c -> c.getSpec().getGroup().equals(group) && c.getSpec().getNames().getPlural().equals(plural))
                .findFirst();
    }

    // ------------------------------------------------------------------ tables

    private enum Include { NONE, METADATA, OBJECT }

    private static Include includeObject(String path) {
        if (path.contains("includeObject=None")) {
            return Include.NONE;
        }
        return path.contains("includeObject=Object") ? Include.OBJECT : Include.METADATA;
    }

    /** A meta.k8s.io/v1 Table of one object or a list, its columns Name and the CRD version's printer columns. */
    private static ObjectNode table(CustomResourceDefinition crd, String version, JsonNode body, Include include) {
        List<CustomResourceColumnDefinition> columns = crd.getSpec().getVersions().stream().filter(v -> v.getName().equals(version))
                .findFirst().map(CustomResourceDefinitionVersion::getAdditionalPrinterColumns).orElse(null);
        ObjectNode table = JSON.createObjectNode().put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        table.set("metadata", body.has("items") ? body.path("metadata").deepCopy() : JSON.createObjectNode());
        ArrayNode definitions = table.putArray("columnDefinitions");
        definitions.add(column("Name", "string", "name", "Name must be unique within a namespace.", 0));
        if (columns == null) {
            definitions.add(column("Age", "date", "", "CreationTimestamp", 0));
        } else {
            columns.forEach(c -> definitions.add(column(c.getName(), c.getType(), c.getFormat() == null ? "" : c.getFormat(),
                    c.getDescription() == null ? "" : c.getDescription(), c.getPriority() == null ? 0 : c.getPriority())));
        }
        ArrayNode rows = table.putArray("rows");
        Iterable<JsonNode> items = body.has("items") ? body.get("items") : List.of(body);
        for (JsonNode item : items) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            cells.add(item.path("metadata").path("name").asText());
            if (columns == null) {
                cells.add(age(item.path("metadata").path("creationTimestamp"), Instant.now()));
            } else {
                columns.forEach(c -> cells.add("date".equals(c.getType()) ? age(cell(item, c.getJsonPath()), Instant.now())
                        : cell(item, c.getJsonPath())));
            }
            switch (include) {
                case OBJECT -> row.set("object", item);
                case METADATA -> {
                    ObjectNode partial = row.putObject("object").put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
                    partial.set("metadata", item.path("metadata"));
                }
                case NONE -> {
                }
            }
        }
        return table;
    }

    private static ObjectNode column(String name, String type, String format, String description, int priority) {
        return JSON.createObjectNode().put("name", name).put("type", type).put("format", format).put("description", description)
                .put("priority", priority);
    }

    /** A printer column's value: a simple JSONPath ({@code .status.firmware.version}), read as a JSON Pointer. */
    static JsonNode cell(JsonNode item, String jsonPath) {
        String pointer = jsonPath.startsWith(".") ? jsonPath.substring(1).replace('.', '/') : jsonPath.replace('.', '/');
        JsonNode value = item.at("/" + pointer);
        if (value.isMissingNode() || value.isNull()) {
            return JSON.nullNode();
        }
        if (value.isContainerNode()) {
            return JSON.getNodeFactory().textNode(value.toString());
        }
        return value;
    }

    /** A date cell as the API server renders it: the time since, kubectl's way (90s, 5m, 3h20m, 2d4h, 30d); {@code <unknown>} if unreadable. */
    static JsonNode age(JsonNode timestamp, Instant now) {
        if (timestamp == null || !timestamp.isTextual()) {
            return JSON.getNodeFactory().textNode("<unknown>");
        }
        Duration d;
        try {
            d = Duration.between(Instant.parse(timestamp.asText()), now);
        } catch (java.time.format.DateTimeParseException e) {
            return JSON.getNodeFactory().textNode("<unknown>");
        }
        long s = Math.max(0, d.getSeconds());
        String text;
        if (s < 120) {
            text = s + "s";
        } else if (s < 600) {
            text = s / 60 + "m" + (s % 60 == 0 ? "" : s % 60 + "s");
        } else if (s < 3 * 3600) {
            text = s / 60 + "m";
        } else if (s < 8 * 3600) {
            text = s / 3600 + "h" + (s % 3600 / 60 == 0 ? "" : s % 3600 / 60 + "m");
        } else if (s < 48 * 3600) {
            text = s / 3600 + "h";
        } else if (s < 8 * 86400) {
            text = s / 86400 + "d" + (s % 86400 / 3600 == 0 ? "" : s % 86400 / 3600 + "h");
        } else {
            text = s / 86400 + "d";
        }
        return JSON.getNodeFactory().textNode(text);
    }

    // ------------------------------------------------------------------ errors

    private static MockResponse errorStatus(MockResponse response, CustomResourceDefinition crd, String name) throws IOException {
        byte[] body = bytes(response);
        if (body.length > 0) {
            try {
                JsonNode node = JSON.readTree(body);
                if (node.isObject() && "Status".equals(node.path("kind").asText())) {
                    return json(response.code(), node);
                }
            } catch (IOException notJson) {
                // fall through to a Status of our own
            }
        }
        String resource = crd == null ? "resource" : crd.getSpec().getNames().getPlural() + "." + crd.getSpec().getGroup();
        return switch (response.code()) {
            case 404 -> status(404, "NotFound", name == null ? "the server could not find the requested resource"
                    : resource + " \"" + name + "\" not found", detail(crd, name));
            case 409 -> status(409, "AlreadyExists", resource + (name == null ? "" : " \"" + name + "\"") + " already exists or changed meanwhile",
                    detail(crd, name));
            case 422 -> status(422, "Invalid", resource + (name == null ? "" : " \"" + name + "\"") + " is invalid", detail(crd, name));
            default -> status(response.code(), response.code() >= 500 ? "InternalError" : "BadRequest",
                    new String(body, StandardCharsets.UTF_8), detail(crd, name));
        };
    }

    private static ObjectNode detail(CustomResourceDefinition crd, String name) {
        if (crd == null) {
            return null;
        }
        ObjectNode details = JSON.createObjectNode().put("group", crd.getSpec().getGroup()).put("kind", crd.getSpec().getNames().getPlural());
        if (name != null) {
            details.put("name", name);
        }
        return details;
    }

    private static MockResponse status(int code, String reason, String message, ObjectNode details) {
        ObjectNode status = JSON.createObjectNode().put("kind", "Status").put("apiVersion", "v1");
        status.putObject("metadata");
        status.put("status", "Failure").put("message", message).put("reason", reason).put("code", code);
        if (details != null) {
            status.set("details", details);
        }
        return json(code, status);
    }

    private static byte[] bytes(MockResponse response) {
        return response.getBody() == null ? new byte[0] : response.getBody().getBytes();
    }

    private static MockResponse json(int code, JsonNode body) {
        return new MockResponse().setResponseCode(code).setHeader("Content-Type", "application/json").setBody(body.toString());
    }
}
