package io.otaflow.bridge.jobs;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.WireFormatException;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Job mode, the paper's design: each flash command becomes a Kubernetes Job running
 * {@code otaflow flash} with the command in {@code OTAFLOW_FLASH_COMMAND}. Unlike Akri's own
 * broker Jobs, these are not owned by the Instance, so the Instance's deletion while the device
 * sits in its bootloader cannot kill a flash half way. A Job is named after its command, so a
 * command redelivered after a crash finds its Job already there (409) and starts nothing twice;
 * offsets are committed only after the Job exists. When the command's terminal progress arrives,
 * the Job is deleted ({@code ttlSecondsAfterFinished} also cleans up, where the cluster runs it).
 */
public final class FlashJobs implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FlashJobs.class);
    public static final String COMMAND_ENV = "OTAFLOW_FLASH_COMMAND";
    public static final String COMMAND_ID_ANNOTATION = "otaflow.io/command-id";
    public static final String DEVICE_ID_ANNOTATION = "otaflow.io/device-id";
    /** The optional Secret every otaflow Pod reads its Kafka credentials from (deploy/README.md); flash Jobs too. */
    public static final String CREDENTIALS_SECRET = "otaflow-kafka-credentials";

    /** What the Jobs look like. */
    public record Settings(String namespace, String image, String serviceAccount, List<String> flashArgs, List<String> envConfigMaps,
                           int ttlSeconds) {
    }

    private final KubernetesClient client;
    private final Settings settings;
    private final Clock clock;
    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroDeserializer<FlashCommand> commands;
    private final String topic;
    private final Consumer<ConsumerRecord<String, byte[]>> deadLetters;
    private final Thread thread;
    private volatile boolean running = true;

    public FlashJobs(KubernetesClient client, Settings settings, String bootstrapServers, SchemaRegistry registry, TopicCatalog topics,
                     Consumer<ConsumerRecord<String, byte[]>> deadLetters, Clock clock) {
        this.client = client;
        this.settings = settings;
        this.clock = clock;
        this.deadLetters = deadLetters;
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.putAll(KafkaClientSecurity.fromEnvironment());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "otaflow-akri-bridge-jobs");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.commands = new AvroDeserializer<>(registry, FlashCommand.class);
        this.topic = topics.flashCommands().name();
        this.thread = Thread.ofPlatform().name("flash-jobs").daemon().unstarted(this::run);
    }

    public FlashJobs start() {
        thread.start();
        return this;
    }

    private void run() {
        try {
            consumer.subscribe(List.of(topic));
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    FlashCommand command;
                    try {
                        command = commands.deserialize(record);
                    } catch (WireFormatException e) {
                        log.error("unreadable flash command, sent to the DLQ: {}", e.getMessage());
                        deadLetters.accept(record);
                        continue;
                    }
                    if (command != null) {
                        launch(command);
                    }
                }
                consumer.commitSync();
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } catch (RuntimeException e) {
            log.error("flash job launcher stopped: {}", e.toString(), e);
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    void launch(FlashCommand command) {
        long secondsLeft = Duration.between(clock.instant(), command.getDeadline()).toSeconds();
        if (secondsLeft <= 0) {
            log.warn("device {} command {}: deadline passed before its Job could start; the rollout gate times it out",
                    command.getDeviceId(), command.getCommandId());
            return;
        }
        Job job = job(command, secondsLeft);
        while (running) {
            try {
                client.batch().v1().jobs().inNamespace(settings.namespace()).resource(job).create();
                log.info("device {} command {}: Job {}/{} created", command.getDeviceId(), command.getCommandId(),
                        settings.namespace(), job.getMetadata().getName());
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) {
                    return; // created before a crash or by the previous leader: one Job per command
                }
                log.warn("device {} command {}: cannot create Job, retrying: {}", command.getDeviceId(), command.getCommandId(), e.getMessage());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Cleans up the Job of a command that ended. */
    public void ended(FlashProgress progress) {
        String name = jobName(progress.getCommandId());
        try {
            client.batch().v1().jobs().inNamespace(settings.namespace()).withName(name)
                    .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        } catch (KubernetesClientException e) {
            log.warn("device {} command {}: cannot delete Job {}: {}", progress.getDeviceId(), progress.getCommandId(), name, e.getMessage());
        }
    }

    Job job(FlashCommand command, long activeDeadlineSeconds) {
        List<String> args = new ArrayList<>(List.of("flash"));
        args.addAll(settings.flashArgs());
        return new JobBuilder()
                .withNewMetadata()
                    .withName(jobName(command.getCommandId()))
                    .withNamespace(settings.namespace())
                    .addToLabels("app.kubernetes.io/part-of", "otaflow")
                    .addToLabels("app.kubernetes.io/component", "flash-job")
                    .addToAnnotations(COMMAND_ID_ANNOTATION, command.getCommandId())
                    .addToAnnotations(DEVICE_ID_ANNOTATION, command.getDeviceId())
                .endMetadata()
                .withNewSpec()
                    .withBackoffLimit(0) // retries are the rollout's decision (attempts per generation), not the Job's
                    .withActiveDeadlineSeconds(activeDeadlineSeconds)
                    .withTtlSecondsAfterFinished(settings.ttlSeconds())
                    .withNewTemplate()
                        .withNewMetadata()
                            .addToLabels("app.kubernetes.io/part-of", "otaflow")
                            .addToLabels("app.kubernetes.io/component", "flash-job")
                        .endMetadata()
                        .withNewSpec()
                            .withRestartPolicy("Never")
                            .withServiceAccountName(settings.serviceAccount().isBlank() ? null : settings.serviceAccount())
                            .withAutomountServiceAccountToken(false) // a flash needs no Kubernetes API
                            // Meets the restricted Pod Security Standard, as every otaflow Pod.
                            .withNewSecurityContext()
                                .withRunAsNonRoot(true)
                                .withRunAsUser(65532L)
                                .withRunAsGroup(65532L)
                                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
                            .endSecurityContext()
                            .addNewContainer()
                                .withName("flash")
                                .withImage(settings.image())
                                .withArgs(args)
                                .addNewEnv().withName(COMMAND_ENV).withValue(avroJson(command)).endEnv()
                                .withEnvFrom(settings.envConfigMaps().stream().map(name -> new io.fabric8.kubernetes.api.model.EnvFromSourceBuilder()
                                        .withNewConfigMapRef().withName(name).endConfigMapRef().build()).toList())
                                // The same Kafka credentials as every Pod: a Job reports progress and reads desired generations.
                                .addNewEnvFrom().withNewSecretRef().withName(CREDENTIALS_SECRET).withOptional(true).endSecretRef().endEnvFrom()
                                .withNewResources()
                                    .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("50m"))
                                    .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("256Mi"))
                                    .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("512Mi"))
                                .endResources()
                                .withNewSecurityContext()
                                    .withAllowPrivilegeEscalation(false)
                                    .withReadOnlyRootFilesystem(true)
                                    .withNewCapabilities().addToDrop("ALL").endCapabilities()
                                .endSecurityContext()
                                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                            .endContainer()
                            .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /** A DNS-1123 name from the command id: readable when it fits, hashed when it does not. */
    public static String jobName(String commandId) {
        String cleaned = commandId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-").replaceAll("-+", "-").replaceAll("^-|-$", "");
        String name = "otaflow-flash-" + cleaned;
        if (name.length() <= 63 && !cleaned.isEmpty() && cleaned.equals(commandId)) {
            return name;
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(commandId.getBytes(StandardCharsets.UTF_8));
            String hash = HexFormat.of().formatHex(digest, 0, 5);
            String prefix = name.substring(0, Math.min(name.length(), 52)).replaceAll("-$", "");
            return prefix + "-" + hash;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The command as Avro JSON, as {@code otaflow flash} reads it ({@code OTAFLOW_FLASH_COMMAND} or {@code --command}). */
    public static String avroJson(FlashCommand command) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Encoder encoder = EncoderFactory.get().jsonEncoder(FlashCommand.getClassSchema(), out);
            new SpecificDatumWriter<>(FlashCommand.class).write(command, encoder);
            encoder.flush();
            return out.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
