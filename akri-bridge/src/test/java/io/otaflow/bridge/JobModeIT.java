package io.otaflow.bridge;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.otaflow.bridge.jobs.FlashJobs;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashCommand;
import io.otaflow.schemas.FlashPhase;
import io.otaflow.schemas.FlashProgress;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Job mode: a flash command becomes one Job running otaflow flash, not owned by the Instance, removed when the command ends. */
@ExtendWith(SharedDevStack.class)
class JobModeIT {
    static FlashCommand command(String id, String configuration) {
        Instant now = Instant.now();
        return FlashCommand.newBuilder().setCommandId(id).setDeviceId("pico-7").setEndpoint("http://127.10.0.7:8080")
                .setOtaEndpoint("127.10.0.7:4242").setConfiguration(configuration).setGeneration(2)
                .setTo(new FirmwareRef("blink", "1.1.0"))
                .setImage(FirmwareImage.newBuilder().setUri("https://fw.example.com/blink-1.1.0.bin").setSha256("b".repeat(64)).setSize(4096).build())
                .setAttempt(1).setDeadline(now.plus(Duration.ofMinutes(10))).setIssuedAt(now).build();
    }

    @Test
    void aFlashCommandRunsAsAJobThatOutlivesItsInstanceAndIsRemovedWhenTheCommandEnds(DevStack stack) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            fixture.leadingBridge(Map.of(BridgeConfig.JOB_MODE, true, BridgeConfig.JOB_NAMESPACE, fixture.namespace,
                    BridgeConfig.JOB_IMAGE, "registry.example.com/otaflow:0.1.0", BridgeConfig.JOB_EXTRA_ARGS, "--trusted-key=AAAA"));
            FlashCommand command = command("3f1c2a9e-77aa-4d1e-9a51-0c9d7e1f2b3c", fixture.key("picow-blink"));
            fixture.produce(fixture.topics.flashCommands(), "pico-7", command);
            fixture.produce(fixture.topics.flashCommands(), "pico-7", command); // redelivered: still one Job

            String name = FlashJobs.jobName(command.getCommandId());
            await().atMost(Duration.ofSeconds(20)).until(() -> fixture.client.batch().v1().jobs().inNamespace(fixture.namespace).withName(name).get() != null);
            Job job = fixture.client.batch().v1().jobs().inNamespace(fixture.namespace).withName(name).get();
            assertThat(fixture.client.batch().v1().jobs().inNamespace(fixture.namespace).list().getItems()).hasSize(1);
            assertThat(job.getMetadata().getOwnerReferences()).as("not owned by the Instance").isNullOrEmpty();
            assertThat(job.getMetadata().getAnnotations()).containsEntry(FlashJobs.COMMAND_ID_ANNOTATION, command.getCommandId())
                    .containsEntry(FlashJobs.DEVICE_ID_ANNOTATION, "pico-7");
            assertThat(job.getSpec().getBackoffLimit()).isZero();
            assertThat(job.getSpec().getActiveDeadlineSeconds()).isBetween(500L, 600L);
            var container = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
            assertThat(container.getImage()).isEqualTo("registry.example.com/otaflow:0.1.0");
            assertThat(container.getArgs()).startsWith("flash").contains("--kafka", stack.endpoints().kafka(), "--topic-prefix", fixture.topics.prefix(),
                    "--trusted-key=AAAA");
            assertThat(container.getEnvFrom()).as("the Kafka credentials every Pod reads").anySatisfy(from -> {
                assertThat(from.getSecretRef().getName()).isEqualTo(FlashJobs.CREDENTIALS_SECRET);
                assertThat(from.getSecretRef().getOptional()).isTrue();
            });
            String json = container.getEnv().stream().filter(e -> e.getName().equals(FlashJobs.COMMAND_ENV)).map(EnvVar::getValue).findFirst().orElseThrow();
            FlashCommand carried = new SpecificDatumReader<>(FlashCommand.class).read(null,
                    DecoderFactory.get().jsonDecoder(FlashCommand.getClassSchema(), json));
            assertThat(carried).isEqualTo(command);

            fixture.produce(fixture.topics.flashProgress(), "pico-7", FlashProgress.newBuilder().setCommandId(command.getCommandId())
                    .setDeviceId("pico-7").setPhase(FlashPhase.SUCCEEDED).setTerminal(true).setWorker("job").setAt(Instant.now()).build());
            await().atMost(Duration.ofSeconds(20)).until(() -> fixture.client.batch().v1().jobs().inNamespace(fixture.namespace).withName(name).get() == null);
        }
    }
}
