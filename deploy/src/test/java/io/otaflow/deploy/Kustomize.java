package io.otaflow.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Renders a kustomization with {@code kubectl kustomize}, the same renderer a user runs. */
final class Kustomize {
    /** deploy/, from the module's working directory (Maven runs tests in the module folder). */
    static final Path DEPLOY = Path.of("").toAbsolutePath();

    private Kustomize() {
    }

    static List<Path> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(DEPLOY.resolve("overlays"))) {
            return dirs.filter(dir -> Files.isRegularFile(dir.resolve("kustomization.yaml"))).sorted().toList();
        }
    }

    static String render(Path kustomization) throws IOException, InterruptedException {
        String kubectl = System.getenv().getOrDefault("KUBECTL", "kubectl");
        Process process;
        try {
            process = new ProcessBuilder(kubectl, "kustomize", kustomization.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run '" + kubectl + " kustomize' (install kubectl 1.27+, or set KUBECTL): " + e.getMessage(), e);
        }
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new AssertionError("kubectl kustomize " + DEPLOY.relativize(kustomization) + " failed: "
                    + new String(err, StandardCharsets.UTF_8));
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
