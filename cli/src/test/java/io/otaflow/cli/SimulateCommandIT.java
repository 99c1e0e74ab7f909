package io.otaflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.otaflow.picowota.BinaryInfo;
import io.otaflow.picowota.ElfImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code otaflow simulate} and {@code otaflow firmware build} from the packaged jar. */
class SimulateCommandIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void simulateRunsAFleetAndWritesItsEndpoints(@TempDir Path work) throws Exception {
        Path endpoints = work.resolve("fleet.jsonl");
        Process simulate = Cli.command("simulate", "--devices", "20", "--faults", "locked=2", "--addressing", "ports",
                "--endpoints-file", endpoints.toString()).redirectOutput(work.resolve("out.txt").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> Files.exists(endpoints) && Files.readAllLines(endpoints).size() == 20);
            List<String> lines = Files.readAllLines(endpoints);
            HttpClient http = HttpClient.newHttpClient();
            int locked = 0;
            for (String line : lines) {
                JsonNode device = JSON.readTree(line);
                String url = device.path("http").asText() + "/api/v1/metadata";
                JsonNode metadata = await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> JSON.readTree(
                        http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body()), n -> true);
                assertThat(metadata.path("deviceId").asText()).isEqualTo(device.path("deviceId").asText());
                locked += metadata.path("locked").asBoolean() ? 1 : 0;
            }
            assertThat(locked).isEqualTo(2);
        } finally {
            simulate.destroy();
        }
        assertThat(simulate.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void firmwareBuildWritesABinAndAnElfThatSayWhatTheyAre(@TempDir Path work) throws Exception {
        Path bin = work.resolve("blink-1.2.0.bin");
        Cli.Result built = Cli.run("firmware", "build", "--type", "blink", "--version", "1.2.0", "--size", "600KiB",
                "-o", bin.toString(), "--also-elf");
        assertThat(built.exitCode()).as(built.output()).isZero();
        assertThat(built.output()).contains("base 0x1005B000").contains("sha256");
        byte[] image = Files.readAllBytes(bin);
        assertThat(image).hasSize(600 * 1024);
        assertThat(BinaryInfo.read(image, 0x1005B000)).contains(new BinaryInfo.ProgramInfo("blink", "1.2.0"));
        ElfImage.Loaded elf = ElfImage.read(Files.readAllBytes(work.resolve("blink-1.2.0.elf")));
        assertThat(elf.address()).isEqualTo(0x1005B000L);
        assertThat(elf.bytes()).isEqualTo(image);

        Cli.Result tooBig = Cli.run("firmware", "build", "--type", "blink", "--version", "1", "--size", "4MiB", "-o", bin.toString());
        assertThat(tooBig.exitCode()).isEqualTo(1);
        assertThat(tooBig.output()).contains("--size must be between");
    }
}
