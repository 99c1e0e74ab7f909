package io.otaflow.connectors.discovery;

import java.net.URI;

/** The outcome of one metadata poll of one target. */
public sealed interface PollResult {
    URI target();

    /** The device answered with good metadata. */
    record Answered(URI target, DeviceMetadata metadata) implements PollResult {
    }

    /** Nothing answered in time (refused, timed out, reset): a miss. */
    record Unreachable(URI target, String reason) implements PollResult {
    }

    /** Something answered, but not with metadata we accept: dead-lettered, and a miss. */
    record Bad(URI target, String reason, int status, byte[] body) implements PollResult {
    }
}
