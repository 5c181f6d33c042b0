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

    @Test
    void shouldEncodeFlitMemoryRequestsWithOhcA1AndOhcC()
    {
        // A 64-bit MWr with a PASID and T=1: header base 4 DW, OHC-A1, OHC-C, 3 DW of data, a 3-DW MAC trailer.
        int length = encoder.flitMemoryRequest(buffer, 0, true, 0x1200, 0x1_2345_6780L, 10, 0x1234, true, true, 7);
        assertEquals(16 + 4 + 4 + 12 + 12, length);
        assertEquals(TlpError.NONE, TlpDecoder.decodeFlit(buffer, 0, length, tlp));
        final FlitHeaderBase header = tlp.flitHeader();
        assertEquals(TlpKind.MWR, header.kind());
        assertEquals(0x1200, header.requesterId());
        assertEquals(0x1_2345_6780L, header.address());
        assertEquals(0, header.at());
        assertEquals(3, header.length());
        assertEquals(0x1234, tlp.pasid());
        assertEquals(true, tlp.teeOriginated());
        assertEquals(0x7, tlp.ohcC().streamId());
        assertEquals(0x3, tlp.ohcA1().lastBe(), "10 bytes from a DW boundary end in the third DW's first two bytes");

        // A 32-bit MRd without PASID or IDE and with full byte enables: Type 0x03, no OHC at all.
        length = encoder.flitMemoryRequest(buffer, 0, false, 0x1300, 0x8000_0040L, 64, -1, false, false, 0);
        assertEquals(12, length);
        assertEquals(TlpError.NONE, TlpDecoder.decodeFlit(buffer, 0, length, tlp));
        assertEquals(UnverifiedLayout.FLIT_TYPE_MRD32, tlp.flitHeader().type());
        assertEquals(TlpKind.MRD, tlp.flitHeader().kind());
        assertEquals(0x8000_0040L, tlp.flitHeader().address());
        assertEquals(false, tlp.hasOhcA());
        assertEquals(-1, tlp.pasid());

        tlp.flitHeader().at(2);
        assertEquals(2, tlp.flitHeader().at());
        assertEquals(0x8000_0040L, tlp.flitHeader().address(), "AT sits below the address bits");
        assertEquals(TlpKind.RESERVED, FlitHeaderBase.kindOf(UnverifiedLayout.FLIT_TYPE_NOP));
        assertEquals(TlpKind.MRD, FlitHeaderBase.kindOf(0x20));
        assertEquals(TlpKind.MSG, FlitHeaderBase.kindOf(0x30));
    }
}
