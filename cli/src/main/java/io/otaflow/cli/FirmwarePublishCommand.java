package io.otaflow.cli;

import io.otaflow.bridge.desired.DesiredRecords;
import io.otaflow.bridge.desired.FirmwareProperties;
import io.otaflow.bridge.desired.ImageResolver;
import io.otaflow.bridge.desired.InvalidFirmwareException;
import io.otaflow.bridge.desired.RolloutPolicyAnnotations;
import io.otaflow.schemas.DesiredFirmware;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.RolloutPolicy;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code otaflow firmware publish}: desired firmware straight to the topic, for users without Akri.
 * The image is checked as the bridge checks a Configuration's (digest, size), the policy takes the
 * same keys as the {@code otaflow.io/*} annotations, and the generation follows the same rule.
 */
@Command(name = "publish", mixinStandardHelpOptions = true,
        description = "Publish desired firmware for a configuration key straight to firmware.desired (no Akri needed).")
final class FirmwarePublishCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    Connection connection;

    @Option(names = "--config", required = true, description = "Configuration key: namespace/name, or name in default.")
    String configuration;

    @Option(names = "--type", required = true, description = "Firmware type, e.g. blink.")
    String type;

    @Option(names = "--version", required = true, description = "Firmware version, e.g. 1.1.0.")
    String version;

    @Option(names = "--image", required = true, description = "Image: a file path, or a file:, http: or https: URI.")
    String image;

    @Option(names = "--sha256", description = "Expected SHA-256 of the image (default: computed from a local file; required for URLs).")
    String sha256;

    @Option(names = "--signature", description = "Base64 Ed25519 signature of the image.")
    String signature;

    @Option(names = "--policy", paramLabel = "KEY=VALUE", description = "Rollout policy, the keys of the otaflow.io/ annotations "
            + "(max-in-flight=10, waves=1,10%%,100%%, paused=true, selector=ring=canary, ...).")
    Map<String, String> policy = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        String key = Connection.configurationKey(configuration);
        String uri = image.contains(":/") ? image : Path.of(image).toAbsolutePath().toUri().toString();
        String digest = sha256;
        if (digest == null && uri.startsWith("file:")) {
            digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(Path.of(java.net.URI.create(uri)))));
        }
        Map<String, String> properties = new HashMap<>();
        properties.put(FirmwareProperties.TYPE, type);
        properties.put(FirmwareProperties.VERSION, version);
        properties.put(FirmwareProperties.URI_KEY, uri);
        if (digest != null) {
            properties.put(FirmwareProperties.SHA256, digest);
        }
        if (signature != null) {
            properties.put(FirmwareProperties.SIGNATURE, signature);
        }
        Map<String, String> annotations = new HashMap<>();
        policy.forEach((k, v) -> annotations.put(RolloutPolicyAnnotations.PREFIX + k, v));
        DesiredFirmware next;
        try {
            FirmwareProperties firmware = FirmwareProperties.parse(properties).orElseThrow();
            RolloutPolicy rolloutPolicy = RolloutPolicyAnnotations.policy(annotations);
            FirmwareImage checked = new ImageResolver(Duration.ofSeconds(30), 16L * 1024 * 1024).resolve(firmware);
            DesiredFirmware published = connection.table(connection.topics().firmwareDesired()).get(key);
            if (published != null && "akri".equals(published.getSource())) {
                throw new IllegalStateException(key + " is managed by an Akri Configuration: change the Configuration instead");
            }
            next = DesiredRecords.next(key, new FirmwareRef(type, version), checked, rolloutPolicy,
                    RolloutPolicyAnnotations.selector(annotations), published, 1, "operator", Instant.now());
            if (published != null && DesiredRecords.sameExceptTime(published, next)) {
                spec.commandLine().getOut().printf("%s already desires %s %s (generation %d) with this policy: nothing to publish%n",
                        key, type, version, published.getGeneration());
                return 0;
            }
        } catch (InvalidFirmwareException e) {
            throw new IllegalArgumentException(e.reason() + ": " + e.getMessage().replace("FIRMWARE_SHA256", "--sha256")
                    .replace("FIRMWARE_URI", "--image").replace("annotation otaflow.io/", "--policy "));
        }
        RolloutCommand.publish(connection, key, next);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("published %s %s for %s: generation %d, %d bytes, sha256 %s%n", type, version, key, next.getGeneration(),
                next.getImage().getSize(), next.getImage().getSha256());
        out.flush();
        return 0;
    }
}
