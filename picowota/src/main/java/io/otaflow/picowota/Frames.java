package io.otaflow.picowota;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Byte-level encoding of picowota requests and responses, without sockets: a request is
 * {@code opcode | args | data}, a response {@code status | args | data}; all numbers are
 * little-endian u32. Used by the simulator (reading requests, writing responses) and the
 * flasher (the other way round).
 */
public final class Frames {
    private Frames() {
    }

    /** A decoded request. {@code args} has exactly {@link Opcode#argCount()} words. */
    public record Request(Opcode opcode, int[] args, byte[] data) {
        public Request {
            if (args.length != opcode.argCount()) {
                throw new IllegalArgumentException(opcode + " takes " + opcode.argCount() + " arguments, not " + args.length);
            }
            if (data.length != opcode.requestDataLength(args)) {
                throw new IllegalArgumentException(opcode + " carries " + opcode.requestDataLength(args) + " data bytes, not " + data.length);
            }
        }

        public static Request of(Opcode opcode, int... args) {
            return new Request(opcode, args, new byte[0]);
        }

        public static Request write(int address, byte[] data) {
            return new Request(Opcode.WRIT, new int[] {address, data.length}, data);
        }

        public int arg(int i) {
            return args[i];
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(opcode.name());
            for (int a : args) {
                text.append(' ').append(Words.hex(Integer.toUnsignedLong(a)));
            }
            return data.length == 0 ? text.toString() : text.append(" +").append(data.length).append(" bytes").toString();
        }
    }

    /** A decoded response: status word, its argument words, its data. */
    public record Response(int status, int[] args, byte[] data) {
        public static final Response ERROR = new Response(Status.ERR, new int[0], new byte[0]);

        public boolean ok() {
            return status == Status.OKOK;
        }

        public int arg(int i) {
            return args[i];
        }
    }

    public static byte[] encode(Request request) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 + 4 * request.args().length + request.data().length);
        out.writeBytes(Words.bytes(request.opcode().wire()));
        for (int arg : request.args()) {
            out.writeBytes(Words.bytes(arg));
        }
        out.writeBytes(request.data());
        return out.toByteArray();
    }

    public static byte[] encode(Response response) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 + 4 * response.args().length + response.data().length);
        out.writeBytes(Words.bytes(response.status()));
        for (int arg : response.args()) {
            out.writeBytes(Words.bytes(arg));
        }
        out.writeBytes(response.data());
        return out.toByteArray();
    }

    /** Reads one u32; an orderly end of stream before its first byte returns null. */
    static Integer readWordOrEnd(InputStream in) throws IOException {
        byte[] b = new byte[4];
        int first = in.read();
        if (first < 0) {
            return null;
        }
        b[0] = (byte) first;
        new DataInputStream(in).readFully(b, 1, 3);
        return Words.read(b, 0);
    }

    public static int readWord(InputStream in) throws IOException {
        Integer word = readWordOrEnd(in);
        if (word == null) {
            throw new EOFException("connection closed");
        }
        return word;
    }

    public static int[] readWords(InputStream in, int count) throws IOException {
        int[] words = new int[count];
        for (int i = 0; i < count; i++) {
            words[i] = readWord(in);
        }
        return words;
    }

    public static byte[] readBytes(InputStream in, long count) throws IOException {
        if (count > Integer.MAX_VALUE) {
            throw new ProtocolException("refusing to read " + count + " bytes");
        }
        byte[] data = new byte[(int) count];
        new DataInputStream(in).readFully(data);
        return data;
    }

    /**
     * Reads a response to {@code request} as a client does: the status word, then, if it is
     * the expected success status, the command's argument words and data. {@code ERR!} comes back
     * alone (the device closes right after it).
     *
     * @param successStatus OKOK, or WOTA/PICO for SYNC
     */
    public static Response readResponse(InputStream in, Request request, int... successStatus) throws IOException {
        int status = readWord(in);
        if (status == Status.ERR) {
            return Response.ERROR;
        }
        if (Arrays.stream(successStatus).noneMatch(s -> s == status)) {
            throw new ProtocolException("unexpected status " + Opcode.describe(status) + " in answer to " + request);
        }
        int[] args = readWords(in, request.opcode().responseArgCount());
        byte[] data = readBytes(in, request.opcode().responseDataLength(request.args()));
        return new Response(status, args, data);
    }

    /** A request that breaks the protocol's framing (unknown opcode, absurd length). */
    public static final class ProtocolException extends IOException {
        public ProtocolException(String message) {
            super(message);
        }
    }
}
