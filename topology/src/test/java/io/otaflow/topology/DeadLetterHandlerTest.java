package io.otaflow.topology;

import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.registry.MockSchemaRegistry;
import io.otaflow.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterHandlerTest {

    @Test
    void anUnreadableRecordBecomesADeadLetterWithItsOriginAndTheStreamResumes() {
        MockSchemaRegistry registry = new MockSchemaRegistry();
        DeadLetterHandler handler = new DeadLetterHandler();
        handler.configure(Map.of(DeadLetterHandler.REGISTRY_INSTANCE, registry));
        byte[] value = "{\"deviceId\":\"pico-01\"}".getBytes(StandardCharsets.UTF_8);
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("otaflow.device.reports.v1", 4, 1234L, "pico-01".getBytes(), value);
        ErrorHandlerContext context = new ErrorHandlerContext() {
            public String topic() { return "otaflow.device.reports.v1"; }
            public int partition() { return 4; }
            public long offset() { return 1234L; }
            public org.apache.kafka.common.header.Headers headers() { return new RecordHeaders(); }
            public String processorNodeId() { return "reports-source"; }
            public TaskId taskId() { return new TaskId(0, 4); }
            public long timestamp() { return 0; }
            public byte[] sourceRawKey() { return record.key(); }
            public byte[] sourceRawValue() { return record.value(); }
        };

        DeserializationExceptionHandler.Response response = handler.handleError(context, record, new IllegalStateException("unknown magic byte 0x7b"));

        assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
        ProducerRecord<byte[], byte[]> dlq = response.deadLetterQueueRecords().get(0);
        assertThat(dlq.topic()).isEqualTo("otaflow.dlq.v1");
        assertThat(new String(dlq.key())).isEqualTo("pico-01");
        DeadLetter letter = new AvroDeserializer<DeadLetter>(registry, DeadLetter.class).deserialize(dlq.topic(), dlq.value());
        assertThat(letter.getOriginalTopic()).isEqualTo("otaflow.device.reports.v1");
        assertThat(letter.getPartition()).isEqualTo(4);
        assertThat(letter.getOffset()).isEqualTo(1234L);
        assertThat(letter.getOriginalValue().array()).isEqualTo(value);
        assertThat(letter.getErrorMessage()).contains("magic byte");
        assertThat(letter.getComponent()).isEqualTo("topology");
    }
}
