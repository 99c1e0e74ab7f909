package io.otaflow.bridge.jobs;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FlashJobsTest {
    @Test
    void jobNamesAreValidDnsLabelsAndOnePerCommand() {
        assertThat(FlashJobs.jobName("3f1c2a9e-77aa-4d1e-9a51-0c9d7e1f2b3c")).isEqualTo("otaflow-flash-3f1c2a9e-77aa-4d1e-9a51-0c9d7e1f2b3c");
        String odd = FlashJobs.jobName("Pico_W/42:gen-7:attempt-1");
        assertThat(odd).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?").hasSizeLessThanOrEqualTo(63);
        assertThat(FlashJobs.jobName("Pico_W/42:gen-7:attempt-2")).isNotEqualTo(odd);
        String longId = "x".repeat(200);
        assertThat(FlashJobs.jobName(longId)).hasSizeLessThanOrEqualTo(63).isEqualTo(FlashJobs.jobName(longId));
    }
}
