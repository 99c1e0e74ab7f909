package io.otaflow.schemas.topics;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Creates the catalog's topics idempotently: missing topics are created; existing ones get more
 * partitions if they have fewer than the catalog says (never fewer: that would reshuffle keys)
 * and the catalog's cleanup policy and retention if they differ. Safe to run at every start.
 */
public final class TopicAdmin {
    private static final Logger log = LoggerFactory.getLogger(TopicAdmin.class);
    private static final long TIMEOUT_S = 60;

    /** What a run did, topic by topic. */
    public record Result(List<String> created, List<String> repartitioned, List<String> reconfigured, List<String> unchanged) {
    }

    private TopicAdmin() {
    }

    public static Result ensureTopics(String bootstrapServers, TopicCatalog catalog, short replicationFactor) {
        Map<String, Object> settings = new java.util.HashMap<>(io.otaflow.schemas.config.KafkaClientSecurity.fromEnvironment());
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(settings)) {
            return ensureTopics(admin, catalog.all(), replicationFactor);
        }
    }

    public static Result ensureTopics(Admin admin, Collection<Topic<?>> topics, short replicationFactor) {
        List<String> created = new ArrayList<>();
        List<String> repartitioned = new ArrayList<>();
        List<String> reconfigured = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        try {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_S, TimeUnit.SECONDS);
            for (Topic<?> topic : topics) {
                if (!existing.contains(topic.name())) {
                    try {
                        admin.createTopics(List.of(topic.newTopic(replicationFactor))).all().get(TIMEOUT_S, TimeUnit.SECONDS);
                        created.add(topic.name());
                        continue;
                    } catch (ExecutionException e) {
                        if (!(e.getCause() instanceof TopicExistsException)) {
                            throw e;
                        }
                        // Someone else created it meanwhile: check it like any existing topic.
                    }
                }
                boolean changed = false;
                TopicDescription description = admin.describeTopics(List.of(topic.name())).allTopicNames()
                        .get(TIMEOUT_S, TimeUnit.SECONDS).get(topic.name());
                int partitions = description.partitions().size();
                if (partitions < topic.partitions()) {
                    admin.createPartitions(Map.of(topic.name(), NewPartitions.increaseTo(topic.partitions())))
                            .all().get(TIMEOUT_S, TimeUnit.SECONDS);
                    repartitioned.add(topic.name());
                    changed = true;
                } else if (partitions > topic.partitions()) {
                    log.info("topic {} has {} partitions, more than the catalog's {}: kept", topic.name(), partitions, topic.partitions());
                }
                if (reconfigure(admin, topic)) {
                    reconfigured.add(topic.name());
                    changed = true;
                }
                if (!changed) {
                    unchanged.add(topic.name());
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create otaflow's topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("timed out after " + TIMEOUT_S + " s creating otaflow's topics: is Kafka reachable?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating otaflow's topics", e);
        }
        Result result = new Result(created, repartitioned, reconfigured, unchanged);
        log.info("topics: created {}, repartitioned {}, reconfigured {}, unchanged {}",
                created, repartitioned, reconfigured, unchanged.size());
        return result;
    }

    private static boolean reconfigure(Admin admin, Topic<?> topic) throws ExecutionException, InterruptedException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
        Config current = admin.describeConfigs(List.of(resource)).all().get(TIMEOUT_S, TimeUnit.SECONDS).get(resource);
        Map<String, String> wanted = topic.configs();
        List<AlterConfigOp> ops = wanted.entrySet().stream()
                .filter(e -> {
                    ConfigEntry entry = current.get(e.getKey());
                    return entry == null || !e.getValue().equals(entry.value());
                })
                .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET))
                .collect(Collectors.toList());
        if (ops.isEmpty()) {
            return false;
        }
        Map<ConfigResource, Collection<AlterConfigOp>> change = new HashMap<>();
        change.put(resource, ops);
        admin.incrementalAlterConfigs(change).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        return true;
    }
}
