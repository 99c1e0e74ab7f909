package io.otaflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs parts of otaflow as separate processes from the packaged CLI jar, so that a benchmark
 * measures only what runs in its own JVM (the platform and the fleet use their own CPU).
 */
final class ChildProcesses implements AutoCloseable {
    private final Path jar;
    private final List<Process> processes = new ArrayList<>();

    ChildProcesses(Path root) {
        this.jar = root.resolve("cli/target/otaflow.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException("build the CLI first: " + jar + " is missing (bench/run builds it)");
        }
    }

    Process start(Path log, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED", "-jar", jar.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.add(process);
        return process;
    }

    static void awaitFile(Path file, Duration timeout, Process owner) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!Files.exists(file) || Files.size(file) == 0) {
            if (!owner.isAlive()) {
                throw new IllegalStateException("child process ended before writing " + file);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(file + " did not appear within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    @Override
    public void close() {
        processes.forEach(Process::destroy);
        for (Process process : processes) {
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
