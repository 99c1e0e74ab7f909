package io.otaflow.bridge.desired;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OCI image reference as the paper's Configurations write it, {@code <registry>/<repo>:<tag>}:
 * the registry is the first path segment when it holds a dot, a colon or is {@code localhost}
 * (Docker's rule), the tag is the firmware version, the repository's last segment its type.
 */
public record OciReference(String registry, String repository, String tag) {
    private static final Pattern REFERENCE = Pattern.compile("(?<path>[a-z0-9][a-z0-9._/:-]*?):(?<tag>[A-Za-z0-9_][A-Za-z0-9._+-]{0,127})");

    public static OciReference parse(String text) {
        String value = text.strip();
        if (value.contains("@")) {
            throw new IllegalArgumentException("'" + value + "': digest references are not supported; use <registry>/<repo>:<tag> with the version as tag");
        }
        Matcher m = REFERENCE.matcher(value);
        if (!m.matches() || m.group("path").endsWith("/") || !m.group("path").contains("/")) {
            throw new IllegalArgumentException("'" + value + "' is not <registry>/<repository>:<tag>");
        }
        String path = m.group("path");
        int slash = path.indexOf('/');
        String first = path.substring(0, slash);
        if (!(first.contains(".") || first.contains(":") || first.equals("localhost"))) {
            throw new IllegalArgumentException("'" + value + "' names no registry host (e.g. ghcr.io/org/picow-blink:1.1.0)");
        }
        return new OciReference(first, path.substring(slash + 1), m.group("tag"));
    }

    /** The repository's last path segment, which names the firmware type. */
    public String name() {
        return repository.substring(repository.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return registry + "/" + repository + ":" + tag;
    }
}
