package io.otaflow.schemas.topics;

import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.RolloutStatus;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicCatalogTest {

    @Test
    void namesEveryTopicOfTheDesignWithThePrefix() {
        TopicCatalog catalog = new TopicCatalog();
        assertThat(catalog.all()).extracting(Topic::name).containsExactly(
                "otaflow.device.discovery.v1", "otaflow.device.reports.v1", "otaflow.firmware.desired.v1",
                "otaflow.device.state.v1", "otaflow.flash.commands.v1", "otaflow.flash.progress.v1",
                "otaflow.rollout.status.v1", "otaflow.dlq.v1", "otaflow.fleet.versions.v1", "otaflow.flash.outcomes.v1",
                "otaflow.device.control.v1");
        assertThat(new TopicCatalog("site-a.otaflow", 3).flashCommands().name()).isEqualTo("site-a.otaflow.flash.commands.v1");
    }

    @Test
    void tablesAreCompactedAndEventsAreNot() {
        TopicCatalog catalog = new TopicCatalog();
        assertThat(catalog.all().stream().filter(Topic::compacted).map(t -> (Object) t.valueType()).toList())
                .containsExactlyInAnyOrder(DesiredFirmware.class, DeviceState.class, RolloutStatus.class, io.otaflow.schemas.FleetVersions.class);
        assertThat(catalog.firmwareDesired().configs()).containsEntry(TopicConfig.CLEANUP_POLICY_CONFIG, "compact");
        assertThat(catalog.flashCommands().configs()).containsEntry(TopicConfig.CLEANUP_POLICY_CONFIG, "delete")
                .containsKey(TopicConfig.RETENTION_MS_CONFIG);
        assertThat(catalog.flashCommands().valueType()).isEqualTo(FlashCommand.class);
    }

    @Test
    void refusesPrefixesKafkaWouldRefuse() {
        assertThatThrownBy(() -> new TopicCatalog("bad prefix", 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bad prefix");
        assertThatThrownBy(() -> new TopicCatalog("otaflow", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one partition");
    }
}
