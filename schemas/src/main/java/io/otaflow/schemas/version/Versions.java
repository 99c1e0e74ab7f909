package io.otaflow.schemas.version;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Firmware version comparison: Semantic Versioning 2.0 precedence when both versions are semver
 * (a leading 'v' allowed; build metadata ignored; pre-releases before their release), otherwise
 * only equality is known (OCI tags such as {@code latest} or {@code 2024-05-01} have no order).
 */
public final class Versions {
    private static final Pattern SEMVER = Pattern.compile(
            "^v?(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$");

    /** How two versions relate. */
    public enum Order {
        OLDER, SAME, NEWER, DIFFERENT_UNORDERED
    }

    private Versions() {
    }

    /** How {@code candidate} relates to {@code current}. */
    public static Order compare(String candidate, String current) {
        if (candidate.equals(current)) {
            return Order.SAME;
        }
        Matcher a = SEMVER.matcher(candidate);
        Matcher b = SEMVER.matcher(current);
        if (!a.matches() || !b.matches()) {
            return Order.DIFFERENT_UNORDERED;
        }
        for (int i = 1; i <= 3; i++) {
            int c = new java.math.BigInteger(a.group(i)).compareTo(new java.math.BigInteger(b.group(i)));
            if (c != 0) {
                return c > 0 ? Order.NEWER : Order.OLDER;
            }
        }
        int c = comparePreRelease(a.group(4), b.group(4));
        return c == 0 ? Order.SAME : c > 0 ? Order.NEWER : Order.OLDER;
    }

    /**
     * How many minor releases {@code current} is behind {@code target}: {@link Integer#MAX_VALUE}
     * on an older major version, 0 when it is not behind or either version is not semver.
     */
    public static int minorsBehind(String target, String current) {
        Matcher a = SEMVER.matcher(target);
        Matcher b = SEMVER.matcher(current);
        if (!a.matches() || !b.matches() || compare(target, current) != Order.NEWER) {
            return 0;
        }
        int major = new java.math.BigInteger(a.group(1)).compareTo(new java.math.BigInteger(b.group(1)));
        if (major != 0) {
            return major > 0 ? Integer.MAX_VALUE : 0;
        }
        return Math.max(0, new java.math.BigInteger(a.group(2)).subtract(new java.math.BigInteger(b.group(2))).min(java.math.BigInteger.valueOf(Integer.MAX_VALUE)).intValue());
    }

    private static int comparePreRelease(String a, String b) {
        if (a == null && b == null) {
            return 0;
        }
        if (a == null) {
            return 1; // a release ranks above its pre-releases
        }
        if (b == null) {
            return -1;
        }
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            boolean xn = x[i].matches("\\d+");
            boolean yn = y[i].matches("\\d+");
            int c;
            if (xn && yn) {
                c = new java.math.BigInteger(x[i]).compareTo(new java.math.BigInteger(y[i]));
            } else if (xn || yn) {
                c = xn ? -1 : 1; // numeric identifiers rank below alphanumeric ones
            } else {
                c = x[i].compareTo(y[i]);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }
}
