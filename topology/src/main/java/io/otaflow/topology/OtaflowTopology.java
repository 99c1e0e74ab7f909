package io.otaflow.topology;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceControl;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashProgress;
import io.otaflow.schemas.RolloutStatus;
import io.otaflow.schemas.registry.SchemaRegistry;
import io.otaflow.schemas.serde.AvroSerde;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import io.otaflow.schemas.gate.GateDevice;
import io.otaflow.schemas.gate.RolloutLedger;
import io.otaflow.topology.gate.RolloutGate;
import org.apache.kafka.streams.KeyValue;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TableJoined;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.time.Duration;

/**
 * otaflow's Kafka Streams topology, a pure function over a {@link StreamsBuilder} shared by the
 * application and its tests. Every stateful operator is named, so changelog and repartition
 * topics keep their names across refactors.
 * <pre>
 * discovery ─┐
 * reports  ──┼─▶ device-state-folder (device-state-store) ─▶ device table
 * progress ──┘                                                 │ FK join on configuration
 * firmware.desired ─▶ desired-firmware table ◀─────────────────┘
 *                                ▼ device + eligibility ─▶ device.state, fleet analytics
 * device states ─▶ re-key by configuration (and the one a device left) ─▶ rollout-gate ─▶ flash.commands, rollout.status
 * </pre>
 */
public final class OtaflowTopology {
    public static final String DESIRED_STORE = "desired-firmware";

    private OtaflowTopology() {
    }

    /**
     * The rollout gate and its stores over device states keyed by Configuration, beside a
     * co-partitioned {@link #DESIRED_STORE}: flash commands and rollout statuses out. Public for
     * the gate's scale benchmark, which feeds it directly.
     */
    public static KStream<String, SpecificRecord> rolloutGate(StreamsBuilder builder, KStream<String, DeviceState> byConfiguration,
                                                              SchemaRegistry registry, Duration gateInterval) {
        return rolloutGate(builder, byConfiguration, registry, gateInterval, RolloutGate.DEFAULT_PASS_BUDGET);
    }

    /** @param passBudget how long one pass of the gate may work before the rest waits for the next (tests make it tiny) */
    public static KStream<String, SpecificRecord> rolloutGate(StreamsBuilder builder, KStream<String, DeviceState> byConfiguration,
                                                              SchemaRegistry registry, Duration gateInterval, Duration passBudget) {
        Serde<String> keys = Serdes.String();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RolloutGate.DEVICES_STORE), keys,
                AvroSerde.forValue(registry, GateDevice.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RolloutGate.LEDGER_STORE), keys,
                AvroSerde.forValue(registry, RolloutLedger.class)));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RolloutGate.QUEUE_STORE), keys, Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RolloutGate.TIMERS_STORE), keys, Serdes.String()));
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(RolloutGate.STATUS_STORE), keys,
                AvroSerde.forValue(registry, RolloutStatus.class)));
        return byConfiguration.process(() -> new RolloutGate(DESIRED_STORE, gateInterval, passBudget), Named.as("rollout-gate"),
                RolloutGate.DEVICES_STORE, RolloutGate.LEDGER_STORE, RolloutGate.QUEUE_STORE, RolloutGate.TIMERS_STORE,
                RolloutGate.STATUS_STORE, DESIRED_STORE);
    }

    public static void build(StreamsBuilder builder, TopicCatalog topics, SchemaRegistry registry, Duration gateInterval) {
        build(builder, topics, registry, gateInterval, RolloutGate.DEFAULT_PASS_BUDGET);
    }

    public static void build(StreamsBuilder builder, TopicCatalog topics, SchemaRegistry registry, Duration gateInterval, Duration passBudget) {
        Serde<String> keys = Serdes.String();
        Serde<DeviceState> stateSerde = AvroSerde.forValue(registry, DeviceState.class);
        Serde<DesiredFirmware> desiredSerde = AvroSerde.forValue(registry, DesiredFirmware.class);

        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DeviceStateFolder.STORE), keys, stateSerde));

        KStream<String, SpecificRecord> discovery = builder.stream(topics.deviceDiscovery().name(),
                        Consumed.with(keys, AvroSerde.forValue(registry, DiscoveryEvent.class)).withName("discovery-source"))
                .mapValues(v -> (SpecificRecord) v, Named.as("discovery-as-event"));
        KStream<String, SpecificRecord> reports = builder.stream(topics.deviceReports().name(),
                        Consumed.with(keys, AvroSerde.forValue(registry, DeviceReport.class)).withName("reports-source"))
                .mapValues(v -> (SpecificRecord) v, Named.as("report-as-event"));
        KStream<String, SpecificRecord> progress = builder.stream(topics.flashProgress().name(),
                        Consumed.with(keys, AvroSerde.forValue(registry, FlashProgress.class)).withName("progress-source"))
                .mapValues(v -> (SpecificRecord) v, Named.as("progress-as-event"));

        KStream<String, SpecificRecord> control = builder.stream(topics.deviceControl().name(),
                        Consumed.with(keys, AvroSerde.forValue(registry, DeviceControl.class)).withName("control-source"))
                .mapValues(v -> (SpecificRecord) v, Named.as("control-as-event"));

        KStream<String, DeviceState> folded = discovery
                .merge(reports, Named.as("discovery-and-reports"))
                .merge(progress, Named.as("device-events"))
                .merge(control, Named.as("device-events-and-control"))
                .process(DeviceStateFolder::new, Named.as("device-state-folder"), DeviceStateFolder.STORE);
        KTable<String, DeviceState> devices = folded
                .toTable(Named.as("device-table"), Materialized.<String, DeviceState, KeyValueStore<Bytes, byte[]>>as("device-table-store")
                        .withKeySerde(keys).withValueSerde(stateSerde));

        KTable<String, DesiredFirmware> desired = builder.table(topics.firmwareDesired().name(),
                Consumed.with(keys, desiredSerde).withName("desired-source"),
                Materialized.<String, DesiredFirmware, KeyValueStore<Bytes, byte[]>>as(DESIRED_STORE).withKeySerde(keys).withValueSerde(desiredSerde));

        KTable<String, DeviceState> classified = devices.leftJoin(desired, DeviceState::getConfiguration,
                (device, wanted) -> DeviceState.newBuilder(device)
                        .setEligibility(Eligibility.classify(device, wanted))
                        .setEligibilityGeneration(wanted == null ? null : wanted.getGeneration())
                        .build(),
                TableJoined.as("device-desired-join"),
                Materialized.<String, DeviceState, KeyValueStore<Bytes, byte[]>>as("device-classified-store").withKeySerde(keys).withValueSerde(stateSerde));

        FleetAnalytics.build(classified, folded, topics, registry);

        KStream<String, DeviceState> classifiedStream = classified.toStream(Named.as("device-classified-changes"));
        classifiedStream.to(topics.deviceState().name(), Produced.with(keys, stateSerde).withName("device-state-sink"));

        // The gate classifies devices itself, against its co-partitioned copy of the desired firmware, so it reads the
        // folded states directly: two hops fewer than the foreign-key join (its subscription and response topics).
        // A device that moved is sent to the Configuration it left as well, which takes it out of that rollout.
        KStream<String, DeviceState> byConfiguration = folded
                .flatMap((deviceId, device) -> {
                    List<KeyValue<String, DeviceState>> out = new ArrayList<>(2);
                    if (device.getConfiguration() != null) {
                        out.add(KeyValue.pair(device.getConfiguration(), device));
                    }
                    if (device.getPreviousConfiguration() != null && !device.getPreviousConfiguration().equals(device.getConfiguration())) {
                        out.add(KeyValue.pair(device.getPreviousConfiguration(), device));
                    }
                    return out;
                }, Named.as("by-configuration"))
                // No partition count here: Streams co-partitions this topic with firmware.desired (the gate reads its
                // store), whatever that topic's size is on the cluster.
                .repartition(Repartitioned.<String, DeviceState>as("device-by-configuration").withKeySerde(keys).withValueSerde(stateSerde));
        KStream<String, SpecificRecord> decisions = rolloutGate(builder, byConfiguration, registry, gateInterval, passBudget);

        @SuppressWarnings({"unchecked", "rawtypes"})
        Serde<SpecificRecord> anyRecord = Serdes.serdeFrom(new AvroSerializer(registry, false), (topic, data) -> {
            throw new UnsupportedOperationException("write-only serde");
        });
        decisions.split(Named.as("decision-"))
                .branch((key, value) -> value instanceof FlashCommand, Branched.withConsumer(commands ->
                        commands.to(topics.flashCommands().name(), Produced.with(keys, anyRecord).withName("commands-sink")), "commands"))
                .defaultBranch(Branched.withConsumer(statuses ->
                        statuses.to(topics.rolloutStatus().name(), Produced.with(keys, anyRecord).withName("status-sink")), "statuses"));
    }
}
