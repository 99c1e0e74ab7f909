package io.otaflow.bench;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashSummary;
import io.otaflow.schemas.RolloutPolicy;
import io.otaflow.schemas.RolloutState;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.registry.MockSchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import io.otaflow.schemas.serde.AvroSerde;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.topology.OtaflowTopology;
import io.otaflow.topology.gate.RolloutGate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The rollout gate alone at fleet sizes (issue 14): device states of one Configuration fed
 * straight into the gate on a TopologyTestDriver, its stores in RocksDB on disk. Per size:
 * <ul>
 *   <li>{@code gate_scale_<n>_all_commands_s}: from a desired change with no limits to the last of
 *       the n commands (the rollout's repair-path recount and every admission);</li>
 *   <li>{@code gate_scale_<n>_tick_cpu_ms}: the CPU of one steady-state tick while a rollout runs at
 *       max-in-flight 1,000 and 100 devices finish between ticks (median of 20);</li>
 *   <li>{@code gate_scale_<n>_update_cpu_us}: the CPU of one device update that frees a slot and
 *       issues the next command.</li>
 * </ul>
 * Every figure is checked: a missing command or a wrong count exits non-zero without a figure.
 * {@code bench/run GateScaleBench --devices 10000,100000,1000000} (bench/run's 2 GiB heap: each
 * pass's output and the stores' changelog records are read and dropped, and the gate never holds
 * a fleet in memory).
 */
public final class GateScaleBench {
    private static final String CONFIG = "default/scale";
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final int MAX_PASSES = 2_000;

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = List.of(10_000, 100_000, 1_000_000);
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--devices")) {
                sizes = java.util.Arrays.stream(args[++i].split(",")).map(String::trim).map(Integer::parseInt).toList();
            } else {
                throw new IllegalArgumentException("unknown argument " + args[i] + " (--devices N[,N...])");
            }
        }
        Map<Integer, Double> tickCpu = new LinkedHashMap<>();
        for (int devices : sizes) {
            tickCpu.put(devices, run(devices));
        }
        if (tickCpu.size() > 1) {
            int smallest = Collections.min(tickCpu.keySet());
            int largest = Collections.max(tickCpu.keySet());
            System.out.printf("BENCH gate_scale_tick_cpu_%d_vs_%d %.2f ratio%n", largest, smallest,
                    tickCpu.get(largest) / Math.max(0.001, tickCpu.get(smallest)));
        }
        System.exit(0);
    }

    private static double run(int devices) throws Exception {
        MockSchemaRegistry registry = new MockSchemaRegistry();
        StreamsBuilder builder = new StreamsBuilder();
        builder.table("desired", Consumed.with(Serdes.String(), AvroSerde.forValue(registry, DesiredFirmware.class)),
                Materialized.<String, DesiredFirmware, KeyValueStore<Bytes, byte[]>>as(OtaflowTopology.DESIRED_STORE));
        var input = builder.stream("gate-input", Consumed.with(Serdes.String(), AvroSerde.forValue(registry, DeviceState.class)));
        @SuppressWarnings({"unchecked", "rawtypes"})
        var anyRecord = Serdes.serdeFrom(new AvroSerializer(registry, false), (topic, data) -> null);
        OtaflowTopology.rolloutGate(builder, input, registry, Duration.ofSeconds(1)).split(Named.as("out-"))
                .branch((k, v) -> v instanceof FlashCommand, Branched.withConsumer(s -> s.to("commands",
                        Produced.with(Serdes.String(), (org.apache.kafka.common.serialization.Serde<SpecificRecord>) anyRecord))))
                .defaultBranch(Branched.withConsumer(s -> s.to("statuses",
                        Produced.with(Serdes.String(), (org.apache.kafka.common.serialization.Serde<SpecificRecord>) anyRecord))));
        Path state = Files.createTempDirectory("gate-scale");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "gate-scale");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        Instant start = Instant.parse("2026-12-01T10:00:00Z");
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, start)) {
            TestInputTopic<String, DeviceState> states = driver.createInputTopic("gate-input", new StringSerializer(), new AvroSerializer<>(registry, false));
            TestInputTopic<String, DesiredFirmware> desired = driver.createInputTopic("desired", new StringSerializer(), new AvroSerializer<>(registry, false));
            TestOutputTopic<String, byte[]> commands = driver.createOutputTopic("commands", new StringDeserializer(), new ByteArrayDeserializer());
            TestOutputTopic<String, byte[]> statuses = driver.createOutputTopic("statuses", new StringDeserializer(), new ByteArrayDeserializer());
            AvroDeserializer<FlashCommand> commandReader = new AvroDeserializer<>(registry, FlashCommand.class);
            AvroDeserializer<RolloutStatus> statusReader = new AvroDeserializer<>(registry, RolloutStatus.class);

            long loadStart = System.nanoTime();
            for (int d = 0; d < devices; d++) {
                states.pipeInput(CONFIG, device(d, "1.0.0", null), start);
                if (d % 10_000 == 0) {
                    dropChangelogs(driver);
                }
            }
            dropChangelogs(driver);
            System.out.printf("BENCH gate_scale_%d_load_s %.2f s%n", devices, (System.nanoTime() - loadStart) / 1e9);

            // A desired change with no limits: the recount, then every command.
            long changeStart = System.nanoTime();
            // The gate works in bounded passes (a transaction each in production): a tick per pass here,
            // back to back as Streams runs an overdue punctuation, each pass's output read and let go.
            desired.pipeInput(CONFIG, desired(1, "1.1.0", devices), start);
            long issued = 0;
            int passes = 0;
            while (issued < devices && passes < MAX_PASSES) {
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                passes++;
                issued += commands.getQueueSize();
                drop(commands);
                drop(statuses);
                dropChangelogs(driver);
            }
            double allCommands = (System.nanoTime() - changeStart) / 1e9;
            if (issued != devices) {
                System.err.printf("gate scale %d: %d of %d commands issued in %d passes: no figure%n", devices, issued, devices, passes);
                System.exit(1);
            }
            System.out.printf("BENCH gate_scale_%d_all_commands_s %.2f s%n", devices, allCommands);
            System.out.printf("BENCH gate_scale_%d_all_commands_passes %d passes%n", devices, passes);

            // A new generation at max-in-flight 1,000: the steady state.
            desired.pipeInput(CONFIG, desired(2, "1.2.0", 1_000), start);
            List<FlashCommand> inFlight = new ArrayList<>();
            Instant now = start.plusSeconds(passes);
            for (int pass = 0; inFlight.size() < 1_000 && pass < MAX_PASSES; pass++) { // the new generation's recount, then its first 1,000
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                now = now.plusSeconds(1);
                for (TestRecord<String, byte[]> r : commands.readRecordsToList()) {
                    inFlight.add(commandReader.deserialize("commands", r.value()));
                }
                dropChangelogs(driver);
            }
            if (inFlight.size() != 1_000) {
                System.err.printf("gate scale %d: %d commands in flight, not 1000: no figure%n", devices, inFlight.size());
                System.exit(1);
            }
            List<Double> ticks = new ArrayList<>();
            List<Double> updates = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                long updateCpu = CPU.getCurrentThreadCpuTime();
                for (int k = 0; k < 100; k++) {
                    FlashCommand done = inFlight.remove(0);
                    states.pipeInput(CONFIG, device(Integer.parseInt(done.getDeviceId().substring(6)), "1.2.0", done), now);
                }
                updates.add((CPU.getCurrentThreadCpuTime() - updateCpu) / 1e3 / 100);
                for (TestRecord<String, byte[]> r : commands.readRecordsToList()) {
                    inFlight.add(commandReader.deserialize("commands", r.value()));
                }
                if (inFlight.size() != 1_000) {
                    System.err.printf("gate scale %d: the freed slots were not refilled on the updates (%d in flight): no figure%n",
                            devices, inFlight.size());
                    System.exit(1);
                }
                long tickCpu = CPU.getCurrentThreadCpuTime();
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                ticks.add((CPU.getCurrentThreadCpuTime() - tickCpu) / 1e6);
                now = now.plusSeconds(1);
                dropChangelogs(driver);
            }
            RolloutStatus last = null;
            for (TestRecord<String, byte[]> r : statuses.readRecordsToList()) {
                last = statusReader.deserialize("statuses", r.value());
            }
            if (last == null || last.getGeneration() != 2 || last.getState() != RolloutState.PROGRESSING
                    || last.getCounts().getInFlight() != 1_000 || last.getCounts().getSucceeded() != 2_000) {
                System.err.printf("gate scale %d: unexpected status %s: no figure%n", devices, last);
                System.exit(1);
            }
            Collections.sort(ticks);
            Collections.sort(updates);
            double tick = ticks.get(ticks.size() / 2);
            System.out.printf("BENCH gate_scale_%d_tick_cpu_ms %.3f ms%n", devices, tick);
            System.out.printf("BENCH gate_scale_%d_update_cpu_us %.1f us%n", devices, updates.get(updates.size() / 2));
            return tick;
        }
    }

    /**
     * The driver keeps every record written to a store's changelog until a test reads it; a
     * production broker takes them away. Left alone, a million devices' changelog fills the heap.
     */
    private static void dropChangelogs(TopologyTestDriver driver) {
        for (String topic : driver.producedTopicNames()) {
            if (topic.endsWith("-changelog")) {
                TestOutputTopic<byte[], byte[]> changelog = driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                while (!changelog.isEmpty()) {
                    changelog.readRecord();
                }
            }
        }
    }

    private static void drop(TestOutputTopic<String, byte[]> topic) {
        while (!topic.isEmpty()) {
            topic.readRecord();
        }
    }

    /** Device d, online in app mode at a version, with the given command's flash finished if any. */
    private static DeviceState device(int d, String version, FlashCommand finished) {
        Instant at = Instant.parse("2026-12-01T10:00:00Z");
        DeviceState.Builder state = DeviceState.newBuilder().setDeviceId(String.format("scale-%07d", d)).setOnline(true).setMode(DeviceMode.APP)
                .setEndpoint("http://127.0.0.1:8080").setOtaEndpoint("127.0.0.1:4242").setConfiguration(CONFIG)
                .setFirmware(new FirmwareRef("blink", version)).setLastSeen(at);
        if (finished != null) {
            state.setCurrentFlash(FlashSummary.newBuilder().setCommandId(finished.getCommandId()).setConfiguration(CONFIG)
                    .setGeneration(finished.getGeneration()).setAttempt(finished.getAttempt()).setPhase(FlashPhase.SUCCEEDED)
                    .setTarget(finished.getTo()).setStartedAt(finished.getIssuedAt()).setUpdatedAt(at).setFinishedAt(at).build());
        }
        return state.build();
    }

    private static DesiredFirmware desired(long generation, String version, int maxInFlight) {
        return DesiredFirmware.newBuilder().setConfiguration(CONFIG).setTarget(new FirmwareRef("blink", version))
                .setImage(FirmwareImage.newBuilder().setUri("file:///b.bin").setSha256("00".repeat(32)).setSize(4096).build())
                .setPolicy(RolloutPolicy.newBuilder().setMaxInFlight(maxInFlight).build()).setGeneration(generation)
                .setEpoch(1).setUpdatedAt(Instant.parse("2026-12-01T10:00:00Z")).build();
    }
}
