package io.otaflow.simulators.flash;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NorFlashTest {
    private final SectorPool pool = new SectorPool(4096);

    @Test
    void eraseSetsOnesAndProgrammingOnlyClearsBits() {
        NorFlash flash = new NorFlash(0x10000000, 64 * 1024, pool);
        assertThat(flash.read(0x10001000, 4)).containsOnly(0xFF);
        flash.program(0x10001000, new byte[] {0x0F});
        flash.program(0x10001000, new byte[] {(byte) 0xF1});
        assertThat(flash.read(0x10001000, 1)).containsExactly(0x01);
        flash.erase(0x10001000, 4096);
        assertThat(flash.read(0x10001000, 1)).containsExactly(0xFF);
        assertThatThrownBy(() -> flash.erase(0x10001100, 4096)).hasMessageContaining("whole sectors");
        assertThatThrownBy(() -> flash.read(0x10010000, 1)).hasMessageContaining("outside the flash");
    }

    @Test
    void identicalSectorsAreSharedAndCopiedOnWrite() {
        NorFlash a = new NorFlash(0x10000000, 64 * 1024, pool);
        NorFlash b = new NorFlash(0x10000000, 64 * 1024, pool);
        byte[] content = new byte[8192];
        java.util.Arrays.fill(content, (byte) 0x42);
        a.program(0x10000000, content);
        assertThat(a.privateSectors()).isEqualTo(2);
        a.compact();
        b.copyFrom(a);
        assertThat(pool.size()).isEqualTo(1); // two sectors of one content: held once
        assertThat(a.privateSectors()).isZero();

        b.program(0x10000000, new byte[] {0x02});
        assertThat(b.read(0x10000000, 1)).containsExactly(0x02);
        assertThat(a.read(0x10000000, 1)).as("the other device's copy is untouched").containsExactly(0x42);
        assertThat(b.privateSectors()).isEqualTo(1);
    }

    @Test
    void contentSurvivesAsLongAsTheChipDoes() {
        NorFlash flash = new NorFlash(0x10000000, 8192, pool);
        flash.program(0x10000010, new byte[] {1, 2, 3});
        flash.compact();
        assertThat(flash.read(0x10000010, 3)).containsExactly(1, 2, 3);
    }
}
