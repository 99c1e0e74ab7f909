package io.otaflow.bridge.desired;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The desired firmware a Configuration names in {@code spec.brokerProperties}, in one of two forms:
 * <ul>
 *   <li>the paper authors' {@code FIRMWARE: <registry>/<repo>:<tag>}: the tag is the version and the
 *   last path segment of the repository the type (unless {@code FIRMWARE_TYPE} says otherwise); the
 *   image is resolved from the registry unless {@code FIRMWARE_URI} points elsewhere;</li>
 *   <li>explicit {@code FIRMWARE_TYPE}, {@code FIRMWARE_VERSION}, {@code FIRMWARE_URI} (file, http or
 *   https) and {@code FIRMWARE_SHA256}, optionally {@code FIRMWARE_SIGNATURE}.</li>
 * </ul>
 * A Configuration with none of these keys is an ordinary Akri Configuration and none of ours.
 */
public record FirmwareProperties(String type, String version, Optional<URI> uri, Optional<String> sha256,
                                 Optional<String> signature, Optional<OciReference> reference) {
    public static final String FIRMWARE = "FIRMWARE";
    public static final String TYPE = "FIRMWARE_TYPE";
    public static final String VERSION = "FIRMWARE_VERSION";
    public static final String URI_KEY = "FIRMWARE_URI";
    public static final String SHA256 = "FIRMWARE_SHA256";
    public static final String SIGNATURE = "FIRMWARE_SIGNATURE";
    private static final List<String> KEYS = List.of(FIRMWARE, TYPE, VERSION, URI_KEY, SHA256, SIGNATURE);
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");

    /** The firmware these properties name, empty when they name none. */
    public static Optional<FirmwareProperties> parse(Map<String, String> properties) throws InvalidFirmwareException {
        if (KEYS.stream().noneMatch(properties::containsKey)) {
            return Optional.empty();
        }
        Optional<OciReference> reference = Optional.empty();
        if (properties.containsKey(FIRMWARE)) {
            try {
                reference = Optional.of(OciReference.parse(properties.get(FIRMWARE)));
            } catch (IllegalArgumentException e) {
                throw new InvalidFirmwareException("InvalidReference", FIRMWARE + ": " + e.getMessage());
            }
        }
        String type = value(properties, TYPE).orElse(reference.map(OciReference::name).orElse(null));
        String version = value(properties, VERSION).orElse(reference.map(OciReference::tag).orElse(null));
        if (type == null || version == null) {
            throw new InvalidFirmwareException("MissingFirmwareKeys",
                    "name the firmware as FIRMWARE: <registry>/<repo>:<tag>, or with FIRMWARE_TYPE, FIRMWARE_VERSION, FIRMWARE_URI and FIRMWARE_SHA256");
        }
        if (reference.isPresent() && properties.containsKey(VERSION) && !version.equals(reference.get().tag())) {
            throw new InvalidFirmwareException("ConflictingVersion", "FIRMWARE_VERSION " + version + " differs from the FIRMWARE tag " + reference.get().tag() + "; give one");
        }
        checkName(TYPE, type);
        checkName(VERSION, version);
        Optional<URI> uri;
        try {
            uri = value(properties, URI_KEY).map(FirmwareProperties::imageUri);
        } catch (IllegalArgumentException e) {
            throw new InvalidFirmwareException("InvalidUri", e.getMessage());
        }
        if (uri.isEmpty() && reference.isEmpty()) {
            throw new InvalidFirmwareException("MissingImage", "FIRMWARE_URI is required without a FIRMWARE registry reference");
        }
        Optional<String> sha256 = value(properties, SHA256).map(s -> s.toLowerCase(Locale.ROOT));
        if (sha256.isPresent() && !HEX_SHA256.matcher(sha256.get()).matches()) {
            throw new InvalidFirmwareException("InvalidDigest", "FIRMWARE_SHA256 must be 64 hexadecimal characters");
        }
        if (uri.isPresent() && sha256.isEmpty()) {
            throw new InvalidFirmwareException("MissingDigest", "FIRMWARE_SHA256 is required with FIRMWARE_URI: otaflow flashes only images it can verify");
        }
        Optional<String> signature = value(properties, SIGNATURE);
        if (signature.isPresent()) {
            try {
                Base64.getDecoder().decode(signature.get());
            } catch (IllegalArgumentException e) {
                throw new InvalidFirmwareException("InvalidSignature", "FIRMWARE_SIGNATURE is not base64: " + e.getMessage());
            }
        }
        return Optional.of(new FirmwareProperties(type, version, uri, sha256, signature, reference));
    }

    private static URI imageUri(String text) {
        try {
            URI uri = new URI(text.strip());
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("file") && !scheme.equals("http") && !scheme.equals("https")) {
                throw new IllegalArgumentException("FIRMWARE_URI must be a file, http or https URI, not '" + text + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("FIRMWARE_URI is not a URI: " + e.getMessage());
        }
    }

    private static Optional<String> value(Map<String, String> properties, String key) throws InvalidFirmwareException {
        String value = properties.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value.isBlank()) {
            throw new InvalidFirmwareException("MissingFirmwareKeys", key + " is empty");
        }
        return Optional.of(value.strip());
    }

    private static void checkName(String key, String value) throws InvalidFirmwareException {
        if (!NAME.matcher(value).matches()) {
            throw new InvalidFirmwareException("InvalidFirmwareName", key + " '" + value + "' may hold only letters, digits, '.', '_', '+' and '-'");
        }
    }
}
