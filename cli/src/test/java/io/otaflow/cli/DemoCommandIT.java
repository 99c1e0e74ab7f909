package io.otaflow.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code otaflow demo} as a newcomer runs it, from the packaged jar in its own JVM, at sizes other
 * than {@link DemoIT}'s, with the default fault mix: it passes, and the terminal shows the live
 * view and the summary, not the servers' log lines (those go to the file it names).
 */
class DemoCommandIT {
    private static final Pattern LOG_LINE = Pattern.compile("(?m)^(\\d\\d:\\d\\d:\\d\\d\\.\\d{3} +(TRACE|DEBUG|INFO|WARN|ERROR)\\b|WARNING:|SLF4J).*$");
    private static final Pattern LOG_FILE = Pattern.compile("(?m)^full log: (\\S+) \\(\\d+ warnings, \\d+ errors\\)$");

    @ParameterizedTest
    @ValueSource(ints = {1, 30})
    void passesQuietlyAtThisSize(int devices) throws Exception {
        Process process = Cli.command("demo", "--devices", String.valueOf(devices), "--timing", "fast", "--timeout", "PT4M").start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        System.out.println(output);

        assertThat(process.exitValue()).as("exit code").isZero();
        assertThat(output).contains("every healthy unlocked device runs blink 1.1.0");
        List<String> logLines = LOG_LINE.matcher(output).results().map(m -> m.group()).toList();
        assertThat(logLines).as("log lines on the terminal").isEmpty();
        assertThat(output).as("the summary's table is the real kubectl's (it is on these machines), columns filled")
                .doesNotContain("(no kubectl here").doesNotContain("(kubectl failed")
                .containsPattern("(?m)^NAME +CONFIG +SHARED +NODES +FIRMWARE +VERSION +LOCKED +PHASE +TARGET +AGE$")
                .containsPattern("(?m)^picow-blink-\\w+ +picow-blink +false +\\[\"demo-node\"\\] +blink +1\\.1\\.0 +false +SUCCEEDED +1\\.1\\.0 +\\S+$");
        assertThat(output).contains("kubectl: export KUBECONFIG=");
        Matcher file = LOG_FILE.matcher(output);
        assertThat(file.find()).as("the summary names the log file").isTrue();
        assertThat(Files.readString(Path.of(file.group(1)))).as("the log file holds otaflow's lines").contains("io.otaflow");
    }
}
