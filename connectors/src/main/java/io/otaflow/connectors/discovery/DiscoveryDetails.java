package io.otaflow.connectors.discovery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where and how to look for devices: a Configuration's {@code discoveryDetails} (YAML), the
 * same for Akri and for the standalone handler. Example:
 * <pre>
 * addresses: ["10.0.0.0/28", "192.168.1.10-192.168.1.20", "pico-7.lan"]
 * ports: [80]
 * endpoints: ["http://127.10.0.1:8080"]   # explicit base URLs, in addition
 * metadataPath: /api/v1/metadata
 * profile: otaflow                        # or "authors": {device, application, version}
 * expectedType: blink
 * otaPort: 4242
 * pollInterval: 10s
 * timeout: 2s
 * concurrency: 256
 * missesBeforeAbsent: 3
 * heartbeatInterval: 5m
 * flashGrace: 2m                          # keep a silent device present this long after flash progress
 * configuration: default/picow-blink      # tags events (Akri does not tell handlers the Configuration)
 * </pre>
 * Everything is checked here; an invalid value is an {@link IllegalArgumentException} that says
 * which key and why (the gRPC service turns it into INVALID_ARGUMENT).
 */
public record DiscoveryDetails(String configuration, List<URI> targets, String metadataPath, MetadataProfile profile, String expectedType,
                               int otaPort, Duration pollInterval, Duration timeout, int concurrency,
                               int missesBeforeAbsent, Duration heartbeatInterval, Duration flashGrace) {

    /** More targets than this is a configuration mistake (a /8), not a fleet on one node. */
    public static final int MAX_TARGETS = 65_536;
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> KEYS = Set.of("addresses", "ports", "endpoints", "metadataPath", "profile",
            "expectedType", "otaPort", "pollInterval", "timeout", "concurrency", "missesBeforeAbsent", "heartbeatInterval",
            "flashGrace", "scheme", "configuration");

    public static DiscoveryDetails parse(String yaml) {
        JsonNode root;
        try {
            root = yaml == null || yaml.isBlank() ? YAML.createObjectNode() : YAML.readTree(yaml);
        } catch (Exception e) {
            throw new IllegalArgumentException("discoveryDetails is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || root.isNull() || root.isMissingNode()) {
            root = YAML.createObjectNode();
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException("discoveryDetails must be a YAML mapping");
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KEYS.contains(name)) {
                throw new IllegalArgumentException("discoveryDetails has an unknown key '" + name + "' (known: " + new java.util.TreeSet<>(KEYS) + ")");
            }
        }
        String scheme = text(root, "scheme", "http");
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("scheme must be http or https, not " + scheme);
        }
        List<Integer> ports = new ArrayList<>();
        for (JsonNode port : list(root, "ports")) {
            ports.add(port(port, "ports"));
        }
        if (ports.isEmpty()) {
            ports.add(scheme.equals("https") ? 443 : 80);
        }
        Set<URI> targets = new LinkedHashSet<>();
        for (JsonNode address : list(root, "addresses")) {
            for (String host : hosts(address.asText())) {
                for (int port : ports) {
                    targets.add(URI.create(scheme + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port));
                    checkSize(targets.size());
                }
            }
        }
        for (JsonNode endpoint : list(root, "endpoints")) {
            URI uri;
            try {
                uri = URI.create(endpoint.asText().replaceAll("/+$", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("endpoints: '" + endpoint.asText() + "' is not a URL");
            }
            if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
                throw new IllegalArgumentException("endpoints: '" + endpoint.asText() + "' is not an http(s) URL with a host");
            }
            targets.add(uri);
            checkSize(targets.size());
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("discoveryDetails names no device: give addresses (with ports) or endpoints");
        }
        String path = text(root, "metadataPath", "/api/v1/metadata");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("metadataPath must start with '/': " + path);
        }
        MetadataProfile profile = MetadataProfile.named(text(root, "profile", "otaflow"));
        String expectedType = root.hasNonNull("expectedType") ? root.get("expectedType").asText() : null;
        int otaPort = root.has("otaPort") ? port(root.get("otaPort"), "otaPort") : 4242;
        Duration pollInterval = duration(root, "pollInterval", "10s", Duration.ofMillis(50), Duration.ofHours(24));
        Duration timeout = duration(root, "timeout", "2s", Duration.ofMillis(10), Duration.ofMinutes(5));
        int concurrency = integer(root, "concurrency", 256, 1, 10_000);
        int misses = integer(root, "missesBeforeAbsent", 3, 1, 1000);
        Duration heartbeat = duration(root, "heartbeatInterval", "5m", Duration.ofMillis(100), Duration.ofDays(7));
        Duration flashGrace = duration(root, "flashGrace", "2m", Duration.ZERO, Duration.ofHours(24));
        String configuration = root.hasNonNull("configuration") ? text(root, "configuration", null) : null;
        if (configuration != null && !configuration.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?")) {
            throw new IllegalArgumentException("configuration must be namespace/name as in Kubernetes, not " + configuration);
        }
        return new DiscoveryDetails(configuration, List.copyOf(targets), path, profile, expectedType, otaPort, pollInterval, timeout,
                concurrency, misses, heartbeat, flashGrace);
    }

    private static void checkSize(int size) {
        if (size > MAX_TARGETS) {
            throw new IllegalArgumentException("discoveryDetails names more than " + MAX_TARGETS + " targets: narrow the ranges");
        }
    }

    private static List<JsonNode> list(JsonNode root, String key) {
        JsonNode node = root.get(key);
        List<JsonNode> items = new ArrayList<>();
        if (node == null || node.isNull()) {
            return items;
        }
        if (node.isArray()) {
            node.forEach(items::add);
        } else {
            items.add(node);
        }
        return items;
    }

    private static String text(JsonNode root, String key, String fallback) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isValueNode()) {
            throw new IllegalArgumentException(key + " must be a single value");
        }
        return node.asText();
    }

    private static int port(JsonNode node, String key) {
        if (!node.canConvertToInt() || node.asInt() < 1 || node.asInt() > 65535) {
            throw new IllegalArgumentException(key + ": '" + node.asText() + "' is not a port (1-65535)");
        }
        return node.asInt();
    }

    private static int integer(JsonNode root, String key, int fallback, int min, int max) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.canConvertToInt() || node.asInt() < min || node.asInt() > max) {
            throw new IllegalArgumentException(key + " must be a whole number from " + min + " to " + max + ", not '" + node.asText() + "'");
        }
        return node.asInt();
    }

    private static Duration duration(JsonNode root, String key, String fallback, Duration min, Duration max) {
        String text = text(root, key, fallback).trim().toLowerCase(Locale.ROOT);
        Duration value;
        try {
            if (text.endsWith("ms")) {
                value = Duration.ofMillis(Long.parseLong(text.substring(0, text.length() - 2).trim()));
            } else if (text.endsWith("s")) {
                value = Duration.ofMillis(Math.round(Double.parseDouble(text.substring(0, text.length() - 1).trim()) * 1000));
            } else if (text.endsWith("m")) {
                value = Duration.ofSeconds(Math.round(Double.parseDouble(text.substring(0, text.length() - 1).trim()) * 60));
            } else if (text.endsWith("h")) {
                value = Duration.ofMinutes(Math.round(Double.parseDouble(text.substring(0, text.length() - 1).trim()) * 60));
            } else {
                value = Duration.parse(text.toUpperCase(Locale.ROOT));
            }
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(key + ": '" + text + "' is not a duration (e.g. 500ms, 10s, 5m)");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", not " + text);
        }
        return value;
    }

    /** One address entry: a CIDR block, a start-end range, or one host name or address. */
    static List<String> hosts(String entry) {
        String spec = entry.trim();
        try {
            if (spec.contains("/")) {
                String[] parts = spec.split("/");
                InetAddress base = InetAddress.getByName(parts[0]);
                int prefix = Integer.parseInt(parts[1]);
                int bits = base.getAddress().length * 8;
                if (prefix < 0 || prefix > bits) {
                    throw new IllegalArgumentException("prefix length");
                }
                BigInteger start = new BigInteger(1, base.getAddress()).shiftRight(bits - prefix).shiftLeft(bits - prefix);
                BigInteger size = BigInteger.ONE.shiftLeft(bits - prefix);
                if (size.compareTo(BigInteger.valueOf(MAX_TARGETS)) > 0) {
                    throw new IllegalArgumentException("discoveryDetails names more than " + MAX_TARGETS + " targets: " + spec + " is too wide");
                }
                return range(start, start.add(size).subtract(BigInteger.ONE), bits, prefix < bits - 1 && bits == 32);
            }
            if (spec.contains("-") && !spec.matches(".*[a-zA-Z].*")) {
                String[] parts = spec.split("-");
                byte[] from = InetAddress.getByName(parts[0].trim()).getAddress();
                byte[] to = InetAddress.getByName(parts[1].trim()).getAddress();
                if (from.length != to.length) {
                    throw new IllegalArgumentException("mixed IPv4 and IPv6");
                }
                BigInteger start = new BigInteger(1, from);
                BigInteger end = new BigInteger(1, to);
                if (end.compareTo(start) < 0) {
                    throw new IllegalArgumentException("range ends before it starts");
                }
                if (end.subtract(start).compareTo(BigInteger.valueOf(MAX_TARGETS)) >= 0) {
                    throw new IllegalArgumentException("discoveryDetails names more than " + MAX_TARGETS + " targets: " + spec + " is too wide");
                }
                return range(start, end, from.length * 8, false);
            }
            if (spec.isEmpty() || !spec.matches("[A-Za-z0-9.:_-]+")) {
                throw new IllegalArgumentException("not a host");
            }
            return List.of(spec);
        } catch (UnknownHostException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("addresses: '" + entry + "' is not a CIDR block, a start-end range or a host");
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("discoveryDetails")) {
                throw e;
            }
            throw new IllegalArgumentException("addresses: '" + entry + "' is not a CIDR block, a start-end range or a host ("
                    + e.getMessage() + ")");
        }
    }

    /** Addresses from start to end; for an IPv4 block, without its network and broadcast addresses. */
    private static List<String> range(BigInteger start, BigInteger end, int bits, boolean skipNetworkAndBroadcast) {
        List<String> hosts = new ArrayList<>();
        BigInteger from = skipNetworkAndBroadcast ? start.add(BigInteger.ONE) : start;
        BigInteger to = skipNetworkAndBroadcast ? end.subtract(BigInteger.ONE) : end;
        for (BigInteger a = from; a.compareTo(to) <= 0; a = a.add(BigInteger.ONE)) {
            byte[] raw = a.toByteArray();
            byte[] address = new byte[bits / 8];
            int copy = Math.min(raw.length, address.length);
            System.arraycopy(raw, raw.length - copy, address, address.length - copy, copy);
            try {
                hosts.add(InetAddress.getByAddress(address).getHostAddress());
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return hosts;
    }
}
