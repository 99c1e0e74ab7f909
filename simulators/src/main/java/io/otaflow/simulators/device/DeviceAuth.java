package io.otaflow.simulators.device;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;

/** How a device's app authenticates HTTP requests: not at all, a bearer token, or basic credentials. */
public sealed interface DeviceAuth {
    boolean accepts(String authorizationHeader);

    /** The challenge for a 401 answer. */
    String challenge();

    DeviceAuth NONE = new None();

    record None() implements DeviceAuth {
        @Override
        public boolean accepts(String header) {
            return true;
        }

        @Override
        public String challenge() {
            return "";
        }
    }

    record Bearer(String token) implements DeviceAuth {
        @Override
        public boolean accepts(String header) {
            return header != null && constantTimeEquals(header, "Bearer " + token);
        }

        @Override
        public String challenge() {
            return "Bearer realm=\"pico\"";
        }

        @Override
        public String toString() {
            return "Bearer[token=***]";
        }
    }

    record Basic(String user, String password) implements DeviceAuth {
        @Override
        public boolean accepts(String header) {
            String expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            return header != null && constantTimeEquals(header, expected);
        }

        @Override
        public String challenge() {
            return "Basic realm=\"pico\"";
        }

        @Override
        public String toString() {
            return "Basic[user=" + user + ", password=***]";
        }
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
