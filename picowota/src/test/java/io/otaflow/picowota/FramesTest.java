package io.otaflow.picowota;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The wire format byte for byte, without sockets. */
class FramesTest {
    private static final HexFormat HEX = HexFormat.of();

    @Test
    void opcodesAreTheirFourAsciiBytes() {
        assertThat(Frames.encode(Frames.Request.of(Opcode.SYNC))).asString().isEqualTo("SYNC");
        assertThat(Opcode.SYNC.wire()).isEqualTo(0x434e5953);
        assertThat(Opcode.fromWire(Words.fourCc("CRCC"))).isEqualTo(Opcode.CRCC);
        assertThat(Opcode.fromWire(Words.fourCc("NOPE"))).isNull();
        for (Opcode op : Opcode.values()) {
            assertThat(new String(Words.bytes(op.wire()))).isEqualTo(op.name());
        }
    }

    @Test
    void argumentsAreLittleEndianWords() {
        byte[] eras = Frames.encode(Frames.Request.of(Opcode.ERAS, 0x1005B000, 0x1000));
        assertThat(HEX.formatHex(eras)).isEqualTo("45524153" + "00b00510" + "00100000");
        byte[] seal = Frames.encode(Frames.Request.of(Opcode.SEAL, 0x1005B000, 0x96000, 0xDEADBEEF));
        assertThat(HEX.formatHex(seal)).isEqualTo("5345414c" + "00b00510" + "00600900" + "efbeadde");
    }

    @Test
    void writCarriesItsDataAfterTheArguments() {
        byte[] data = new byte[256];
        data[0] = 0x11;
        data[255] = 0x22;
        byte[] writ = Frames.encode(Frames.Request.write(0x1005B100, data));
        assertThat(writ).hasSize(4 + 8 + 256);
        assertThat(HEX.formatHex(writ, 0, 12)).isEqualTo("57524954" + "00b10510" + "00010000");
        assertThat(writ[12]).isEqualTo((byte) 0x11);
        assertThat(writ[writ.length - 1]).isEqualTo((byte) 0x22);
    }

    @Test
    void aRequestMustCarryExactlyItsArgumentsAndData() {
        assertThatThrownBy(() -> Frames.Request.of(Opcode.READ, 1)).hasMessageContaining("takes 2 arguments");
        assertThatThrownBy(() -> new Frames.Request(Opcode.WRIT, new int[] {0, 8}, new byte[4]))
                .hasMessageContaining("carries 8 data bytes");
    }

    @Test
    void infoResponseIsOkokAndFiveWords() throws Exception {
        byte[] wire = Frames.encode(new Frames.Response(Status.OKOK, FlashInfo.PICO_W.words(), new byte[0]));
        assertThat(HEX.formatHex(wire)).isEqualTo("4f4b4f4b" + "00b00510" + "00501a00" + "00100000" + "00010000" + "00040000");
        Frames.Response read = Frames.readResponse(new ByteArrayInputStream(wire), Frames.Request.of(Opcode.INFO), Status.OKOK);
        assertThat(FlashInfo.of(read.args())).isEqualTo(FlashInfo.PICO_W);
    }

    @Test
    void readResponseCarriesTheRequestedBytes() throws Exception {
        byte[] wire = HEX.parseHex("4f4b4f4b" + "0102030405");
        Frames.Response read = Frames.readResponse(new ByteArrayInputStream(wire), Frames.Request.of(Opcode.READ, 0x10000000, 5), Status.OKOK);
        assertThat(read.data()).containsExactly(1, 2, 3, 4, 5);
    }

    @Test
    void errIsReturnedAloneAndAnUnknownStatusIsAProtocolError() throws Exception {
        Frames.Response err = Frames.readResponse(new ByteArrayInputStream("ERR!".getBytes()), Frames.Request.of(Opcode.CRCC, 0, 4), Status.OKOK);
        assertThat(err.ok()).isFalse();
        assertThat(err.status()).isEqualTo(Status.ERR);
        assertThatThrownBy(() -> Frames.readResponse(new ByteArrayInputStream("HUH?".getBytes()), Frames.Request.of(Opcode.INFO), Status.OKOK))
                .isInstanceOf(Frames.ProtocolException.class).hasMessageContaining("'HUH?'");
        assertThatThrownBy(() -> Frames.readResponse(new ByteArrayInputStream("OKOK".getBytes()), Frames.Request.of(Opcode.CRCC, 0, 4), Status.OKOK))
                .isInstanceOf(EOFException.class);
    }

    @Test
    void syncAcceptsWotaOrPico() throws Exception {
        Frames.Request sync = Frames.Request.of(Opcode.SYNC);
        assertThat(Frames.readResponse(new ByteArrayInputStream("WOTA".getBytes()), sync, Status.WOTA, Status.PICO).status()).isEqualTo(Status.WOTA);
        assertThat(Frames.readResponse(new ByteArrayInputStream("PICO".getBytes()), sync, Status.WOTA, Status.PICO).status()).isEqualTo(Status.PICO);
    }

    @Test
    void checksumsMatchZlibCrc32AndAWrappingWordSum() {
        byte[] data = "123456789\0\0\0".getBytes();
        assertThat(Integer.toUnsignedLong(Crc.crc32(data, 0, 9))).isEqualTo(0xCBF43926L); // the CRC-32 check value
        byte[] words = HEX.parseHex("ffffffff" + "02000000");
        assertThat(Crc.wordSum(words, 0, 8)).isEqualTo(1);
    }
}
