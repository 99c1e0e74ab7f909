package io.otaflow.flasher;

import io.otaflow.picowota.BinaryInfo;
import io.otaflow.picowota.ElfImage;
import io.otaflow.schemas.FirmwareImage;
import io.otaflow.schemas.FirmwareRef;
import io.otaflow.schemas.FlashErrorCode;
import io.otaflow.schemas.ImageFormat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Firmware images for flashing: fetched from {@code file:} or {@code http(s):}, cached by sha256,
 * and trusted only after every check: size, sha256, an Ed25519 signature by a configured key
 * (unsigned images are refused unless development mode allows them), a readable format, and
 * embedded binary info that does not contradict the command's target.
 */
public final class ArtifactStore {
    /** Nothing a Pico W can hold is larger (2 MiB of flash). */
    public static final long MAX_IMAGE_BYTES = 4L * 1024 * 1024;

    /** A checked image, ready to write at {@code address}. */
    public record VerifiedImage(byte[] bytes, int address, String sha256, BinaryInfo.ProgramInfo program) {
    }

    private final Path cache;
    private final List<PublicKey> trustedKeys;
    private final boolean allowUnsigned;
    /** Checked images in memory: a thousand concurrent flashes of one image share one copy. */
    private final java.util.Map<String, VerifiedImage> verified = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, VerifiedImage> eldest) {
                    return size() > 16;
                }
            });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NORMAL).build();

    public ArtifactStore(Path cache, List<PublicKey> trustedKeys, boolean allowUnsigned) throws IOException {
        this.cache = Files.createDirectories(cache);
        this.trustedKeys = List.copyOf(trustedKeys);
        this.allowUnsigned = allowUnsigned;
    }

    /** An Ed25519 public key, as base64 of its X.509 SubjectPublicKeyInfo (the body of a PEM "PUBLIC KEY"). */
    public static PublicKey ed25519PublicKey(String text) {
        String base64 = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not an Ed25519 public key (base64 X.509 / PEM): " + e.getMessage(), e);
        }
    }

    public VerifiedImage fetch(FirmwareImage image, FirmwareRef target) throws FlashFailure {
        String key = image.toString() + "|" + target;
        VerifiedImage known = verified.get(key);
        if (known != null) {
            return known; // the same image, signature and target were checked already
        }
        VerifiedImage checked = check(image, target);
        verified.put(key, checked);
        return checked;
    }

    private VerifiedImage check(FirmwareImage image, FirmwareRef target) throws FlashFailure {
        String sha256 = image.getSha256().toLowerCase(java.util.Locale.ROOT);
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new FlashFailure(FlashErrorCode.IMAGE_HASH_MISMATCH, "the command's sha256 is not 64 hex digits");
        }
        if (image.getSize() <= 0 || image.getSize() > MAX_IMAGE_BYTES) {
            throw new FlashFailure(FlashErrorCode.IMAGE_TOO_LARGE, "image size " + image.getSize() + " is out of range");
        }
        Path cached = cache.resolve(sha256);
        byte[] bytes = null;
        if (Files.exists(cached)) {
            try {
                bytes = Files.readAllBytes(cached);
                if (!sha256(bytes).equals(sha256)) {
                    Files.deleteIfExists(cached); // a damaged cache entry: fetch again
                    bytes = null;
                }
            } catch (IOException e) {
                bytes = null;
            }
        }
        if (bytes == null) {
            bytes = download(image.getUri());
        }
        if (bytes.length != image.getSize()) {
            throw new FlashFailure(FlashErrorCode.IMAGE_HASH_MISMATCH, "image is " + bytes.length + " bytes, the command says " + image.getSize());
        }
        String actual = sha256(bytes);
        if (!actual.equals(sha256)) {
            throw new FlashFailure(FlashErrorCode.IMAGE_HASH_MISMATCH, "image sha256 " + actual + " differs from the command's " + sha256);
        }
        verifySignature(bytes, image.getSignature());
        store(cached, bytes);

        byte[] flat = bytes;
        int address = (int) image.getBaseAddress();
        if (image.getFormat() == ImageFormat.ELF || ElfImage.isElf(bytes)) {
            try {
                ElfImage.Loaded loaded = ElfImage.read(bytes);
                flat = loaded.bytes();
                address = (int) loaded.address();
            } catch (IllegalArgumentException e) {
                throw new FlashFailure(FlashErrorCode.IMAGE_FORMAT_INVALID, "unreadable ELF image: " + e.getMessage());
            }
        } else if (image.getFormat() == ImageFormat.UNKNOWN) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FORMAT_INVALID, "unknown image format");
        }
        BinaryInfo.ProgramInfo program = BinaryInfo.read(flat, Integer.toUnsignedLong(address)).orElse(null);
        if (program != null && target != null) {
            if (program.name() != null && !program.name().equals(target.getFirmwareType())) {
                throw new FlashFailure(FlashErrorCode.IMAGE_METADATA_MISMATCH, "the image is '" + program.name()
                        + "', the command flashes '" + target.getFirmwareType() + "'");
            }
            if (program.version() != null && !program.version().equals(target.getFirmwareVersion())) {
                throw new FlashFailure(FlashErrorCode.IMAGE_METADATA_MISMATCH, "the image is version " + program.version()
                        + ", the command flashes " + target.getFirmwareVersion());
            }
        }
        return new VerifiedImage(flat, address, sha256, program);
    }

    private void verifySignature(byte[] bytes, String signature) throws FlashFailure {
        if (signature == null || signature.isBlank()) {
            if (allowUnsigned) {
                return;
            }
            throw new FlashFailure(FlashErrorCode.IMAGE_SIGNATURE_INVALID, "unsigned image refused (signatures are required)");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(signature.trim());
        } catch (IllegalArgumentException e) {
            throw new FlashFailure(FlashErrorCode.IMAGE_SIGNATURE_INVALID, "signature is not base64");
        }
        for (PublicKey key : trustedKeys) {
            try {
                Signature verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(bytes);
                if (verifier.verify(raw)) {
                    return;
                }
            } catch (GeneralSecurityException e) {
                // not this key
            }
        }
        throw new FlashFailure(FlashErrorCode.IMAGE_SIGNATURE_INVALID, trustedKeys.isEmpty()
                ? "signed image but no trusted keys are configured" : "signature matches no trusted key");
    }

    private byte[] download(String uri) throws FlashFailure {
        URI location;
        try {
            location = URI.create(uri);
        } catch (IllegalArgumentException e) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FETCH_FAILED, "image URI is invalid: " + uri);
        }
        try {
            if ("file".equals(location.getScheme())) {
                Path file = Path.of(location);
                if (Files.size(file) > MAX_IMAGE_BYTES) {
                    throw new FlashFailure(FlashErrorCode.IMAGE_TOO_LARGE, "image file is larger than " + MAX_IMAGE_BYTES);
                }
                return Files.readAllBytes(file);
            }
            if ("http".equals(location.getScheme()) || "https".equals(location.getScheme())) {
                HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(location).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                try (InputStream in = response.body()) {
                    if (response.statusCode() != 200) {
                        throw new FlashFailure(FlashErrorCode.IMAGE_FETCH_FAILED, "GET " + uri + " answered HTTP " + response.statusCode());
                    }
                    byte[] bytes = in.readNBytes((int) MAX_IMAGE_BYTES + 1);
                    if (bytes.length > MAX_IMAGE_BYTES) {
                        throw new FlashFailure(FlashErrorCode.IMAGE_TOO_LARGE, "image is larger than " + MAX_IMAGE_BYTES);
                    }
                    return bytes;
                }
            }
            throw new FlashFailure(FlashErrorCode.IMAGE_FETCH_FAILED, "unsupported image URI scheme: " + location.getScheme()
                    + " (file, http, https)");
        } catch (IOException e) {
            throw new FlashFailure(FlashErrorCode.IMAGE_FETCH_FAILED, "cannot fetch " + uri + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FlashFailure(FlashErrorCode.IMAGE_FETCH_FAILED, "interrupted fetching " + uri);
        }
    }

    private void store(Path cached, byte[] bytes) {
        try {
            Path temp = Files.createTempFile(cache, "fetch-", ".tmp");
            Files.write(temp, bytes);
            Files.move(temp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            // the cache is an optimisation: flashing goes on without it
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
