package io.otaflow.schemas.serde;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireFormatTest {

    @Test
    void headerIsMagicZeroThenBigEndianId() {
        ByteBuffer buffer = ByteBuffer.allocate(5);
        WireFormat.writeHeader(buffer, 0x01020304);
        assertThat(buffer.array()).containsExactly(0, 1, 2, 3, 4);
        buffer.flip();
        assertThat(WireFormat.readHeader(buffer)).isEqualTo(0x01020304);
        assertThat(buffer.remaining()).isZero();
    }

    @Test
    void refusesAnotherMagicByte() {
        assertThatThrownBy(() -> WireFormat.readHeader(ByteBuffer.wrap(new byte[] {1, 0, 0, 0, 1})))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("magic byte 0x01");
    }
}
