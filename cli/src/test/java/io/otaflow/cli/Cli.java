package io.otaflow.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the packaged {@code otaflow.jar} as a user does: in its own JVM. */
final class Cli {
    static final Path JAR = Path.of("target/otaflow.jar");

    private Cli() {
    }

    static ProcessBuilder command(String... args) {
        assertThat(JAR).as("the shaded jar is built in the package phase").exists();
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        if (Runtime.version().feature() >= 24) {
            command.add("--sun-misc-unsafe-memory-access=allow"); // as ./otaflow does: Netty's Unsafe use warns otherwise
        }
        command.addAll(List.of("-jar", JAR.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    /** Runs to completion; returns exit code and output. */
    record Result(int exitCode, String output) {
    }

    static Result run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), args);
    }

    /** Runs to completion with these environment variables added. */
    static Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        ProcessBuilder builder = command(args);
        builder.environment().putAll(env);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(90, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
