package io.otaflow.flasher;

import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TimeoutProfilesTest {
    private static final TimeoutProfiles DEFAULTS = TimeoutProfiles.of(Duration.ofSeconds(60), Duration.ofSeconds(60));

    @Test
    void aNamedTypeTakesItsOwnTimeoutsAndOthersTheDefaults() {
        TimeoutProfiles profiles = DEFAULTS.withEntries(List.of("blink=8000/5000", " sensor-hub=120000/45000 ", ""));

        assertThat(profiles.forType("blink")).isEqualTo(new TimeoutProfiles.Timeouts(Duration.ofSeconds(8), Duration.ofSeconds(5)));
        assertThat(profiles.forType("sensor-hub")).isEqualTo(new TimeoutProfiles.Timeouts(Duration.ofMinutes(2), Duration.ofSeconds(45)));
        assertThat(profiles.forType("thermostat")).isEqualTo(DEFAULTS.defaults());
    }

    @Test
    void malformedOutOfRangeOrRepeatedEntriesAreRefusedByName() {
        assertThatThrownBy(() -> DEFAULTS.withEntries(List.of("blink=8000")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'blink=8000'").hasMessageContaining("FIRMWARE_TYPE=REBOOT_MS/BOOT_MS");
        assertThatThrownBy(() -> DEFAULTS.withEntries(List.of("blink=8s/5s"))).hasMessageContaining("expected");
        assertThatThrownBy(() -> DEFAULTS.withEntries(List.of("blink=8000/500"))).hasMessageContaining("500 ms is outside");
        assertThatThrownBy(() -> DEFAULTS.withEntries(List.of("blink=8000/99999999"))).hasMessageContaining("outside");
        assertThatThrownBy(() -> DEFAULTS.withEntries(List.of("blink=8000/5000", "blink=9000/5000"))).hasMessageContaining("named twice");
    }

    @Test
    void theWorkerRefusesToStartOnABadProfile() {
        Map<String, Object> base = Map.of(FlasherWorkerConfig.KAFKA_BOOTSTRAP, "127.0.0.1:9092", FlasherWorkerConfig.SCHEMA_REGISTRY, "http://127.0.0.1:8081");
        assertThat(FlasherWorkerConfig.fromEnvironment(Map.of("OTAFLOW_FLASHER_TIMEOUTS_BY_FIRMWARE_TYPE", "blink=8000/5000"), base)
                .getList(FlasherWorkerConfig.TIMEOUTS_BY_FIRMWARE_TYPE)).containsExactly("blink=8000/5000");
        assertThatThrownBy(() -> FlasherWorkerConfig.fromEnvironment(Map.of("OTAFLOW_FLASHER_TIMEOUTS_BY_FIRMWARE_TYPE", "blink:8000"), base))
                .isInstanceOf(ConfigException.class).hasMessageContaining(FlasherWorkerConfig.TIMEOUTS_BY_FIRMWARE_TYPE).hasMessageContaining("'blink:8000'");
    }
}
