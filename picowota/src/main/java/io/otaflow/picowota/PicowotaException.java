package io.otaflow.picowota;

import java.io.IOException;

/** A picowota device refused a command ({@code ERR!}), answered wrongly, or could not be synced. */
public class PicowotaException extends IOException {
    /** What went wrong, so that callers can classify it without parsing messages. */
    public enum Kind {
        /** The device answered ERR! (and closed the connection). */
        REFUSED,
        /** WRIT's read-back CRC differs from the data's: the page did not program as sent. */
        CRC_MISMATCH,
        /** No WOTA/PICO after every SYNC attempt. */
        NOT_SYNCED,
        /** The image does not fit the device's INFO window or is misaligned. */
        DOES_NOT_FIT,
        /** An answer that breaks the protocol. */
        PROTOCOL,
        /** The stored image would not pass the bootloader's own check: erased, half written, or never sealed. */
        NO_BOOTABLE_IMAGE
    }

    private final Kind kind;

    public PicowotaException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
