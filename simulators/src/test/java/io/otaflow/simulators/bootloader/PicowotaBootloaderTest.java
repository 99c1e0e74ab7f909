package io.otaflow.simulators.bootloader;

import io.otaflow.picowota.AppImage;
import io.otaflow.picowota.Crc;
import io.otaflow.picowota.FlashInfo;
import io.otaflow.picowota.Frames;
import io.otaflow.picowota.Frames.Request;
import io.otaflow.picowota.ImageHeader;
import io.otaflow.picowota.Opcode;
import io.otaflow.picowota.Words;
import io.otaflow.simulators.device.Faults;
import io.otaflow.simulators.device.TimingProfile;
import io.otaflow.simulators.flash.NorFlash;
import io.otaflow.simulators.flash.SectorPool;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The bootloader byte for byte, fed scripted bytes without sockets. */
class PicowotaBootloaderTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final int APP = 0x1005B000;
    private static final String OKOK = "4f4b4f4b";
    private static final String ERR = "45525221";

    private final NorFlash flash = new NorFlash(FlashInfo.XIP_BASE, FlashInfo.PICO_W_FLASH_BYTES, new SectorPool(4096));
    private final List<String> handovers = new ArrayList<>();
    private Faults faults = Faults.NONE;
    private boolean quirk;

    /** A connection whose client sent {@code input} all at once (so "available" is whatever is left). */
    final class Scripted implements Connection {
        final ByteArrayInputStream in;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean closed;
        boolean aborted;
        final boolean lockStep;

        Scripted(byte[] input, boolean lockStep) {
            this.in = new ByteArrayInputStream(input);
            this.lockStep = lockStep;
        }

        @Override
        public InputStream in() {
            return in;
        }

        @Override
        public OutputStream out() {
            return out;
        }

        /** A lock-step client has sent nothing more while it waits for the answer. */
        @Override
        public int available() {
            return lockStep ? 0 : in.available();
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public void abort() {
            aborted = true;
        }

        String hex() {
            return HEX.formatHex(out.toByteArray());
        }
    }

    private PicowotaBootloader bootloader() {
        return new PicowotaBootloader("test", flash, FlashInfo.PICO_W, new PicowotaBootloader.Device() {
            @Override
            public void jump(int vtor) {
                handovers.add("jump " + Words.hex(Integer.toUnsignedLong(vtor)));
            }

            @Override
            public void reboot(boolean toBootloader) {
                handovers.add("reboot " + toBootloader);
            }
        }, TimingProfile.FAST, faults, quirk);
    }

    private static byte[] script(Request... requests) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Request r : requests) {
            bytes.writeBytes(Frames.encode(r));
        }
        return bytes.toByteArray();
    }

    private Scripted run(Request... requests) {
        Scripted connection = new Scripted(script(requests), true);
        bootloader().serve(connection);
        return connection;
    }

    private static String word(int value) {
        return HEX.formatHex(Words.bytes(value));
    }

    @Test
    void syncMustComeFirst() {
        Scripted c = run(Request.of(Opcode.INFO));
        assertThat(c.hex()).isEqualTo(ERR);
        assertThat(c.closed).isTrue();
    }

    @Test
    void syncAnswersWotaAndInfoTheStockPicoWWindow() {
        Scripted c = run(Request.of(Opcode.SYNC), Request.of(Opcode.INFO), Request.of(Opcode.SYNC));
        assertThat(c.hex()).isEqualTo("574f5441" + OKOK + "00b00510" + "00501a00" + "00100000" + "00010000" + "00040000" + "574f5441");
        assertThat(c.closed).as("the client's FIN closes it").isTrue();
    }

    @Test
    void anUnknownOpcodeIsErrAndClose() {
        Scripted c = new Scripted(concat(script(Request.of(Opcode.SYNC)), "JUNK".getBytes()), true);
        bootloader().serve(c);
        assertThat(c.hex()).isEqualTo("574f5441" + ERR);
    }

    @Test
    void writeEraseReadChecksumAndCrc() {
        byte[] page = new byte[256];
        Arrays.fill(page, (byte) 0x5A);
        Scripted c = run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 4096), Request.write(APP, page),
                Request.of(Opcode.READ, APP, 4), Request.of(Opcode.CRCC, APP, 256), Request.of(Opcode.CSUM, APP, 8));
        assertThat(c.hex()).isEqualTo("574f5441" + OKOK + OKOK + word(Crc.crc32(page)) + OKOK + "5a5a5a5a"
                + OKOK + word(Crc.crc32(page)) + OKOK + word(0x5A5A5A5A * 2));
    }

    @Test
    void programmingOnlyClearsBitsSoOverwritingWithoutEraseReadsBackDifferently() {
        byte[] first = new byte[256];
        Arrays.fill(first, (byte) 0x0F);
        byte[] second = new byte[256];
        Arrays.fill(second, (byte) 0xF0);
        Scripted c = run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 4096), Request.write(APP, first), Request.write(APP, second));
        byte[] zeros = new byte[256];
        assertThat(c.hex()).endsWith(OKOK + word(Crc.crc32(zeros)));
        assertThat(flash.read(APP, 4)).containsOnly(0);
    }

    @Test
    void eraseChecksRangeThenAlignment() {
        int header = 0x1005A000;
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, header, 4096)).hex()).isEqualTo("574f5441" + OKOK);
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, header - 4096, 4096)).hex()).endsWith(ERR);
        // The last sector can never be erased: addr + len must stay below the end of flash.
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, 0x101FF000, 4096)).hex()).endsWith(ERR);
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, 0x101FE000, 4096)).hex()).endsWith(OKOK);
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP + 256, 4096)).hex()).endsWith(ERR);
        // Wrapping u32 arithmetic, as on the device: a huge length wraps below the end of flash and passes
        // both checks; the 2 MiB chip then erases around its address space, the header sector included.
        flash.program(0x1005A000, new byte[] {0});
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 0xFFFFF000)).hex()).endsWith(OKOK);
        assertThat(flash.read(0x1005A000, 1)).containsOnly(0xFF);
    }

    @Test
    void writeIsRefusedBeforeItsDataIsRead() {
        byte[] page = new byte[256];
        for (int bad : new int[] {0x1005A000, APP + 16, 0x101FFF00}) {
            Scripted c = new Scripted(script(Request.of(Opcode.SYNC), Request.write(bad, page)), true);
            bootloader().serve(c);
            assertThat(c.hex()).isEqualTo("574f5441" + ERR);
            assertThat(c.in.available()).as("data after a refused WRIT header is never read").isEqualTo(256);
        }
        byte[] tooLong = new byte[2048];
        Scripted c = new Scripted(script(Request.of(Opcode.SYNC), Request.write(APP, tooLong)), true);
        bootloader().serve(c);
        assertThat(c.hex()).endsWith(ERR);
    }

    @Test
    void readAndChecksumsCheckTheirArguments() {
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.READ, APP, 1025)).hex()).endsWith(ERR);
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.CRCC, APP + 2, 4)).hex()).endsWith(ERR);
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.CSUM, APP, 6)).hex()).endsWith(ERR);
    }

    @Test
    void sealChecksTheImageThenWritesTheHeader() {
        byte[] image = AppImage.build("blink", "1.1.0", 8192);
        byte[] chunk = Arrays.copyOf(image, 1024);
        List<Request> writes = new ArrayList<>(List.of(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 4096), Request.of(Opcode.ERAS, APP + 4096, 4096)));
        for (int off = 0; off < image.length; off += 1024) {
            writes.add(Request.write(APP + off, Arrays.copyOfRange(image, off, off + 1024)));
        }
        assertThat(chunk).hasSize(1024);
        int crc = Crc.crc32(image);
        List<Request> bad = new ArrayList<>(writes);
        bad.add(Request.of(Opcode.SEAL, APP, image.length, crc ^ 1));
        assertThat(run(bad.toArray(Request[]::new)).hex()).endsWith(ERR);
        assertThat(run(Request.of(Opcode.SYNC), Request.of(Opcode.SEAL, APP + 4, image.length, crc)).hex()).endsWith(ERR);

        List<Request> good = new ArrayList<>(writes);
        good.add(Request.of(Opcode.SEAL, APP, image.length, crc));
        assertThat(run(good.toArray(Request[]::new)).hex()).endsWith(word(Crc.crc32(Arrays.copyOfRange(image, 7168, 8192))) + OKOK);
        assertThat(ImageHeader.decode(flash.read(0x1005A000, 256))).isEqualTo(new ImageHeader(APP, image.length, crc));
        assertThat(flash.read(0x1005A000 + 12, 244)).containsOnly(0);
    }

    @Test
    void sealRefusesABadVectorTable() {
        byte[] image = AppImage.build("blink", "1.1.0", 1024, APP, AppImage.Defect.BAD_VECTOR_TABLE);
        Scripted c = run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 4096), Request.write(APP, image),
                Request.of(Opcode.SEAL, APP, image.length, Crc.crc32(image)));
        assertThat(c.hex()).endsWith(ERR);
        assertThat(flash.read(0x1005A000, 4)).containsOnly(0xFF);
    }

    @Test
    void gogoAndBootAnswerOkokThenHandOver() {
        Scripted go = run(Request.of(Opcode.SYNC), Request.of(Opcode.GOGO, APP));
        assertThat(go.hex()).isEqualTo("574f5441" + OKOK);
        assertThat(go.closed).isTrue();
        Scripted boot = run(Request.of(Opcode.SYNC), Request.of(Opcode.BOOT, 1));
        assertThat(boot.hex()).isEqualTo("574f5441" + OKOK);
        assertThat(handovers).containsExactly("jump 0x1005b000", "reboot true");
    }

    @Test
    void aClientThatDoesNotWaitForAnswersIsDropped() {
        Scripted c = new Scripted(script(Request.of(Opcode.SYNC), Request.of(Opcode.INFO)), false);
        bootloader().serve(c);
        assertThat(c.out.size()).as("no answer: the connection is dropped").isZero();
        assertThat(c.closed).isTrue();
    }

    @Test
    void theReadQuirkRepeatsStaleBytesOnlyWhenAskedFor() {
        quirk = true;
        PicowotaBootloader device = bootloader();
        Scripted c = new Scripted(script(Request.of(Opcode.SYNC), Request.of(Opcode.READ, 0x1005A000, 8), Request.of(Opcode.INFO)), true);
        device.serve(c);
        String info = OKOK + "00b00510" + "00501a00" + "00100000" + "00010000" + "00040000";
        // INFO's answer carries 8 stale bytes from the buffer after its five words.
        assertThat(c.hex()).startsWith("574f5441" + OKOK + "ffffffffffffffff" + info);
        assertThat(c.hex()).hasSize(2 * (4 + 12 + 24 + 8));
        // It lasts across connections, as the buffer does, until a READ 0 resets it.
        Scripted next = new Scripted(script(Request.of(Opcode.SYNC), Request.of(Opcode.READ, 0, 0), Request.of(Opcode.SYNC)), true);
        device.serve(next);
        assertThat(next.hex()).startsWith("574f5441").hasSize(2 * (12 + 4 + 4)).endsWith(OKOK + "574f5441");

        quirk = false;
        Scripted fixed = run(Request.of(Opcode.SYNC), Request.of(Opcode.READ, 0x1005A000, 8), Request.of(Opcode.INFO));
        assertThat(fixed.hex()).isEqualTo("574f5441" + OKOK + "ffffffffffffffff" + info);
    }

    @Test
    void aDroppedConnectionFaultAbortsMidWrite() {
        faults = Faults.NONE.withDropAfterBytes(1024);
        byte[] chunk = new byte[1024];
        Scripted c = run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 4096), Request.write(APP, chunk), Request.write(APP + 1024, chunk));
        assertThat(c.aborted).isTrue();
        assertThat(c.hex()).isEqualTo("574f5441" + OKOK + OKOK + word(Crc.crc32(chunk)));
    }

    @Test
    void aCorruptPageFaultChangesTheReadBackCrcOnce() {
        faults = Faults.NONE.withCorruptPage(1);
        byte[] chunk = new byte[1024];
        Arrays.fill(chunk, (byte) 0xFF);
        Scripted c = run(Request.of(Opcode.SYNC), Request.of(Opcode.ERAS, APP, 4096), Request.write(APP, chunk));
        String answer = c.hex();
        assertThat(answer).hasSize(2 * (4 + 4 + 8));
        assertThat(answer.substring(answer.length() - 16, answer.length() - 8)).isEqualTo(OKOK);
        assertThat(answer).doesNotEndWith(word(Crc.crc32(chunk)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
