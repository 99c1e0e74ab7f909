package io.otaflow.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real kubectl binary ({@code $KUBECTL}, else {@code kubectl} on the PATH) run against a
 * kubeconfig, such as the one {@link EmbeddedKubernetes#writeKubeconfig} writes.
 */
public final class Kubectl {
    /** The exit code of a kubectl that could not be started (not installed). */
    public static final int NOT_INSTALLED = -1;

    private Kubectl() {
    }

    /** What kubectl printed (stdout and stderr, in order) and its exit code. */
    public record Result(int exit, String output) {
        public List<String> lines() {
            return output.lines().toList();
        }
    }

    public static Result run(Path kubeconfig, String... args) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of(System.getenv().getOrDefault("KUBECTL", "kubectl"), "--kubeconfig",
                kubeconfig.toString(), "--request-timeout=20s"));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Result(NOT_INSTALLED, e.getMessage());
        }
        try {
            process.getOutputStream().close();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(124, output + "(kubectl timed out)");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            process.destroyForcibly();
            return new Result(1, "cannot read kubectl's output: " + e.getMessage());
        }
    }
}
