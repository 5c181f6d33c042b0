package org.iommuemu.tlp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TlpEncoderTest
{
    private final TlpEncoder encoder = new TlpEncoder();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[8192]);
    private final Tlp tlp = new Tlp();

    @Test
    void shouldDeriveByteEnablesAsTheSpecRequires()
    {
        assertEquals(0xF, TlpEncoder.firstBe(0x1000, 8));
        assertEquals(0xF, TlpEncoder.lastBe(0x1000, 8));
        assertEquals(0x3, TlpEncoder.lastBe(0x1000, 98));
        assertEquals(25, TlpEncoder.lengthDw(0x1000, 98));
        assertEquals(0xE, TlpEncoder.firstBe(0x1001, 8));
        assertEquals(0x1, TlpEncoder.lastBe(0x1001, 8));
        assertEquals(0x6, TlpEncoder.firstBe(0x1001, 2));
        assertEquals(0x0, TlpEncoder.lastBe(0x1001, 2));
        assertEquals(1, TlpEncoder.lengthDw(0x1001, 2));
    }

    @Test
    void shouldMatchNetTlpCaptureBytes()
    {
        final int length = encoder.memoryRequest(buffer, 0, false, 0x1b00, 3, 0x3bb26800L, 98);
        assertEquals("000000191b00033f3bb26800", Hex.of(buffer, 0, length));
        final int write = encoder.memoryRequest(buffer, 0, true, 0x1b00, 3, 0xfee1a000L, 4);
        assertEquals(16, write);
        assertEquals("400000011b00030ffee1a000", Hex.of(buffer, 0, 12));
    }

    @Test
    void shouldChoose4DwAtOrAbove4GiBOnly()
    {
        int length = encoder.memoryRequest(buffer, 0, true, 1, 2, 0x1_0000_0000L, 64);
        assertEquals(TlpError.NONE, TlpDecoder.decode(buffer, 0, length, tlp));
        assertEquals(true, tlp.header().is4Dw());
        length = encoder.memoryRequest(buffer, 0, true, 1, 2, 0xFFFF_F000L, 64);
        assertEquals(TlpError.NONE, TlpDecoder.decode(buffer, 0, length, tlp));
        assertEquals(false, tlp.header().is4Dw());
        assertThrows(IllegalArgumentException.class, () -> encoder.memoryRequest(buffer, 0, true, 1, 2, 0xFFC, 8));
    }
}
