package io.otaflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The metric names a Grafana dashboard's PromQL reads. */
final class DashboardMetrics {
    private static final Pattern NAME = Pattern.compile("\\b((?:otaflow|jvm|process|kafka)_[a-zA-Z0-9_]+)");

    private DashboardMetrics() {
    }

    static Set<String> of(JsonNode dashboard) {
        Set<String> names = new TreeSet<>();
        collect(dashboard, names);
        return names;
    }

    private static void collect(JsonNode node, Set<String> names) {
        if (node.isObject()) {
            node.properties().forEach(field -> {
                if ((field.getKey().equals("expr") || field.getKey().equals("query") || field.getKey().equals("definition"))
                        && field.getValue().isTextual()) {
                    Matcher m = NAME.matcher(field.getValue().asText());
                    while (m.find()) {
                        names.add(m.group(1));
                    }
                } else {
                    collect(field.getValue(), names);
                }
            });
        } else if (node.isArray()) {
            node.forEach(child -> collect(child, names));
        }
    }
}
