package io.otaflow.bridge;

import io.otaflow.bridge.akri.Akri;
import io.otaflow.devstack.DevStack;
import io.otaflow.devstack.junit.SharedDevStack;
import io.otaflow.schemas.DesiredFirmware;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two replicas, one Lease: only the leader writes; when it stops, the other takes over and repeats nothing. */
@ExtendWith(SharedDevStack.class)
class LeaderElectionIT {
    @Test
    void aSecondReplicaTakesOverWhenTheLeaderStops(DevStack stack, @TempDir Path dir) throws Exception {
        try (BridgeFixture fixture = new BridgeFixture(stack)) {
            AkriBridge first = fixture.leadingBridge(Map.of(BridgeConfig.IDENTITY, "bridge-a"));
            AkriBridge second = fixture.bridge(Map.of(BridgeConfig.IDENTITY, "bridge-b"));
            await().atMost(Duration.ofSeconds(10)).until(() -> "bridge-a".equals(second.leader()));
            assertThat(second.active()).isFalse();

            byte[] bytes = "blink 1.1.0".getBytes(StandardCharsets.UTF_8);
            Path image = Files.write(dir.resolve("blink.bin"), bytes);
            String sha = ConfigurationsIT.sha256(bytes);
            fixture.create(Akri.CONFIGURATION, ConfigurationsIT.firmwareConfiguration("before", "1.1.0", image, sha, ""));
            fixture.read(fixture.topics.firmwareDesired(), d -> d.getConfiguration().equals(fixture.key("before")), 1);
            await().atMost(Duration.ofSeconds(10)).until(fixture::bridgeIdle);
            assertThat(second.active()).as("the follower stays passive while the leader lives").isFalse();

            long stoppedAt = System.nanoTime();
            first.close();
            await().atMost(Duration.ofSeconds(20)).until(second::active);
            Duration takeover = Duration.ofNanos(System.nanoTime() - stoppedAt);
            assertThat(second.leader()).isEqualTo("bridge-b");

            fixture.create(Akri.CONFIGURATION, ConfigurationsIT.firmwareConfiguration("after", "1.1.0", image, sha, ""));
            DesiredFirmware after = fixture.read(fixture.topics.firmwareDesired(), d -> d.getConfiguration().equals(fixture.key("after")), 1).getFirst();
            assertThat(after.getTarget().getFirmwareVersion()).isEqualTo("1.1.0");
            await().atMost(Duration.ofSeconds(20)).until(() -> fixture.status(Akri.CONFIGURATION, "after") != null);
            await().atMost(Duration.ofSeconds(10)).until(fixture::bridgeIdle);
            // The new leader read the table and found "before" already published: no second record.
            assertThat(fixture.history(fixture.topics.firmwareDesired(), fixture.key("before"), 1)).hasSize(1);
            System.out.printf("BENCH bridge_leader_takeover %.2f s (lease 3 s, released on stop)%n", takeover.toMillis() / 1000.0);
        }
    }
}
