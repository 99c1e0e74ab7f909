package io.otaflow.topology;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashError;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.MockSchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** The topology on a TopologyTestDriver with an in-memory registry, and helpers to drive a rollout. */
final class TopologyFixture implements AutoCloseable {
    static final String CONFIG = "default/picow-blink";
    final MockSchemaRegistry registry = new MockSchemaRegistry();
    final TopicCatalog topics = new TopicCatalog();
    final TopologyTestDriver driver;
    Instant now = Instant.parse("2026-11-27T10:00:00Z");
    private final TestInputTopic<String, DiscoveryEvent> discovery;
    private final TestInputTopic<String, DeviceReport> reports;
    private final TestInputTopic<String, FlashProgress> progress;
    private final TestInputTopic<String, DesiredFirmware> desired;
    private final TestInputTopic<String, io.otaflow.schemas.DeviceControl> control;
    final TestOutputTopic<String, FlashCommand> commands;
    final TestOutputTopic<String, RolloutStatus> statuses;
    final TestOutputTopic<String, DeviceState> states;
    final List<FlashCommand> allCommands = new ArrayList<>();
    final TestInputTopic<String, byte[]> rawReports;
    final TestOutputTopic<String, io.otaflow.schemas.FleetVersions> fleetVersions;
    final TestOutputTopic<String, io.otaflow.schemas.FlashOutcomes> flashOutcomes;


    @SuppressWarnings({"unchecked", "rawtypes"})
    TopologyFixture() throws Exception {
        this(io.otaflow.topology.gate.RolloutGate.DEFAULT_PASS_BUDGET);
    }

    /** @param passBudget how long one pass of the gate may work (zero: one step per pass) */
    TopologyFixture(Duration passBudget) throws Exception {
        StreamsBuilder builder = new StreamsBuilder();
        OtaflowTopology.build(builder, topics, registry, Duration.ofSeconds(1), passBudget);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("topology-test").toString());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandler.class);
        props.put(DeadLetterHandler.REGISTRY_INSTANCE, registry);
        driver = new TopologyTestDriver(builder.build(), props, now);
        StringSerializer keys = new StringSerializer();
        discovery = driver.createInputTopic(topics.deviceDiscovery().name(), keys, new AvroSerializer<>(registry, false));
        reports = driver.createInputTopic(topics.deviceReports().name(), keys, new AvroSerializer<>(registry, false));
        progress = driver.createInputTopic(topics.flashProgress().name(), keys, new AvroSerializer<>(registry, false));
        desired = driver.createInputTopic(topics.firmwareDesired().name(), keys, new AvroSerializer<>(registry, false));
        control = driver.createInputTopic(topics.deviceControl().name(), keys, new AvroSerializer<>(registry, false));
        commands = driver.createOutputTopic(topics.flashCommands().name(), new StringDeserializer(), new AvroDeserializer(registry, FlashCommand.class));
        statuses = driver.createOutputTopic(topics.rolloutStatus().name(), new StringDeserializer(), new AvroDeserializer(registry, RolloutStatus.class));
        fleetVersions = driver.createOutputTopic(topics.fleetVersions().name(), new StringDeserializer(),
                new AvroDeserializer(registry, io.otaflow.schemas.FleetVersions.class));
        flashOutcomes = driver.createOutputTopic(topics.flashOutcomes().name(), new StringDeserializer(),
                new AvroDeserializer(registry, io.otaflow.schemas.FlashOutcomes.class));
        rawReports = driver.createInputTopic(topics.deviceReports().name(), keys, new org.apache.kafka.common.serialization.ByteArraySerializer());
        states = driver.createOutputTopic(topics.deviceState().name(), new StringDeserializer(), new AvroDeserializer(registry, DeviceState.class));
    }

    /** A device discovered for the Configuration and reporting a version. */
    void device(String id, String type, String version, boolean locked) {
        deviceIn(CONFIG, id, type, version, locked);
    }

    /** A device discovered for a Configuration (again: it moves there) and reporting a version. */
    void deviceIn(String configuration, String id, String type, String version, boolean locked) {
        discovery.pipeInput(new TestRecord<>(id, DiscoveryEvent.newBuilder().setDeviceId(id).setEndpoint("http://" + id + ":8080")
                .setOtaEndpoint(id + ":4242").setConfiguration(configuration).setSource(Source.HTTP_SCAN).setPresent(true)
                .setMode(DeviceMode.APP).setObservedAt(now).build(), now));
        report(id, type, version, locked, now);
    }

    void report(String id, String type, String version, boolean locked, Instant at) {
        reports.pipeInput(new TestRecord<>(id, DeviceReport.newBuilder().setDeviceId(id).setFirmwareType(type).setFirmwareVersion(version)
                .setLocked(locked).setMode(DeviceMode.APP).setObservedAt(at).setSource(Source.HTTP_SCAN).build(), now));
    }

    /** What {@code otaflow device unblock} publishes. */
    void unblock(String id) {
        control.pipeInput(new TestRecord<>(id, io.otaflow.schemas.DeviceControl.newBuilder().setDeviceId(id)
                .setAction(io.otaflow.schemas.DeviceAction.UNBLOCK).setRequestedBy("test").setAt(now).build(), now));
    }

    void absent(String id) {
        discovery.pipeInput(new TestRecord<>(id, DiscoveryEvent.newBuilder().setDeviceId(id).setEndpoint("http://" + id + ":8080")
                .setConfiguration(CONFIG).setSource(Source.HTTP_SCAN).setPresent(false).setObservedAt(now).build(), now));
    }

    static RolloutPolicy.Builder policy() {
        return RolloutPolicy.newBuilder();
    }

    void desire(String version, long generation, RolloutPolicy policy) {
        desire(CONFIG, version, generation, 0, policy);
    }

    void desire(String configuration, String version, long generation, long epoch, RolloutPolicy policy) {
        desired.pipeInput(new TestRecord<>(configuration, DesiredFirmware.newBuilder().setConfiguration(configuration).setEpoch(epoch)
                .setTarget(new FirmwareRef("blink", version))
                .setImage(FirmwareImage.newBuilder().setUri("file:///images/blink-" + version + ".bin").setSha256("00".repeat(32)).setSize(4096).build())
                .setPolicy(policy).setGeneration(generation).setUpdatedAt(now).build(), now));
    }

    /** Desired firmware that remembers the previous image, for automatic rollback. */
    void desireWithPrevious(String version, long generation, RolloutPolicy policy, String previousVersion) {
        desired.pipeInput(new TestRecord<>(CONFIG, DesiredFirmware.newBuilder().setConfiguration(CONFIG)
                .setTarget(new FirmwareRef("blink", version))
                .setImage(FirmwareImage.newBuilder().setUri("file:///images/blink-" + version + ".bin").setSha256("00".repeat(32)).setSize(4096).build())
                .setPreviousTarget(new FirmwareRef("blink", previousVersion))
                .setPreviousImage(FirmwareImage.newBuilder().setUri("file:///images/blink-" + previousVersion + ".bin").setSha256("11".repeat(32)).setSize(4096).build())
                .setPolicy(policy).setGeneration(generation).setUpdatedAt(now).build(), now));
    }

    void stopRollout() {
        stopRollout(CONFIG);
    }

    void stopRollout(String configuration) {
        desired.pipeInput(new TestRecord<>(configuration, null, now));
    }

    /** Commands issued so far and not read yet, without letting time pass: what device updates issued at once. */
    List<FlashCommand> drain() {
        List<FlashCommand> issued = new ArrayList<>(commands.readValuesToList());
        allCommands.addAll(issued);
        return issued;
    }

    /** The status last stored for a Configuration. */
    RolloutStatus status(String configuration) {
        return driver.<String, RolloutStatus>getKeyValueStore(io.otaflow.topology.gate.RolloutGate.STATUS_STORE).get(configuration);
    }

    /** Entries in a store. */
    int size(String store) {
        int n = 0;
        try (var all = driver.getKeyValueStore(store).all()) {
            while (all.hasNext()) {
                all.next();
                n++;
            }
        }
        return n;
    }

    /** The worker's answer to a command: the phases, then a terminal result. */
    void finish(FlashCommand command, FlashPhase phase, FlashErrorCode code, boolean retryable) {
        finish(command, phase, code, retryable, false);
    }

    /** As {@link #finish(FlashCommand, FlashPhase, FlashErrorCode, boolean)}, the worker saying whether it left the device in its bootloader. */
    void finish(FlashCommand command, FlashPhase phase, FlashErrorCode code, boolean retryable, boolean inBootloader) {
        FlashProgress.Builder p = FlashProgress.newBuilder().setCommandId(command.getCommandId()).setDeviceId(command.getDeviceId())
                .setConfiguration(command.getConfiguration()).setGeneration(command.getGeneration()).setAttempt(command.getAttempt())
                .setTarget(command.getTo()).setWorker("w1");
        progress.pipeInput(new TestRecord<>(command.getDeviceId(), p.setPhase(FlashPhase.ACCEPTED).setAt(now).build(), now));
        now = now.plusSeconds(1);
        FlashProgress.Builder last = p.setPhase(phase).setAt(now).setTerminal(true);
        if (phase == FlashPhase.SUCCEEDED) {
            last.setObservedFirmware(command.getTo());
        }
        if (code != null) {
            last.setError(FlashError.newBuilder().setCode(code).setMessage(code.name()).setRetryable(retryable)
                    .setInBootloader(inBootloader).build());
        }
        progress.pipeInput(new TestRecord<>(command.getDeviceId(), last.build(), now));
    }

    void accepted(FlashCommand command) {
        progress.pipeInput(new TestRecord<>(command.getDeviceId(), FlashProgress.newBuilder().setCommandId(command.getCommandId())
                .setDeviceId(command.getDeviceId()).setConfiguration(command.getConfiguration()).setGeneration(command.getGeneration())
                .setAttempt(command.getAttempt()).setTarget(command.getTo()).setWorker("w1").setPhase(FlashPhase.ACCEPTED).setAt(now).build(), now));
    }

    /** Lets wall-clock time pass (the gate runs every second) and returns the commands issued meanwhile. */
    List<FlashCommand> tick(Duration duration) {
        now = now.plus(duration);
        driver.advanceWallClockTime(duration);
        List<FlashCommand> issued = new ArrayList<>(commands.readValuesToList());
        allCommands.addAll(issued);
        return issued;
    }

    List<FlashCommand> tick() {
        return tick(Duration.ofSeconds(1));
    }

    private RolloutStatus latestStatus;

    /** The newest rollout status published so far (statuses are only published when they change). */
    RolloutStatus lastStatus() {
        List<RolloutStatus> all = statuses.readValuesToList();
        if (!all.isEmpty()) {
            latestStatus = all.get(all.size() - 1);
        }
        return latestStatus;
    }

    Map<String, DeviceState> latestStates() {
        return states.readKeyValuesToMap();
    }

    @Override
    public void close() {
        driver.close();
    }
}
