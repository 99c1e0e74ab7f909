package io.otaflow.connectors.mqtt;

import com.hivemq.client.mqtt.MqttClientSslConfig;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import com.hivemq.client.mqtt.mqtt5.Mqtt5ClientBuilder;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5Publish;
import io.otaflow.connectors.discovery.DeviceMetadata;
import io.otaflow.connectors.discovery.MetadataParser;
import io.otaflow.connectors.discovery.MetadataProfile;
import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import io.otaflow.schemas.Source;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import io.otaflow.schemas.serde.AvroSerializer;
import io.otaflow.schemas.topics.TopicCatalog;
import org.apache.avro.generic.GenericContainer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One task of the MQTT source: a member of the shared subscription. Messages are acknowledged to
 * the broker only after every record made from them is written to Kafka ({@link #commitRecord}),
 * in a persistent session, so a task that dies loses nothing: the broker sends its unacknowledged
 * messages again. Bad messages become dead letters, never a failed task.
 */
public final class MqttSourceTask extends SourceTask {
    private static final Logger log = LoggerFactory.getLogger(MqttSourceTask.class);

    private MqttSourceConfig config;
    private Mqtt5AsyncClient client;
    private final BlockingQueue<Mqtt5Publish> inbox = new LinkedBlockingQueue<>(100_000);
    private final Map<SourceRecord, Mqtt5Publish> pending = Collections.synchronizedMap(new IdentityHashMap<>());
    private final Map<Mqtt5Publish, AtomicInteger> remaining = Collections.synchronizedMap(new IdentityHashMap<>());
    private final Set<String> present = ConcurrentHashMap.newKeySet();
    private MetadataParser parser;
    private AvroSerializer<GenericContainer> serializer;
    private TopicCatalog topics;
    private int idLevel;
    private String brokerName;

    @Override
    public String version() {
        return new MqttSourceConnector().version();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new MqttSourceConfig(props);
        parser = new MetadataParser(MetadataProfile.OTAFLOW);
        serializer = new AvroSerializer<>(new SchemaRegistryClient(config.getString(MqttSourceConfig.SCHEMA_REGISTRY_URL)), false);
        topics = new TopicCatalog(config.getString(MqttSourceConfig.TOPIC_PREFIX), TopicCatalog.DEFAULT_PARTITIONS);
        String filter = config.getString(MqttSourceConfig.TOPIC_FILTER);
        idLevel = Arrays.asList(filter.split("/")).indexOf("+");
        if (idLevel < 0) {
            throw new ConnectException(MqttSourceConfig.TOPIC_FILTER + " needs a '+' level for the device id: " + filter);
        }
        URI uri = URI.create(config.getString(MqttSourceConfig.SERVER_URI));
        brokerName = uri.getHost() + ":" + uri.getPort();
        String clientId = config.getString(MqttSourceConfig.CLIENT_ID_PREFIX) + "-" + config.getInt(MqttSourceConfig.TASK_ID);
        Mqtt5ClientBuilder builder = Mqtt5Client.builder().identifier(clientId).serverHost(uri.getHost())
                .serverPort(uri.getPort() > 0 ? uri.getPort() : ("ssl".equals(uri.getScheme()) ? 8883 : 1883))
                .automaticReconnectWithDefaultConfig();
        if ("ssl".equals(uri.getScheme()) || "mqtts".equals(uri.getScheme())) {
            builder = builder.sslConfig(sslConfig());
        }
        client = builder.buildAsync();
        var connect = client.connectWith().cleanStart(false)
                .sessionExpiryInterval(config.getLong(MqttSourceConfig.SESSION_EXPIRY_SECONDS));
        String user = config.getString(MqttSourceConfig.USERNAME);
        if (!user.isEmpty()) {
            connect = connect.simpleAuth().username(user).password(config.password().getBytes(StandardCharsets.UTF_8)).applySimpleAuth();
        }
        try {
            connect.send().get(30, TimeUnit.SECONDS);
            String shared = "$share/" + config.getString(MqttSourceConfig.SHARED_GROUP) + "/" + filter;
            client.subscribeWith().topicFilter(shared).qos(MqttQos.AT_LEAST_ONCE)
                    .callback(publish -> {
                        if (!inbox.offer(publish)) {
                            log.warn("inbox full: message on {} left unacknowledged for redelivery", publish.getTopic());
                        }
                    })
                    .manualAcknowledgement(true)
                    .send().get(30, TimeUnit.SECONDS);
            log.info("MQTT source task {} subscribed to {} on {}", clientId, shared, brokerName);
        } catch (Exception e) {
            throw new ConnectException("cannot connect and subscribe to MQTT broker " + brokerName + ": " + e.getMessage(), e);
        }
    }

    private MqttClientSslConfig sslConfig() {
        String path = config.getString(MqttSourceConfig.TLS_TRUSTSTORE);
        if (path.isEmpty()) {
            return MqttClientSslConfig.builder().build();
        }
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            KeyStore store = KeyStore.getInstance(path.endsWith(".jks") ? "JKS" : "PKCS12");
            var password = config.getPassword(MqttSourceConfig.TLS_TRUSTSTORE_PASSWORD);
            store.load(in, password == null ? null : password.value().toCharArray());
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(store);
            return MqttClientSslConfig.builder().trustManagerFactory(trust).build();
        } catch (Exception e) {
            throw new ConnectException("cannot load the MQTT trust store " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public List<SourceRecord> poll() throws InterruptedException {
        Mqtt5Publish first = inbox.poll(500, TimeUnit.MILLISECONDS);
        if (first == null) {
            return null;
        }
        List<Mqtt5Publish> batch = new ArrayList<>();
        batch.add(first);
        inbox.drainTo(batch, config.getInt(MqttSourceConfig.MAX_BATCH) - 1);
        List<SourceRecord> records = new ArrayList<>();
        for (Mqtt5Publish publish : batch) {
            List<SourceRecord> made = convert(publish);
            remaining.put(publish, new AtomicInteger(made.size()));
            for (SourceRecord record : made) {
                pending.put(record, publish);
            }
            records.addAll(made);
        }
        return records;
    }

    /** Device state or last will to records; anything unusable to one dead letter. */
    List<SourceRecord> convert(Mqtt5Publish publish) {
        String topic = publish.getTopic().toString();
        List<String> levels = publish.getTopic().getLevels();
        String deviceId = levels.size() > idLevel ? levels.get(idLevel) : "";
        byte[] payload = publish.getPayloadAsBytes();
        Instant now = Instant.now();
        String endpoint = "mqtt://" + brokerName + "/" + topic;
        List<SourceRecord> records = new ArrayList<>();
        if (new String(payload, StandardCharsets.UTF_8).trim().equals("offline")) {
            present.remove(deviceId);
            records.add(record(topics.deviceDiscovery().name(), deviceId, DiscoveryEvent.newBuilder().setDeviceId(deviceId)
                    .setEndpoint(endpoint).setSource(Source.MQTT).setPresent(false).setObservedAt(now).build()));
            return records;
        }
        try {
            String contentType = publish.getContentType().map(Object::toString).orElse(null);
            DeviceMetadata metadata = parser.parse(payload, contentType);
            if (!metadata.deviceId().equals(deviceId)) {
                throw new MetadataParser.BadMetadataException("deviceId '" + metadata.deviceId() + "' differs from the topic's '" + deviceId + "'");
            }
            DeviceMode mode = metadata.mode().equals("bootloader") ? DeviceMode.BOOTLOADER : DeviceMode.APP;
            if (present.add(deviceId)) {
                records.add(record(topics.deviceDiscovery().name(), deviceId, DiscoveryEvent.newBuilder().setDeviceId(deviceId)
                        .setEndpoint(endpoint).setSource(Source.MQTT).setPresent(true).setMode(mode).setObservedAt(now).build()));
            }
            records.add(record(topics.deviceReports().name(), deviceId, DeviceReport.newBuilder().setDeviceId(deviceId)
                    .setFirmwareType(metadata.firmwareType()).setFirmwareVersion(metadata.firmwareVersion())
                    .setLocked(metadata.locked()).setMode(mode).setUptimeMs(metadata.uptimeMs()).setHardware(metadata.hardware())
                    .setObservedAt(now).setSource(Source.MQTT).build()));
            return records;
        } catch (MetadataParser.BadMetadataException e) {
            log.info("dead-lettering an MQTT message on {}: {}", topic, e.getMessage());
            byte[] value = payload.length > MetadataParser.MAX_BODY_BYTES ? Arrays.copyOf(payload, MetadataParser.MAX_BODY_BYTES) : payload;
            DeadLetter letter = DeadLetter.newBuilder().setOriginalTopic("mqtt:" + topic).setPartition(-1).setOffset(-1)
                    .setOriginalKey(ByteBuffer.wrap(deviceId.getBytes(StandardCharsets.UTF_8))).setOriginalValue(ByteBuffer.wrap(value))
                    .setErrorClass("BadMetadata").setErrorMessage(e.getMessage()).setComponent("mqtt-source").setAt(now).build();
            records.add(record(topics.deadLetters().name(), topic, letter));
            return records;
        }
    }

    private SourceRecord record(String kafkaTopic, String key, GenericContainer value) {
        return new SourceRecord(null, null, kafkaTopic, null, Schema.STRING_SCHEMA, key, Schema.BYTES_SCHEMA,
                serializer.serialize(kafkaTopic, value));
    }

    @Override
    public void commitRecord(SourceRecord record, RecordMetadata metadata) {
        Mqtt5Publish publish = pending.remove(record);
        if (publish == null) {
            return;
        }
        AtomicInteger left = remaining.get(publish);
        if (left != null && left.decrementAndGet() == 0) {
            remaining.remove(publish);
            publish.acknowledge(); // everything made from it is in Kafka
        }
    }

    @Override
    public void stop() {
        if (client != null) {
            client.disconnect();
        }
    }
}
