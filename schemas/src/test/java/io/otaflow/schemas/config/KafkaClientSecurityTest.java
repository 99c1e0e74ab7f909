package io.otaflow.schemas.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaClientSecurityTest {
    @Test
    void securitySaslAndSslVariablesBecomeKafkaClientSettings() {
        Map<String, Object> settings = KafkaClientSecurity.from(Map.of(
                "OTAFLOW_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "OTAFLOW_KAFKA_SASL_MECHANISM", "PLAIN",
                "OTAFLOW_KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"k\" password=\"s\";",
                "OTAFLOW_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/ca.p12",
                "OTAFLOW_KAFKA_BOOTSTRAP", "kafka:9092",
                "HOME", "/root"));
        assertThat(settings).containsOnlyKeys("security.protocol", "sasl.mechanism", "sasl.jaas.config", "ssl.truststore.location");
        assertThat(settings.get("security.protocol")).isEqualTo("SASL_SSL");
    }

    @Test
    void aMisspeltSecurityVariableIsRefusedWithTheNamesThatExist() {
        assertThatThrownBy(() -> KafkaClientSecurity.from(Map.of("OTAFLOW_KAFKA_SASL_JASS_CONFIG", "x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("OTAFLOW_KAFKA_SASL_JASS_CONFIG names no Kafka client setting")
                .hasMessageContaining("OTAFLOW_KAFKA_SASL_JAAS_CONFIG");
    }

    @Test
    void theVariablesCoverTheUsualSettings() {
        assertThat(KafkaClientSecurity.variables()).contains("OTAFLOW_KAFKA_SECURITY_PROTOCOL", "OTAFLOW_KAFKA_SASL_MECHANISM",
                "OTAFLOW_KAFKA_SSL_KEYSTORE_LOCATION", "OTAFLOW_KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM");
    }
}
