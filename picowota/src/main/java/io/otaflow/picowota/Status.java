package io.otaflow.picowota;

/** Response status words. */
public final class Status {
    /** Success. */
    public static final int OKOK = Words.fourCc("OKOK");
    /** Failure; the bootloader closes the connection right after sending it. */
    public static final int ERR = Words.fourCc("ERR!");
    /** SYNC's answer from picowota. */
    public static final int WOTA = Words.fourCc("WOTA");
    /** SYNC's answer from the serial (UART/USB) bootloader; serial-flash accepts both. */
    public static final int PICO = Words.fourCc("PICO");

    private Status() {
    }
}
