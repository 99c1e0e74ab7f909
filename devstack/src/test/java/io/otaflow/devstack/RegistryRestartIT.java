package io.otaflow.devstack;

import io.otaflow.schemas.DeviceState;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.registry.SchemaRegistryClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The registry's ids live in Kafka: they survive a restart of the whole platform, and every instance agrees. */
class RegistryRestartIT {

    @Test
    void idsSurviveARestartOnTheSameDataFolderAndASecondInstanceAgrees(@TempDir Path data) {
        int stateId;
        int commandId;
        try (DevStack stack = DevStack.inDirectory(data).start()) {
            SchemaRegistryClient registry = new SchemaRegistryClient(stack.endpoints().schemaRegistry());
            stateId = registry.register("otaflow.device.state.v1-value", DeviceState.getClassSchema());
            commandId = registry.register("otaflow.flash.commands.v1-value", FlashCommand.getClassSchema());

            try (EmbeddedSchemaRegistry second = new EmbeddedSchemaRegistry(stack.endpoints().kafka()).start()) {
                SchemaRegistryClient other = new SchemaRegistryClient(second.url());
                assertThat(other.schemaById(stateId)).isEqualTo(DeviceState.getClassSchema());
                // A registration through the second instance is seen by the first at once.
                int viaSecond = other.register("elsewhere-value", FlashCommand.getClassSchema());
                assertThat(viaSecond).isEqualTo(commandId);
                assertThat(registry.subjects()).contains("elsewhere-value");
            }
        }

        try (DevStack again = DevStack.inDirectory(data).start()) {
            SchemaRegistryClient registry = new SchemaRegistryClient(again.endpoints().schemaRegistry());
            assertThat(registry.schemaById(stateId)).isEqualTo(DeviceState.getClassSchema());
            assertThat(registry.schemaById(commandId)).isEqualTo(FlashCommand.getClassSchema());
            assertThat(registry.register("otaflow.device.state.v1-value", DeviceState.getClassSchema())).isEqualTo(stateId);
            assertThat(registry.versions("otaflow.device.state.v1-value")).containsExactly(1);
        }
    }
}
