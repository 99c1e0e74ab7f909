package io.otaflow.devstack;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class KubectlDispatcherTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest(name = "{0} s ago -> {1}")
    @CsvSource({"0, 0s", "119, 119s", "125, 2m5s", "600, 10m", "10800, 3h", "11100, 3h5m", "172800, 2d", "176400, 2d1h", "864000, 10d"})
    void aDateCellIsAnAgeAsKubectlPrintsIt(long secondsAgo, String age) {
        Instant now = Instant.parse("2026-12-03T12:00:00Z");
        assertThat(KubectlDispatcher.age(JSON.getNodeFactory().textNode(now.minusSeconds(secondsAgo).toString()), now).asText()).isEqualTo(age);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            ".status.firmware.version | 1.1.0",
            ".spec.nodes              | [\"node-a\"]",
            ".status.missing          | null",
    })
    void aPrinterColumnReadsItsJsonPath(String path, String expected) throws Exception {
        var item = JSON.readTree("{\"spec\":{\"nodes\":[\"node-a\"]},\"status\":{\"firmware\":{\"version\":\"1.1.0\"}}}");
        var cell = KubectlDispatcher.cell(item, path);
        assertThat(cell.isNull() ? "null" : cell.asText()).isEqualTo(expected);
    }
}
