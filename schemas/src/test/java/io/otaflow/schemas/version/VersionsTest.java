package io.otaflow.schemas.version;

import org.junit.jupiter.api.Test;

import static io.otaflow.schemas.version.Versions.Order.*;
import static org.assertj.core.api.Assertions.assertThat;

class VersionsTest {
    @Test
    void semverPrecedence() {
        assertThat(Versions.compare("1.10.0", "1.9.9")).isEqualTo(NEWER);
        assertThat(Versions.compare("1.0.0", "1.0.0-rc.1")).isEqualTo(NEWER);
        assertThat(Versions.compare("1.0.0-rc.2", "1.0.0-rc.10")).isEqualTo(OLDER);
        assertThat(Versions.compare("1.0.0-alpha", "1.0.0-1")).isEqualTo(NEWER);
        assertThat(Versions.compare("v2.0.0", "2.0.0+build.5")).isEqualTo(SAME);
        assertThat(Versions.compare("0.9.0", "1.0.0")).isEqualTo(OLDER);
    }

    @Test
    void plainStringsAreOnlyEqualOrDifferent() {
        assertThat(Versions.compare("latest", "latest")).isEqualTo(SAME);
        assertThat(Versions.compare("2024-05-01", "2024-04-01")).isEqualTo(DIFFERENT_UNORDERED);
        assertThat(Versions.compare("1.2", "1.1.0")).isEqualTo(DIFFERENT_UNORDERED);
    }
}
