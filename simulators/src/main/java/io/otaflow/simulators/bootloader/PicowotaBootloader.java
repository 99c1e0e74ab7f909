package io.otaflow.simulators.bootloader;

import io.otaflow.picowota.Crc;
import io.otaflow.picowota.FlashInfo;
import io.otaflow.picowota.Frames;
import io.otaflow.picowota.ImageHeader;
import io.otaflow.picowota.Opcode;
import io.otaflow.picowota.Status;
import io.otaflow.picowota.Words;
import io.otaflow.simulators.device.Faults;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.flash.NorFlash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/**
 * picowota's command handling, byte for byte as its {@code main.c} and {@code tcp_comm.c} do it:
 * SYNC first (anything else: {@code ERR!} and close); argument checks in picowota's order and,
 * for WRIT, before its data is read; {@code ERR!} then close on any failed check; strict
 * lock-step (bytes that arrive before an answer is out end the connection, and after WRIT they
 * are misread as the next command, i.e. {@code ERR!}). The answer buffer persists across
 * connections as on the device, so with {@link #readQuirk} on, SYNC, INFO, ERAS, SEAL and GOGO
 * repeat the previous READ's length of stale bytes.
 *
 * <p>Not modelled: TCP segment boundaries (the real parser misreads a command split exactly
 * between its fields) and the wedged state after an error with bytes still buffered.
 */
public final class PicowotaBootloader {
    private static final Logger log = LoggerFactory.getLogger(PicowotaBootloader.class);
    static final int MAX_DATA_LEN = 1024;
    private static final int MAX_ARGS = 5;

    /** What the device does when the bootloader hands over. */
    public interface Device {
        /** GOGO: jump to the image at {@code vtor} (no checks). */
        void jump(int vtor);

        /** BOOT: reset, with the stay-in-bootloader magic set or cleared. */
        void reboot(boolean toBootloader);
    }

    private final String deviceId;
    private final NorFlash flash;
    private final FlashInfo info;
    private final Device device;
    private final TimingProfile timing;
    private final boolean readQuirk;
    private volatile Faults faults;
    private boolean dropDone;
    private boolean corruptDone;
    private boolean sealRefusalDone;
    /** The device's one receive/transmit buffer; outlives connections, as on the device. */
    private final byte[] buf = new byte[4 * (1 + MAX_ARGS) + MAX_DATA_LEN];
    private int respDataLen;

    public PicowotaBootloader(String deviceId, NorFlash flash, FlashInfo info, Device device, TimingProfile timing,
                              Faults faults, boolean readQuirk) {
        this.deviceId = deviceId;
        this.flash = flash;
        this.info = info;
        this.device = device;
        this.timing = timing;
        this.faults = faults;
        this.readQuirk = readQuirk;
    }

    public void faults(Faults faults) {
        this.faults = faults;
    }

    /** Serves one connection until it ends; returns after GOGO or BOOT has been handed to the device. */
    public synchronized void serve(Connection connection) {
        InputStream in = connection.in();
        OutputStream out = connection.out();
        long writtenThisConnection = 0;
        int pagesThisConnection = 0;
        try {
            boolean synced = false;
            while (true) {
                byte[] opcodeBytes = in.readNBytes(4);
                if (opcodeBytes.length < 4) {
                    connection.close(); // the client went away (FIN)
                    return;
                }
                int word = Words.read(opcodeBytes, 0);
                Opcode op = Opcode.fromWire(word);
                if (!synced && op != Opcode.SYNC) {
                    fail(connection, "first command was " + Opcode.describe(word) + ", not SYNC");
                    return;
                }
                if (op == null) {
                    fail(connection, "unknown opcode " + Opcode.describe(word));
                    return;
                }
                synced = true;
                int[] args = Frames.readWords(in, op.argCount());
                Optional<String> refusal = checkArguments(op, args);
                if (refusal.isPresent()) {
                    fail(connection, op + ": " + refusal.get());
                    return;
                }
                System.arraycopy(opcodeBytes, 0, buf, 0, 4);
                for (int i = 0; i < args.length; i++) {
                    Words.write(buf, 4 + 4 * i, args[i]);
                }
                byte[] data = new byte[0];
                if (op == Opcode.WRIT) {
                    int length = args[1];
                    Faults f = faults;
                    if (f.dropAfterBytes() >= 0 && !dropDone && writtenThisConnection + length > f.dropAfterBytes()) {
                        int partial = (int) Math.max(0, f.dropAfterBytes() - writtenThisConnection);
                        in.readNBytes(partial);
                        dropDone = true;
                        log.info("device {}: bootloader Wi-Fi dropped after {} written bytes (fault)", deviceId, f.dropAfterBytes());
                        connection.abort();
                        return;
                    }
                    data = Frames.readBytes(in, length);
                    writtenThisConnection += length;
                }
                Frames.Response response = execute(op, args, data, pagesThisConnection);
                if (op == Opcode.WRIT) {
                    pagesThisConnection += args[1] / info.writeSize();
                }
                if (response.status() == Status.ERR) {
                    fail(connection, op + " failed on the device");
                    return;
                }
                byte[] answer = encodeInBuffer(op, args, response);
                if (connection.available() > 0) {
                    // Lock-step broken: the client sent more before reading this answer.
                    if (op == Opcode.WRIT) {
                        out.write(answer);
                        out.flush();
                        fail(connection, "bytes arrived before the WRIT answer was read: misread as a command");
                    } else {
                        log.info("device {}: bytes arrived before the {} answer was read: connection dropped", deviceId, op);
                        connection.close();
                    }
                    return;
                }
                out.write(answer);
                out.flush();
                if (op == Opcode.GOGO) {
                    connection.close();
                    device.jump(args[0]);
                    return;
                }
                if (op == Opcode.BOOT) {
                    connection.close();
                    device.reboot(args[0] != 0);
                    return;
                }
            }
        } catch (EOFException e) {
            connection.close();
        } catch (IOException e) {
            log.debug("device {}: bootloader connection ended: {}", deviceId, e.toString());
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connection.abort();
        }
    }

    private void fail(Connection connection, String reason) {
        log.info("device {}: ERR! ({})", deviceId, reason);
        try {
            connection.out().write(Words.bytes(Status.ERR));
            connection.out().flush();
        } catch (IOException ignored) {
            // the client is gone already
        }
        connection.close();
    }

    /** picowota's checks, in its order, all on wrapping u32 arithmetic; none for SYNC, INFO, GOGO, BOOT. */
    Optional<String> checkArguments(Opcode op, int[] args) {
        long flashEnd = Integer.toUnsignedLong(FlashInfo.XIP_BASE) + FlashInfo.PICO_W_FLASH_BYTES;
        return switch (op) {
            case READ -> Integer.compareUnsigned(args[1], MAX_DATA_LEN) > 0
                    ? Optional.of("length " + Integer.toUnsignedString(args[1]) + " exceeds " + MAX_DATA_LEN) : Optional.empty();
            case CSUM, CRCC -> ((args[0] | args[1]) & 3) != 0
                    ? Optional.of("address and length must be multiples of 4") : Optional.empty();
            case ERAS -> {
                long addr = Integer.toUnsignedLong(args[0]);
                long end = (addr + Integer.toUnsignedLong(args[1])) & 0xFFFFFFFFL;
                if (addr < Integer.toUnsignedLong(info.headerAddress()) || end >= flashEnd) {
                    yield Optional.of(String.format("0x%08x+%d is outside [0x%08x, 0x%08x)", addr, Integer.toUnsignedLong(args[1]),
                            info.headerAddress(), flashEnd));
                }
                yield ((args[0] | args[1]) & 0xFFF) != 0 ? Optional.of("not whole 4 KiB sectors") : Optional.empty();
            }
            case WRIT -> {
                long addr = Integer.toUnsignedLong(args[0]);
                long end = (addr + Integer.toUnsignedLong(args[1])) & 0xFFFFFFFFL;
                if (addr < Integer.toUnsignedLong(info.flashStart()) || end >= flashEnd) {
                    yield Optional.of(String.format("0x%08x+%d is outside [0x%08x, 0x%08x)", addr, Integer.toUnsignedLong(args[1]),
                            info.flashStart(), flashEnd));
                }
                if (((args[0] | args[1]) & 0xFF) != 0) {
                    yield Optional.of("not whole 256-byte pages");
                }
                yield Integer.compareUnsigned(args[1], MAX_DATA_LEN) > 0
                        ? Optional.of("length exceeds " + MAX_DATA_LEN) : Optional.empty();
            }
            case SEAL -> ((args[0] & 0xFF) | (args[1] & 3)) != 0
                    ? Optional.of("vtor must be 256-aligned and length a multiple of 4") : Optional.empty();
            default -> Optional.empty();
        };
    }

    private Frames.Response execute(Opcode op, int[] args, byte[] data, int pagesBefore) throws InterruptedException {
        return switch (op) {
            case SYNC -> ok(Status.WOTA);
            case INFO -> ok(Status.OKOK, info.words());
            case READ -> {
                respDataLen = args[1];
                yield new Frames.Response(Status.OKOK, new int[0], memory(args[0], args[1]));
            }
            case CSUM -> {
                respDataLen = 0;
                yield ok(Status.OKOK, Crc.wordSum(memory(args[0], args[1]), 0, args[1]));
            }
            case CRCC -> {
                respDataLen = 0;
                yield ok(Status.OKOK, Crc.crc32(memory(args[0], args[1])));
            }
            case ERAS -> {
                for (int s = 0; s < args[1] / info.eraseSize(); s++) {
                    sleep(timing.eraseSector());
                }
                eraseWrapping(Integer.toUnsignedLong(args[0]), Integer.toUnsignedLong(args[1]));
                yield ok(Status.OKOK);
            }
            case WRIT -> {
                respDataLen = 0;
                int pages = args[1] / info.writeSize();
                sleep(timing.programPage().multipliedBy(pages));
                flash.program(Integer.toUnsignedLong(args[0]), data);
                Faults f = faults;
                if (f.corruptPage() >= 0 && !corruptDone && f.corruptPage() >= pagesBefore && f.corruptPage() < pagesBefore + pages) {
                    long page = Integer.toUnsignedLong(args[0]) + (long) (f.corruptPage() - pagesBefore) * info.writeSize();
                    clearOneSetBit(page);
                    corruptDone = true;
                    log.info("device {}: page at 0x{} programmed with a flipped bit (fault)", deviceId, Long.toHexString(page));
                }
                yield ok(Status.OKOK, Crc.crc32(flash.read(Integer.toUnsignedLong(args[0]), args[1])));
            }
            case SEAL -> seal(args[0], args[1], args[2]);
            case GOGO -> ok(Status.OKOK);
            case BOOT -> {
                respDataLen = 0;
                yield ok(Status.OKOK);
            }
        };
    }

    /** Clears the first bit that is set in a page: a programming error the read-back CRC must catch. */
    private void clearOneSetBit(long page) {
        byte[] content = flash.read(page, info.writeSize());
        for (int i = 0; i < content.length; i++) {
            if (content[i] != 0) {
                flash.program(page + i, new byte[] {(byte) (content[i] & (content[i] - 1))});
                return;
            }
        }
    }

    /**
     * The chip's view of an erase: its addresses wrap at its size, so a length that passed
     * picowota's wrapping range check erases around the chip (the bootloader included).
     */
    private void eraseWrapping(long address, long length) {
        long sectors = Math.min(length, flash.size()) / flash.sectorSize();
        long offset = address - Integer.toUnsignedLong(flash.base());
        for (long s = 0; s < sectors; s++) {
            long at = Math.floorMod(offset + s * flash.sectorSize(), (long) flash.size());
            flash.erase(Integer.toUnsignedLong(flash.base()) + at, flash.sectorSize());
        }
    }

    private Frames.Response seal(int vtor, int size, int crc) throws InterruptedException {
        ImageHeader header = new ImageHeader(vtor, size, crc);
        Optional<String> problem = header.check(this::memory);
        if (problem.isEmpty() && faults.sealRefusedOnce() && !sealRefusalDone) {
            sealRefusalDone = true;
            problem = Optional.of("the stored image's CRC does not match (fault: seal-refused-once)");
        }
        if (problem.isPresent()) {
            log.info("device {}: SEAL refused: {}", deviceId, problem.get());
            return Frames.Response.ERROR;
        }
        sleep(timing.eraseSector());
        long headerAddress = Integer.toUnsignedLong(info.headerAddress());
        flash.erase(headerAddress, info.eraseSize());
        flash.program(headerAddress, header.encode());
        sleep(timing.programPage());
        if (!Arrays.equals(flash.read(headerAddress, ImageHeader.LENGTH), header.encode())) {
            return Frames.Response.ERROR;
        }
        flash.compact();
        return ok(Status.OKOK);
    }

    /** Memory as the bootloader reads it: flash through XIP; anything else reads as zeros here. */
    public byte[] memoryView(long address, int length) {
        return memory(address, length);
    }

    byte[] memory(long address, int length) {
        return flash.contains(address, length) ? flash.read(address, length) : new byte[length];
    }

    private byte[] memory(int address, int length) {
        return memory(Integer.toUnsignedLong(address), length);
    }

    private static Frames.Response ok(int status, int... args) {
        return new Frames.Response(status, args, new byte[0]);
    }

    /**
     * Lays the answer out in the device's buffer as picowota does (status, args, data from
     * offset 4 + 4 × args) and sends {@code 4 × (1 + args) + respDataLen} bytes of it. Without
     * the quirk, the data length is the command's own; with it, the persistent one.
     */
    private byte[] encodeInBuffer(Opcode op, int[] args, Frames.Response response) {
        Words.write(buf, 0, response.status());
        int[] respArgs = response.args();
        for (int i = 0; i < respArgs.length; i++) {
            Words.write(buf, 4 + 4 * i, respArgs[i]);
        }
        int dataAt = 4 + 4 * respArgs.length;
        System.arraycopy(response.data(), 0, buf, dataAt, response.data().length);
        int dataLen = readQuirk ? respDataLen : response.data().length;
        if (!readQuirk && op != Opcode.READ) {
            respDataLen = 0;
        }
        return Arrays.copyOf(buf, dataAt + dataLen);
    }

    private static void sleep(Duration duration) throws InterruptedException {
        if (!duration.isZero()) {
            Thread.sleep(duration);
        }
    }
}
