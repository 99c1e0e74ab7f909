package io.otaflow.cli;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.schemas.topics.Topic;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import io.otaflow.schemas.topics.TopicAdmin;
import io.otaflow.schemas.topics.TopicCatalog;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/** {@code otaflow topics}: otaflow's topics, their value schemas and what the cluster holds of them. */
@Command(name = "topics", mixinStandardHelpOptions = true,
        description = "List otaflow's topics: key, value record (Avro, subject <topic>-value), kind, partitions and records in the cluster.")
final class TopicsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Connection connection;

    @Option(names = "--create", description = "Create missing topics first (and add partitions, restore compaction), idempotently.")
    boolean create;

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of created topics (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--replication-factor", defaultValue = "3", description = "Replication factor of created topics (default: ${DEFAULT-VALUE}).")
    short replicationFactor;

    @Override
    public Integer call() throws Exception {
        boolean json = connection.json();
        connection.checkKafka();
        if (create) {
            TopicAdmin.Result result = TopicAdmin.ensureTopics(connection.kafka(), new TopicCatalog(connection.topics().prefix(), partitions), replicationFactor);
            spec.commandLine().getOut().println("topics: " + result);
        }
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, connection.kafka());
        props.putAll(KafkaClientSecurity.fromEnvironment());
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Admin admin = Admin.create(props)) {
            List<String> names = connection.topics().all().stream().map(Topic::name).toList();
            var existing = admin.listTopics().names().get(10, TimeUnit.SECONDS);
            List<String> present = names.stream().filter(existing::contains).toList();
            Map<String, TopicDescription> descriptions = present.isEmpty() ? Map.of() : admin.describeTopics(present).allTopicNames().get(10, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            descriptions.values().forEach(d -> d.partitions().forEach(p -> {
                earliest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.earliest());
                latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
            }));
            var starts = admin.listOffsets(earliest).all().get(10, TimeUnit.SECONDS);
            var ends = admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            for (Topic<?> topic : connection.topics().all()) {
                TopicDescription description = descriptions.get(topic.name());
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("topic", topic.name());
                row.put("value", topic.valueType().getSimpleName());
                row.put("subject", topic.name() + "-value");
                row.put("kind", topic.compacted() ? "compacted" : "event");
                row.put("partitions", description == null ? null : description.partitions().size());
                long records = 0;
                if (description != null) {
                    for (var p : description.partitions()) {
                        TopicPartition tp = new TopicPartition(topic.name(), p.partition());
                        records += ends.get(tp).offset() - starts.get(tp).offset();
                    }
                }
                row.put("records", description == null ? null : records);
                rows.add(row);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(DevicesCommand.Json.write(rows));
        } else {
            String format = "%-36s %-16s %-10s %-11s %s%n";
            out.printf(format, "TOPIC", "VALUE", "KIND", "PARTITIONS", "RECORDS");
            for (Map<String, Object> r : rows) {
                out.printf(format, r.get("topic"), r.get("value"), r.get("kind"),
                        r.get("partitions") == null ? "missing" : r.get("partitions"), r.get("records") == null ? "-" : r.get("records"));
            }
        }
        out.flush();
        return 0;
    }
}
