package io.otaflow.cli;

import io.otaflow.schemas.config.KafkaClientSecurity;
import io.otaflow.flasher.ArtifactStore;
import io.otaflow.flasher.DesiredGenerations;
import io.otaflow.flasher.FlashJob;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * {@code otaflow flash}: one command, one device, then exit, as the paper's firmware-update Job.
 * The command comes from a JSON file (Avro JSON of FlashCommand) or from Akri-style environment
 * variables. Exit code 0 only when the device runs the target afterwards.
 */
@Command(name = "flash", mixinStandardHelpOptions = true,
        description = "Flash one device once (a Kubernetes Job per flash, as in the paper). The command comes from --command FILE "
                + "(FlashCommand as Avro JSON), from OTAFLOW_FLASH_COMMAND (the same JSON, as the akri-bridge's Jobs set it) or from the environment: HOST_ENDPOINT (the app's base URL), OTA_ENDPOINT (host:port, "
                + "default host:4242), DEVICE_ID, FIRMWARE_TYPE, FIRMWARE_VERSION, FIRMWARE_URI, FIRMWARE_SHA256, FIRMWARE_SIZE, "
                + "FIRMWARE_SIGNATURE. Progress goes to stdout, and to Kafka with --kafka and --schema-registry. "
                + "Exits 0 only if the device runs the target afterwards (flashed, or already there).")
final class FlashCommandLine implements Callable<Integer> {
    /** The whole command as Avro JSON, as the akri-bridge's flash Jobs pass it. */
    static final String COMMAND_ENV = "OTAFLOW_FLASH_COMMAND";

    @Spec
    CommandSpec spec;

    @Option(names = "--command", description = "FlashCommand as Avro JSON.")
    Path commandFile;

    @Option(names = "--kafka", description = "Also send progress to this Kafka cluster.")
    String kafka;

    @Option(names = "--schema-registry", description = "Schema registry for the progress records.")
    String schemaRegistry;

    @Option(names = "--topic-prefix", defaultValue = TopicCatalog.DEFAULT_PREFIX, description = "Topic prefix (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Option(names = "--trusted-key", split = ",", defaultValue = "${env:OTAFLOW_FLASHER_TRUSTED_KEYS}",
            description = "Base64 Ed25519 public key trusted to sign images (repeatable; env OTAFLOW_FLASHER_TRUSTED_KEYS, comma-separated, as the workers read it).")
    List<String> trustedKeys = new ArrayList<>();

    @Option(names = "--allow-unsigned", description = "Development only: flash images without a signature.")
    boolean allowUnsigned;

    @Option(names = "--timeout", defaultValue = "PT10M", description = "Deadline for an environment-defined command (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--post-connect-pause-ms", defaultValue = "1000", description = "Pause after connecting to picowota (default: ${DEFAULT-VALUE}).")
    long postConnectPauseMs;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String commandJson = commandFile != null ? Files.readString(commandFile) : System.getenv(COMMAND_ENV);
        FlashCommand command = commandJson != null ? readCommand(commandJson) : fromEnvironment(System.getenv(), timeout);
        List<PublicKey> keys = new ArrayList<>();
        trustedKeys.stream().filter(k -> !k.isBlank()).forEach(k -> keys.add(ArtifactStore.ed25519PublicKey(k.trim())));
        ArtifactStore artifacts = new ArtifactStore(Files.createTempDirectory("otaflow-flash"), keys, allowUnsigned);
        FlashJob job = new FlashJob(artifacts, FlashJob.Settings.DEFAULTS.withPostConnectPause(Duration.ofMillis(postConnectPauseMs)),
                "job-" + ProcessHandle.current().pid(), HttpClient.newHttpClient(), Clock.systemUTC());
        KafkaProducer<String, FlashProgress> producer = null;
        DesiredGenerations generations = null;
        TopicCatalog topics = new TopicCatalog(prefix, TopicCatalog.DEFAULT_PARTITIONS);
        if (kafka != null) {
            if (schemaRegistry == null) {
                throw new IllegalArgumentException("--kafka needs --schema-registry");
            }
            // As a worker does: a command whose generation was superseded (or withdrawn) stops before touching the device.
            generations = new DesiredGenerations(kafka, new SchemaRegistryClient(schemaRegistry), topics).start();
            job.withGenerations(generations);
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka);
            props.putAll(KafkaClientSecurity.fromEnvironment());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            producer = new KafkaProducer<>(props, new StringSerializer(), new AvroSerializer<>(new SchemaRegistryClient(schemaRegistry), false));
        }
        KafkaProducer<String, FlashProgress> sink = producer;
        List<Future<RecordMetadata>> sent = Collections.synchronizedList(new ArrayList<>());
        FlashProgress result = job.run(command, progress -> {
            out.printf("%s %-20s %s%s%n", progress.getAt(), progress.getPhase(),
                    progress.getBytesTotal() > 0 ? progress.getBytesWritten() + "/" + progress.getBytesTotal() + " bytes" : "",
                    progress.getError() == null ? "" : " " + progress.getError().getCode() + ": " + progress.getError().getMessage());
            out.flush();
            if (sink != null) {
                sent.add(sink.send(new ProducerRecord<>(topics.flashProgress().name(), progress.getDeviceId(), progress)));
            }
        });
        try {
            if (producer != null) {
                producer.flush();
                for (Future<RecordMetadata> delivery : sent) {
                    delivery.get(); // a lost terminal event must not pass for a finished Job: exit 1 and the Job runs again
                }
            }
        } catch (ExecutionException e) {
            out.println("progress not delivered to Kafka: " + e.getCause());
            return 1;
        } finally {
            if (producer != null) {
                producer.close();
            }
            if (generations != null) {
                generations.close();
            }
        }
        if (result == null) {
            return 1;
        }
        boolean atTarget = result.getPhase() == FlashPhase.SUCCEEDED
                || (result.getPhase() == FlashPhase.SKIPPED && result.getError() != null && result.getError().getCode() == FlashErrorCode.ALREADY_AT_TARGET);
        return atTarget ? 0 : 1;
    }

    static FlashCommand readCommand(String json) throws Exception {
        SpecificDatumReader<FlashCommand> reader = new SpecificDatumReader<>(FlashCommand.class);
        return reader.read(null, DecoderFactory.get().jsonDecoder(FlashCommand.getClassSchema(), json));
    }

    static FlashCommand fromEnvironment(Map<String, String> env, Duration timeout) {
        String endpoint = need(env, "HOST_ENDPOINT");
        if (!endpoint.startsWith("http")) {
            endpoint = "http://" + endpoint;
        }
        String uri = need(env, "FIRMWARE_URI");
        FirmwareImage.Builder image = FirmwareImage.newBuilder().setUri(uri).setSha256(need(env, "FIRMWARE_SHA256"))
                .setSize(Long.parseLong(need(env, "FIRMWARE_SIZE")));
        if (env.get("FIRMWARE_SIGNATURE") != null) {
            image.setSignature(env.get("FIRMWARE_SIGNATURE"));
        }
        Instant now = Instant.now();
        return FlashCommand.newBuilder().setCommandId(env.getOrDefault("COMMAND_ID", UUID.randomUUID().toString()))
                .setDeviceId(env.getOrDefault("DEVICE_ID", endpoint)).setEndpoint(endpoint).setOtaEndpoint(env.get("OTA_ENDPOINT"))
                .setConfiguration(env.getOrDefault("CONFIGURATION", "-")).setGeneration(Long.parseLong(env.getOrDefault("GENERATION", "0")))
                .setTo(new FirmwareRef(need(env, "FIRMWARE_TYPE"), need(env, "FIRMWARE_VERSION"))).setImage(image.build())
                .setDeadline(now.plus(timeout)).setIssuedAt(now).build();
    }

    private static String need(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("environment variable " + name + " is required (or give --command FILE)");
        }
        return value;
    }
}
