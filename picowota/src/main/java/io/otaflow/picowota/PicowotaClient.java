package io.otaflow.picowota;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * A picowota client that does what serial-flash does, plus what a fleet needs: timeouts on every
 * read, SYNC that tolerates the bootloader's stale reply bytes, each command sent in a single
 * write (picowota parses a command correctly only when it arrives in one TCP segment), and
 * strict lock-step.
 */
public final class PicowotaClient implements AutoCloseable {

    /**
     * @param connectTimeout   TCP connect timeout
     * @param postConnectPause pause after connecting before SYNC (serial-flash: 1 s, because a real
     *                         Pico W sometimes loses the first packet)
     * @param syncAttempts     SYNC tries (serial-flash: 5)
     * @param readTimeout      longest wait for any answer
     */
    public record Options(Duration connectTimeout, Duration postConnectPause, int syncAttempts, Duration readTimeout) {
        public static final Options SERIAL_FLASH = new Options(Duration.ofSeconds(5), Duration.ofSeconds(1), 5, Duration.ofSeconds(10));

        public Options withPostConnectPause(Duration pause) {
            return new Options(connectTimeout, pause, syncAttempts, readTimeout);
        }
    }

    /** Told about progress while flashing. */
    public interface Progress {
        void phase(String phase);

        void bytesWritten(long written, long total);
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Options options;

    private PicowotaClient(Socket socket, Options options) throws IOException {
        this.socket = socket;
        this.options = options;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects and synchronises. */
    public static PicowotaClient connect(InetSocketAddress address, Options options) throws IOException {
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(address, (int) options.connectTimeout().toMillis());
            socket.setSoTimeout((int) options.readTimeout().toMillis());
            PicowotaClient client = new PicowotaClient(socket, options);
            if (!options.postConnectPause().isZero()) {
                Thread.sleep(options.postConnectPause());
            }
            client.sync();
            return client;
        } catch (InterruptedException e) {
            socket.close();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while connecting to " + address, e);
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    private void sync() throws IOException {
        byte[] request = Frames.encode(Frames.Request.of(Opcode.SYNC));
        for (int attempt = 1; attempt <= options.syncAttempts(); attempt++) {
            out.write(request);
            out.flush();
            byte[] status;
            try {
                status = in.readNBytes(4);
            } catch (SocketTimeoutException e) {
                continue;
            }
            if (status.length < 4) {
                throw new PicowotaException(PicowotaException.Kind.PROTOCOL, "connection closed during SYNC");
            }
            int word = Words.read(status, 0);
            if (word == Status.WOTA || word == Status.PICO) {
                drainStaleBytes();
                return;
            }
            if (word == Status.ERR) {
                throw new PicowotaException(PicowotaException.Kind.REFUSED, "device answered ERR! to SYNC");
            }
        }
        throw new PicowotaException(PicowotaException.Kind.NOT_SYNCED, "no WOTA after " + options.syncAttempts() + " SYNC attempts");
    }

    /**
     * After a READ of N bytes, picowota appends N stale bytes to the answers of SYNC, INFO, ERAS,
     * SEAL and GOGO. Drain what came with SYNC, then READ 0 bytes, which answers exactly OKOK and
     * resets that length, so that every later answer has its documented size.
     */
    private void drainStaleBytes() throws IOException {
        int timeout = socket.getSoTimeout();
        socket.setSoTimeout(50);
        try {
            while (in.read() >= 0) {
                // discard
            }
        } catch (SocketTimeoutException e) {
            // nothing more
        } finally {
            socket.setSoTimeout(timeout);
        }
        command(Frames.Request.of(Opcode.READ, 0, 0));
    }

    private Frames.Response command(Frames.Request request) throws IOException {
        out.write(Frames.encode(request)); // one write: picowota needs the whole command in one segment
        out.flush();
        Frames.Response response;
        try {
            response = Frames.readResponse(in, request, Status.OKOK);
        } catch (Frames.ProtocolException e) {
            throw new PicowotaException(PicowotaException.Kind.PROTOCOL, e.getMessage());
        }
        if (!response.ok()) {
            throw new PicowotaException(PicowotaException.Kind.REFUSED, "device refused " + request + " (ERR!)");
        }
        return response;
    }

    public FlashInfo info() throws IOException {
        return FlashInfo.of(command(Frames.Request.of(Opcode.INFO)).args());
    }

    public byte[] read(int address, int length) throws IOException {
        return command(Frames.Request.of(Opcode.READ, address, length)).data();
    }

    public int crc(int address, int length) throws IOException {
        return command(Frames.Request.of(Opcode.CRCC, address, length)).arg(0);
    }

    public int checksum(int address, int length) throws IOException {
        return command(Frames.Request.of(Opcode.CSUM, address, length)).arg(0);
    }

    /**
     * The image picowota would boot now: the header in the sector below the app window, if the
     * image it names lies in the window and passes the bootloader's own check (its CRC computed
     * on the device by CRCC, its vectors read by READ), so nothing near its size crosses Wi-Fi.
     *
     * @throws PicowotaException of kind NO_BOOTABLE_IMAGE, with the reason, when there is none
     */
    public ImageHeader bootableImage(FlashInfo info) throws IOException {
        ImageHeader header = ImageHeader.decode(read(info.headerAddress(), 12));
        long start = Integer.toUnsignedLong(header.vtor());
        long size = Integer.toUnsignedLong(header.size());
        if (start < Integer.toUnsignedLong(info.flashStart()) || start + size > info.flashEnd() || size < 8
                || start % 4 != 0 || size % 4 != 0) {
            throw new PicowotaException(PicowotaException.Kind.NO_BOOTABLE_IMAGE, String.format(
                    "the image header names 0x%08x+%d, outside the app window 0x%08x+%d (erased or never sealed)", start, size,
                    info.flashStart(), info.flashSize()));
        }
        Optional<String> defect = header.check(crc(header.vtor(), header.size()), read(header.vtor(), 8));
        if (defect.isPresent()) {
            throw new PicowotaException(PicowotaException.Kind.NO_BOOTABLE_IMAGE, "the stored image would not boot: " + defect.get());
        }
        return header;
    }

    public void erase(int address, int length) throws IOException {
        command(Frames.Request.of(Opcode.ERAS, address, length));
    }

    /** Writes one chunk and checks the CRC the device computed over what it read back. */
    public void write(int address, byte[] data) throws IOException {
        int expected = Crc.crc32(data);
        int actual = command(Frames.Request.write(address, data)).arg(0);
        if (actual != expected) {
            throw new PicowotaException(PicowotaException.Kind.CRC_MISMATCH, String.format(
                    "WRIT at 0x%08x: device read back CRC 0x%08x, expected 0x%08x", address, actual, expected));
        }
    }

    public void seal(int vtor, int length, int crc) throws IOException {
        command(Frames.Request.of(Opcode.SEAL, vtor, length, crc));
    }

    /** Jumps to the image. Like serial-flash, does not wait for the answer: the device is leaving. */
    public void go(int vtor) throws IOException {
        out.write(Frames.encode(Frames.Request.of(Opcode.GOGO, vtor)));
        out.flush();
    }

    public void reboot(boolean toBootloader) throws IOException {
        out.write(Frames.encode(Frames.Request.of(Opcode.BOOT, toBootloader ? 1 : 0)));
        out.flush();
    }

    /**
     * serial-flash's sequence after SYNC: INFO; pad to write_size; check the window; ERAS each
     * sector; WRIT max_data_len chunks checking each CRC; SEAL; GOGO.
     */
    public void flash(byte[] image, int address, Progress progress) throws IOException {
        progress.phase("INFO");
        FlashInfo info = info();
        byte[] padded = pad(image, info.writeSize());
        long start = Integer.toUnsignedLong(address);
        // picowota writes only while addr + len < flash end: the window's last page is never written.
        if (start < Integer.toUnsignedLong(info.flashStart()) || start + padded.length >= info.flashEnd()) {
            throw new PicowotaException(PicowotaException.Kind.DOES_NOT_FIT, String.format(
                    "image 0x%08x+%d does not fit the device's window 0x%08x+%d", start, padded.length,
                    info.flashStart(), info.flashSize()));
        }
        if (start % info.eraseSize() != 0) {
            throw new PicowotaException(PicowotaException.Kind.DOES_NOT_FIT, String.format(
                    "image address 0x%08x is not aligned to the %d-byte erase size", start, info.eraseSize()));
        }
        progress.phase("ERASING");
        long eraseEnd = align(padded.length, info.eraseSize());
        for (long offset = 0; offset < eraseEnd; offset += info.eraseSize()) {
            erase((int) (start + offset), info.eraseSize());
        }
        progress.phase("WRITING");
        for (int offset = 0; offset < padded.length; offset += info.maxDataLen()) {
            int n = Math.min(info.maxDataLen(), padded.length - offset);
            write((int) (start + offset), Arrays.copyOfRange(padded, offset, offset + n));
            progress.bytesWritten(offset + n, padded.length);
        }
        progress.phase("SEALING");
        seal(address, padded.length, Crc.crc32(padded));
        progress.phase("BOOTING");
        go(address);
    }

    static byte[] pad(byte[] image, int multiple) {
        // Already whole pages: no copy (a worker flashing one image to a thousand devices shares it).
        return image.length % multiple == 0 ? image : Arrays.copyOf(image, (int) align(image.length, multiple));
    }

    private static long align(long length, int multiple) {
        return (length + multiple - 1) / multiple * multiple;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
