package io.otaflow.connectors.discovery;

import io.otaflow.schemas.DeadLetter;
import io.otaflow.schemas.DeviceMode;
import io.otaflow.schemas.DeviceReport;
import io.otaflow.schemas.DiscoveryEvent;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceTrackerTest {
    private static final URI A = URI.create("http://127.10.0.1:8080");
    private final DiscoveryDetails details = DiscoveryDetails.parse("""
            endpoints: ["http://127.10.0.1:8080"]
            missesBeforeAbsent: 2
            heartbeatInterval: 60s
            configuration: default/picow
            """);
    private final FlashHolds holds = new FlashHolds(Duration.ofMinutes(2));
    private final DeviceTracker tracker = new DeviceTracker(details, "default/picow", "node-a", holds);
    private final RecordingSink sink = new RecordingSink();
    private Instant now = Instant.parse("2026-11-27T10:00:00Z");

    static final class RecordingSink implements EventSink {
        final List<DiscoveryEvent> discoveries = new ArrayList<>();
        final List<DeviceReport> reports = new ArrayList<>();
        final List<DeadLetter> deadLetters = new ArrayList<>();

        @Override
        public void discovery(DiscoveryEvent event) {
            discoveries.add(event);
        }

        @Override
        public void report(DeviceReport report) {
            reports.add(report);
        }

        @Override
        public void deadLetter(String key, DeadLetter letter) {
            deadLetters.add(letter);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private void poll(PollResult result) {
        tracker.apply(List.of(result), now, sink);
        now = now.plusSeconds(10);
    }

    private static PollResult.Answered answer(String version, boolean locked) {
        return new PollResult.Answered(A, new DeviceMetadata("pico-1", "blink", version, locked, "app", 1000L, "pico_w"));
    }

    @Test
    void aNewDeviceIsDiscoveredAndReportedThenOnlyChangesAndHeartbeatsAreReported() {
        poll(answer("1.0.0", false));
        assertThat(sink.discoveries).hasSize(1);
        DiscoveryEvent appeared = sink.discoveries.get(0);
        assertThat(appeared.getPresent()).isTrue();
        assertThat(appeared.getConfiguration()).isEqualTo("default/picow");
        assertThat(appeared.getOtaEndpoint()).isEqualTo("127.10.0.1:4242");
        assertThat(appeared.getNode()).isEqualTo("node-a");
        assertThat(sink.reports).hasSize(1);

        poll(answer("1.0.0", false));
        poll(answer("1.0.0", false));
        assertThat(sink.reports).as("no report for an unchanged poll").hasSize(1);
        poll(answer("1.0.0", true));
        assertThat(sink.reports).hasSize(2);
        assertThat(sink.reports.get(1).getLocked()).isTrue();
        for (int i = 0; i < 6; i++) {
            poll(answer("1.0.0", true));
        }
        assertThat(sink.reports).as("a heartbeat after 60 s").hasSize(3);
        assertThat(sink.discoveries).hasSize(1);
        assertThat(tracker.snapshot()).singleElement().satisfies(d -> {
            assertThat(d.getId()).isEqualTo("pico-1");
            assertThat(d.getPropertiesMap()).containsEntry("FW_VERSION", "1.0.0").containsEntry("FW_LOCKED", "true")
                    .containsEntry("HOST_ENDPOINT", "http://127.10.0.1:8080").containsEntry("OTA_ENDPOINT", "127.10.0.1:4242");
        });
    }

    @Test
    void aSilentDeviceIsAbsentAfterTheConfiguredMisses() {
        poll(answer("1.0.0", false));
        poll(new PollResult.Unreachable(A, "refused"));
        assertThat(tracker.snapshot()).hasSize(1);
        poll(new PollResult.Unreachable(A, "refused"));
        assertThat(tracker.snapshot()).isEmpty();
        assertThat(sink.discoveries).extracting(DiscoveryEvent::getPresent).containsExactly(true, false);
        poll(answer("1.0.0", false));
        assertThat(sink.discoveries).extracting(DiscoveryEvent::getPresent).containsExactly(true, false, true);
    }

    @Test
    void aDeviceBeingFlashedStaysPresentInItsBootloaderAndComesBackInApp() {
        poll(answer("1.0.0", false));
        holds.progress("pico-1", false, now);
        for (int i = 0; i < 5; i++) {
            poll(new PollResult.Unreachable(A, "refused"));
        }
        assertThat(tracker.snapshot()).as("kept for Akri while flashed").hasSize(1);
        assertThat(sink.discoveries).extracting(DiscoveryEvent::getMode).containsExactly(DeviceMode.APP, DeviceMode.BOOTLOADER);
        poll(answer("1.1.0", false));
        assertThat(sink.discoveries).extracting(DiscoveryEvent::getMode).containsExactly(DeviceMode.APP, DeviceMode.BOOTLOADER, DeviceMode.APP);
        assertThat(sink.reports.get(sink.reports.size() - 1).getFirmwareVersion()).isEqualTo("1.1.0");
    }

    @Test
    void garbageIsDeadLetteredOncePerDistinctAnswerAndCountsAsAMiss() {
        poll(answer("1.0.0", false));
        PollResult.Bad html = new PollResult.Bad(A, "answered text/html, not JSON", 200, "<html>".getBytes());
        poll(html);
        poll(html);
        assertThat(sink.deadLetters).hasSize(1);
        DeadLetter letter = sink.deadLetters.get(0);
        assertThat(letter.getErrorMessage()).isEqualTo("answered text/html, not JSON");
        assertThat(letter.getOriginalTopic()).isEqualTo("http:http://127.10.0.1:8080/api/v1/metadata");
        assertThat(letter.getComponent()).isEqualTo("discovery");
        assertThat(tracker.snapshot()).as("two misses: absent").isEmpty();
    }

    @Test
    void aDeviceOfAnotherTypeIsNotOurs() {
        DiscoveryDetails onlyBlink = DiscoveryDetails.parse("endpoints: [\"http://127.10.0.1:8080\"]\nexpectedType: blink");
        DeviceTracker typed = new DeviceTracker(onlyBlink, null, null, holds);
        typed.apply(List.of(new PollResult.Answered(A, new DeviceMetadata("cam-1", "camera", "2.0", false, "app", null, null))), now, sink);
        assertThat(typed.snapshot()).isEmpty();
        assertThat(sink.discoveries).isEmpty();
    }
}
