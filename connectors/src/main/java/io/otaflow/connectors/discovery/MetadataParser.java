package io.otaflow.connectors.discovery;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Turns a device's metadata (from an HTTP poll or an MQTT state message) into {@link DeviceMetadata},
 * or says precisely why it cannot: not UTF-8, not JSON, not an object, a field missing or of the
 * wrong type, an absurd value (a 10 KB version string, a negative uptime, an id with spaces).
 * Devices are untrusted input; nothing they send reaches Kafka unchecked.
 */
public final class MetadataParser {
    public static final int MAX_BODY_BYTES = 16 * 1024;
    public static final int MAX_TEXT = 128;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Pattern PRINTABLE = Pattern.compile("[\\p{Print}&&[^\\p{Cntrl}]]+");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxStringLength(MAX_BODY_BYTES).build());
    }

    /** Input that is not acceptable metadata; the message says why, for the dead-letter record. */
    public static final class BadMetadataException extends Exception {
        public BadMetadataException(String message) {
            super(message);
        }
    }

    private final MetadataProfile profile;

    public MetadataParser(MetadataProfile profile) {
        this.profile = profile;
    }

    public DeviceMetadata parse(byte[] body, String contentType) throws BadMetadataException {
        if (body.length > MAX_BODY_BYTES) {
            throw new BadMetadataException("body of " + body.length + " bytes exceeds " + MAX_BODY_BYTES);
        }
        if (contentType != null && !contentType.isBlank() && !contentType.toLowerCase(java.util.Locale.ROOT).contains("json")) {
            throw new BadMetadataException("answered " + contentType.split(";")[0].trim() + ", not JSON");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new BadMetadataException("body is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (Exception e) {
            String first = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new BadMetadataException("body is not JSON: " + first);
        }
        if (root == null || !root.isObject()) {
            throw new BadMetadataException("body is not a JSON object");
        }
        String deviceId = text(root, profile.deviceId(), true);
        if (!ID.matcher(deviceId).matches()) {
            throw new BadMetadataException(profile.deviceId() + " '" + abbreviate(deviceId) + "' is not a device id (letters, digits, . _ : -, at most 128)");
        }
        String type = text(root, profile.firmwareType(), true);
        String version = text(root, profile.firmwareVersion(), true);
        boolean locked = false;
        JsonNode lock = root.get(profile.locked());
        if (lock != null && !lock.isNull()) {
            if (!lock.isBoolean()) {
                throw new BadMetadataException(profile.locked() + " must be true or false, not " + abbreviate(lock.toString()));
            }
            locked = lock.asBoolean();
        } else if (profile == MetadataProfile.OTAFLOW) {
            throw new BadMetadataException("missing field " + profile.locked());
        }
        String mode = root.hasNonNull(profile.mode()) ? text(root, profile.mode(), false) : "app";
        if (!mode.equalsIgnoreCase("app") && !mode.equalsIgnoreCase("bootloader")) {
            throw new BadMetadataException(profile.mode() + " must be app or bootloader, not '" + abbreviate(mode) + "'");
        }
        Long uptime = null;
        JsonNode up = root.get(profile.uptimeMs());
        if (up != null && !up.isNull()) {
            if (!up.isIntegralNumber() || up.asLong() < 0) {
                throw new BadMetadataException(profile.uptimeMs() + " must be a non-negative whole number, not " + abbreviate(up.toString()));
            }
            uptime = up.asLong();
        }
        String hardware = root.hasNonNull(profile.hardware()) ? text(root, profile.hardware(), false) : null;
        return new DeviceMetadata(deviceId, type, version, locked, mode.toLowerCase(java.util.Locale.ROOT), uptime, hardware);
    }

    private static String text(JsonNode root, String field, boolean required) throws BadMetadataException {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            if (required) {
                throw new BadMetadataException("missing field " + field);
            }
            return null;
        }
        if (!node.isTextual()) {
            throw new BadMetadataException(field + " must be a string, not " + abbreviate(node.toString()));
        }
        String value = node.asText();
        if (value.isEmpty() || value.length() > MAX_TEXT) {
            throw new BadMetadataException(field + " must have 1 to " + MAX_TEXT + " characters, not " + value.length());
        }
        if (!PRINTABLE.matcher(value).matches()) {
            throw new BadMetadataException(field + " contains control characters");
        }
        return value;
    }

    static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
