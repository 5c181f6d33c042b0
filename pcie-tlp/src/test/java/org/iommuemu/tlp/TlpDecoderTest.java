package org.iommuemu.tlp;

import java.nio.ByteOrder;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Known-answer tests: literal bytes for every TLP kind and prefix, and each validation error. */
class TlpDecoderTest
{
    private final Tlp tlp = new Tlp();

    private Tlp decode(final String hex)
    {
        final UnsafeBuffer buffer = Hex.buffer(hex);
        TlpDecoder.decode(buffer, 0, buffer.capacity(), tlp);
        return tlp;
    }

    private Tlp decodeValid(final String hex)
    {
        decode(hex);
        assertEquals(TlpError.NONE, tlp.error(), () -> "error at " + tlp.errorOffset());
        return tlp;
    }

    @Test
    void shouldDecodeMemoryRead3DwFromNetTlpCapture()
    {
        decodeValid("00000004 1b0003ff 2f001000");
        final RequestHeader h = tlp.request();
        assertEquals(TlpKind.MRD, tlp.kind());
        assertEquals(0, h.fmt());
        assertEquals(0, h.type());
        assertFalse(h.is4Dw());
        assertEquals(4, h.length());
        assertEquals(0x1b00, h.requesterId());
        assertEquals(0x03, h.tag());
        assertEquals(0xf, h.lastBe());
        assertEquals(0xf, h.firstBe());
        assertEquals(0x2f001000L, h.address());
        assertEquals(0, tlp.dataLength());
        assertEquals(Tlp.ABSENT, tlp.dataOffset());
    }

    @Test
    void shouldDecodeMemoryWrite3DwWithData()
    {
        decodeValid("40000001 0000030f a0000010 11223344");
        assertEquals(TlpKind.MWR, tlp.kind());
        assertEquals(0xa0000010L, tlp.request().address());
        assertEquals(12, tlp.dataOffset());
        assertEquals(4, tlp.dataLength());
        assertEquals(0x11223344, tlp.buffer().getInt(tlp.dataOffset(), ByteOrder.BIG_ENDIAN));
    }

    @Test
    void shouldDecodeMemoryRead4DwAndAllDw0Fields()
    {
        // Fmt 001, T9=1, TC=5, T8=1, A2=1, LN=1, TH=1 | TD=0 EP=1 Attr=11 AT=10 Length=0x3ff
        decodeValid("20 df 7b ff 0100aa0f 00000001 23456782");
        final RequestHeader h = tlp.request();
        assertEquals(TlpKind.MRD, tlp.kind());
        assertTrue(h.is4Dw());
        assertTrue(h.t9());
        assertEquals(5, h.tc());
        assertTrue(h.t8());
        assertEquals(0b111, h.attr());
        assertTrue(h.ln());
        assertTrue(h.th());
        assertFalse(h.td());
        assertTrue(h.ep());
        assertEquals(TlpHeader.AT_TRANSLATED, h.at());
        assertEquals(0x3ff, h.length());
        assertEquals(0x3aa, h.tag());
        assertEquals(0x1_23456780L, h.address());
        assertEquals(0b10, h.ph());
    }

    @Test
    void shouldReadLengthZeroAs1024Dw()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[12 + 4096]);
        buffer.putBytes(0, Hex.bytes("40000000 0100000f 00001000"));
        assertEquals(TlpError.NONE, TlpDecoder.decode(buffer, 0, buffer.capacity(), tlp));
        assertEquals(1024, tlp.header().lengthDw());
        assertEquals(4096, tlp.dataLength());
    }

    @Test
    void shouldDecodeLockedReadAndLockedCompletion()
    {
        decodeValid("01000001 0100050f 00001000");
        assertEquals(TlpKind.MRDLK, tlp.kind());
        decodeValid("0b000000 01000004 01000500");
        assertEquals(TlpKind.CPLLK, tlp.kind());
        decodeValid("4b000001 01000004 01000500 cafef00d");
        assertEquals(TlpKind.CPLDLK, tlp.kind());
    }

    @Test
    void shouldDecodeIoRequests()
    {
        decodeValid("02000001 0100050f 00000cf8");
        assertEquals(TlpKind.IORD, tlp.kind());
        assertEquals(0xcf8L, tlp.request().address());
        decodeValid("42000001 01000601 00000cfc 000000ab");
        assertEquals(TlpKind.IOWR, tlp.kind());
        assertEquals(1, tlp.request().firstBe());
        assertEquals(4, tlp.dataLength());
    }

    @Test
    void shouldDecodeConfigurationRequests()
    {
        decodeValid("04000001 0000010f 01080f40");
        final ConfigRequestHeader c = tlp.config();
        assertEquals(TlpKind.CFGRD0, tlp.kind());
        assertEquals(0x0108, c.destinationId());
        assertEquals(0x3d0, c.registerNumber());
        assertEquals(0x01, c.tag());
        decodeValid("44000001 0000020f 01080040 12345678");
        assertEquals(TlpKind.CFGWR0, tlp.kind());
        decodeValid("05000001 0000030f 02000000");
        assertEquals(TlpKind.CFGRD1, tlp.kind());
        decodeValid("45000001 0000040f 02000004 00000001");
        assertEquals(TlpKind.CFGWR1, tlp.kind());
        assertEquals(1, tlp.config().registerNumber());
    }

    @Test
    void shouldDecodeCompletionWithDataFromNetTlpCapture()
    {
        decodeValid("4a000004 00000010 1b000300 00000000 00000000 00000000 00000000");
        final CompletionHeader c = tlp.completion();
        assertEquals(TlpKind.CPLD, tlp.kind());
        assertEquals(0x0000, c.completerId());
        assertEquals(CompletionHeader.STATUS_SC, c.status());
        assertEquals(16, c.byteCount());
        assertEquals(0x1b00, c.requesterId());
        assertEquals(0x03, c.tag());
        assertEquals(0, c.lowerAddress());
        assertEquals(16, tlp.dataLength());
    }

    @Test
    void shouldDecodeCompletionWithoutDataAndStatus()
    {
        decodeValid("0a000000 0200 9 000 01000a7f");
        final CompletionHeader c = tlp.completion();
        assertEquals(TlpKind.CPL, tlp.kind());
        assertEquals(0x0200, c.completerId());
        assertEquals(CompletionHeader.STATUS_CA, c.status());
        assertTrue(c.bcm());
        assertEquals(0, c.byteCount());
        assertEquals(0x7f, c.lowerAddress());
        assertEquals(0x0a, c.tag());
    }

    @Test
    void shouldDecodeAtomicsAndDeferrableWrite()
    {
        decodeValid("4c000001 0100000f 00001000 00000001");
        assertEquals(TlpKind.FETCHADD, tlp.kind());
        decodeValid("4d000001 0100000f 00001000 00000001");
        assertEquals(TlpKind.SWAP, tlp.kind());
        decodeValid("4e000002 0100000f 00001000 00000001 00000002");
        assertEquals(TlpKind.CAS, tlp.kind());
        decodeValid("5b000001 0100000f 00001000 00000001");
        assertEquals(TlpKind.DMWR, tlp.kind());
    }

    @Test
    void shouldDecodeLocalMessageFromLinuxPtmExample()
    {
        decodeValid("34000000 08000052 00000000 00000000");
        final MessageHeader m = tlp.message();
        assertEquals(TlpKind.MSG, tlp.kind());
        assertEquals(MessageHeader.ROUTE_LOCAL, m.routing());
        assertEquals(0x0800, m.requesterId());
        assertEquals(MessageHeader.CODE_PTM_REQUEST, m.messageCode());
    }

    @Test
    void shouldDecodeAddressRoutedMessageWithData()
    {
        decodeValid("71000001 0100007f 00000001 fee00000 deadbeef");
        final MessageHeader m = tlp.message();
        assertEquals(TlpKind.MSGD, tlp.kind());
        assertEquals(MessageHeader.ROUTE_BY_ADDRESS, m.routing());
        assertEquals(0x1_fee00000L, m.address());
        assertEquals(4, tlp.dataLength());
    }

    @Test
    void shouldDecodeAtsInvalidateRequest()
    {
        decodeValid("72000002 01000001 02000003 00000000 00000001 234ff800");
        assertEquals(TlpKind.MSGD, tlp.kind());
        final AtsInvalidateRequest r = new AtsInvalidateRequest().wrap(tlp.buffer(), tlp.headerOffset());
        assertEquals(MessageHeader.CODE_ATS_INVALIDATE_REQUEST, r.messageCode());
        assertEquals(MessageHeader.ROUTE_BY_ID, r.routing());
        assertEquals(0x0200, r.destinationId());
        assertEquals(3, r.itag());
        assertTrue(r.s());
        assertFalse(r.global());
        assertEquals(0x1_23400000L, r.rangeBase());
        assertEquals(2L << 20, r.rangeSize());
    }

    @Test
    void shouldDecodeAtsInvalidateCompletion()
    {
        decodeValid("32000000 02000002 01000002 00000005");
        final AtsInvalidateCompletion c = new AtsInvalidateCompletion().wrap(tlp.buffer(), tlp.headerOffset());
        assertEquals(MessageHeader.CODE_ATS_INVALIDATE_COMPLETION, c.messageCode());
        assertEquals(0x0100, c.destinationId());
        assertEquals(2, c.completionCountValue());
        assertEquals(5, c.itagVector());
        decodeValid("32000000 02000002 01000000 ffffffff");
        assertEquals(8, new AtsInvalidateCompletion().wrap(tlp.buffer(), 0).completionCountValue());
    }

    @Test
    void shouldDecodePageRequestWithPasidPrefix()
    {
        decodeValid("91312345 30000000 01000004 00000001 23456d2f");
        final PageRequest p = new PageRequest().wrap(tlp.buffer(), tlp.headerOffset());
        assertEquals(MessageHeader.ROUTE_TO_RC, p.routing());
        assertEquals(MessageHeader.CODE_PAGE_REQUEST, p.messageCode());
        assertEquals(0x1_23456000L, p.pageAddress());
        assertEquals(0x1a5, p.prgIndex());
        assertTrue(p.last());
        assertTrue(p.write());
        assertTrue(p.read());
        assertEquals(0x12345, tlp.pasid());
        assertTrue(tlp.pasidPrefix().executeRequested());
        assertTrue(tlp.pasidPrefix().privilegedModeRequested());
    }

    @Test
    void shouldDecodePrgResponse()
    {
        decodeValid("32000000 00000005 0100f1a5 00000000");
        final PrgResponse p = new PrgResponse().wrap(tlp.buffer(), tlp.headerOffset());
        assertEquals(MessageHeader.CODE_PRG_RESPONSE, p.messageCode());
        assertEquals(0x0100, p.destinationId());
        assertEquals(PrgResponse.RESPONSE_FAILURE, p.responseCode());
        assertEquals(0x1a5, p.prgIndex());
    }

    @Test
    void shouldDecodeAtsTranslationRequestWithNoWrite()
    {
        decodeValid("20000402 01000aff 00000001 23456001");
        final RequestHeader h = tlp.request();
        assertTrue(h.isTranslationRequest());
        assertEquals(TlpHeader.AT_TRANSLATION_REQUEST, h.at());
        assertTrue(h.noWrite());
        assertEquals(0x1_23456000L, h.address());
        assertEquals(2, h.length());
    }

    @Test
    void shouldDecodeAtsTranslationCompletionEntries()
    {
        decodeValid("4a000004 00000010 01000a00 00000000 87654003 00000000 002ff81f");
        final TranslationCompletionEntry e = new TranslationCompletionEntry();
        e.wrap(tlp.buffer(), tlp.dataOffset());
        assertTrue(e.r());
        assertTrue(e.w());
        assertFalse(e.s());
        assertEquals(0x87654000L, e.rangeBase());
        assertEquals(4096, e.rangeSize());
        e.wrap(tlp.buffer(), tlp.dataOffset() + TranslationCompletionEntry.LENGTH);
        assertTrue(e.s());
        assertTrue(e.u());
        assertTrue(e.exe());
        assertTrue(e.priv());
        assertFalse(e.global());
        assertEquals(0x200000L, e.rangeBase());
        assertEquals(2L << 20, e.rangeSize());
    }

    @Test
    void shouldDecodeIdePrefixWithTBitBeforePasidPrefix()
    {
        decodeValid("92072a17 91012345 40000001 0100000f 00001000 00000000");
        assertEquals(2, tlp.prefixCount());
        assertEquals(8, tlp.headerOffset());
        final IdePrefix ide = tlp.idePrefix();
        assertTrue(ide.t());
        assertTrue(ide.k());
        assertTrue(ide.m());
        assertFalse(ide.p());
        assertEquals(IdePrefix.SUB_STREAM_NON_POSTED, ide.subStream());
        assertEquals(0x2a, ide.streamId());
        assertEquals(0x07, ide.prSentCounter());
        assertTrue(tlp.teeOriginated());
        assertEquals(0x12345, tlp.pasid());
        assertFalse(tlp.pasidPrefix().executeRequested());
    }

    @Test
    void shouldDecodeEcrcWhenTdSet()
    {
        decodeValid("40008001 0100000f 00001000 11223344 deadbeef");
        assertTrue(tlp.hasDigest());
        assertEquals(0xdeadbeef, tlp.digest());
        assertEquals(4, tlp.dataLength());
        decodeValid("00008001 0100000f 00001000 cafebabe");
        assertEquals(0xcafebabe, tlp.digest());
        assertEquals(0, tlp.dataLength());
    }

    @Test
    void shouldDecodeFlitModeOhcAAndOhcC()
    {
        final UnsafeBuffer buffer = Hex.buffer("40050001 01000a00 00001000 f7d12345 0b182a07 aabbccdd");
        assertEquals(TlpError.NONE, TlpDecoder.decodeFlit(buffer, 0, buffer.capacity(), tlp));
        assertTrue(tlp.isFlit());
        assertEquals(0x40, tlp.flitHeader().type());
        assertEquals(0b00101, tlp.flitHeader().ohc());
        assertTrue(tlp.hasOhcA());
        assertTrue(tlp.hasOhcC());
        final OhcA1 a = tlp.ohcA1();
        assertTrue(a.pasidValid());
        assertTrue(a.noWrite());
        assertTrue(a.executeRequested());
        assertFalse(a.privilegedModeRequested());
        assertEquals(0x12345, tlp.pasid());
        assertEquals(0xf, a.lastBe());
        assertEquals(0x7, a.firstBe());
        final OhcC c = tlp.ohcC();
        assertTrue(c.t());
        assertTrue(c.k());
        assertFalse(c.xt());
        assertEquals(0x2a, c.prSentCounter());
        assertEquals(0x07, c.streamId());
        assertEquals(0, c.subStream());
        assertEquals(0x0b, c.requesterSegment());
        assertFalse(c.requesterSegmentValid());
        assertTrue(tlp.teeOriginated());
        assertEquals(20, tlp.dataOffset());
        assertEquals(4, tlp.dataLength());
    }

    @Test
    void shouldDecodeFlitModeTrailer()
    {
        final UnsafeBuffer buffer = Hex.buffer("40002001 01000a00 00001000 aabbccdd 12345678");
        assertEquals(TlpError.NONE, TlpDecoder.decodeFlit(buffer, 0, buffer.capacity(), tlp));
        assertEquals(0x12345678, tlp.digest());
        final UnsafeBuffer mac = Hex.buffer("0000a000 01000a00 00001000 00000001 00000002 00000003");
        assertEquals(TlpError.NONE, TlpDecoder.decodeFlit(mac, 0, mac.capacity(), tlp));
        assertEquals(12, tlp.trailerLength());
        assertFalse(tlp.hasDigest());
        final UnsafeBuffer reserved = Hex.buffer("00004000 01000a00 00001000");
        assertEquals(TlpError.RESERVED_TRAILER_SIZE, TlpDecoder.decodeFlit(reserved, 0, reserved.capacity(), tlp));
        assertEquals(2, tlp.errorOffset());
    }

    @Test
    void shouldRejectReservedFmtType()
    {
        decode("a0000001 0100000f 00001000");
        assertEquals(TlpError.RESERVED_FMT_TYPE, tlp.error());
        assertEquals(0, tlp.errorOffset());
        decode("91012345 03000001 0100000f 00001000");
        assertEquals(TlpError.RESERVED_FMT_TYPE, tlp.error());
        assertEquals(4, tlp.errorOffset());
        decode("4a000001 0100000f 00001000 00000000".replaceFirst("4a", "6a"));
        assertEquals(TlpError.RESERVED_FMT_TYPE, tlp.error());
    }

    @Test
    void shouldRejectPrefixWithoutHeader()
    {
        decode("92000001 91012345");
        assertEquals(TlpError.PREFIX_WITHOUT_HEADER, tlp.error());
        assertEquals(8, tlp.errorOffset());
    }

    @Test
    void shouldRejectTruncatedHeaderAndData()
    {
        decode("40000001 0100000f 000010");
        assertEquals(TlpError.TRUNCATED_HEADER, tlp.error());
        assertEquals(11, tlp.errorOffset());
        decode("40000002 0100000f 00001000 11223344");
        assertEquals(TlpError.TRUNCATED_DATA, tlp.error());
        assertEquals(16, tlp.errorOffset());
        decode("40008001 0100000f 00001000 11223344");
        assertEquals(TlpError.TRUNCATED_DATA, tlp.error());
        decode("913123");
        assertEquals(TlpError.TRUNCATED_HEADER, tlp.error());
        decode("");
        assertEquals(TlpError.TRUNCATED_HEADER, tlp.error());
    }

    @Test
    void shouldRejectLengthMismatch()
    {
        decode("40000001 0100000f 00001000 11223344 55667788");
        assertEquals(TlpError.LENGTH_MISMATCH, tlp.error());
        assertEquals(16, tlp.errorOffset());
        decode("00000004 1b0003ff 2f001000 00000000");
        assertEquals(TlpError.LENGTH_MISMATCH, tlp.error());
        assertEquals(12, tlp.errorOffset());
    }

    @Test
    void shouldRejectFourDwAddressBelow4GiB()
    {
        decode("20000001 0100000f 00000000 23456780");
        assertEquals(TlpError.ADDRESS_4DW_BELOW_4GIB, tlp.error());
        assertEquals(8, tlp.errorOffset());
        decode("91012345 60000001 0100000f 00000000 23456780 00000000");
        assertEquals(TlpError.ADDRESS_4DW_BELOW_4GIB, tlp.error());
        assertEquals(12, tlp.errorOffset());
    }

    @Test
    void shouldRejectIoAndConfigLengthOtherThanOne()
    {
        decode("02000002 0100050f 00000cf8");
        assertEquals(TlpError.IO_CONFIG_LENGTH, tlp.error());
        assertEquals(2, tlp.errorOffset());
    }

    @Test
    void shouldClassifyEveryByte0()
    {
        int valid = 0;
        for (int b = 0; b < 256; b++)
        {
            if (!TlpKind.of(b).isReserved())
            {
                valid++;
            }
        }
        // 2 MRd + 2 MRdLk + 2 MWr + IORd/IOWr + 4 Cfg + 8 Msg + 8 MsgD + 4 Cpl + 6 atomics + 2 DMWr + 32 prefixes
        assertEquals(2 + 2 + 2 + 2 + 4 + 8 + 8 + 4 + 6 + 2 + 32, valid);
        assertEquals(TlpKind.CPLD, TlpKind.of(0x4a));
        assertEquals(0x72, TlpKind.MSGD.byte0(true, MessageHeader.ROUTE_BY_ID));
        assertEquals(0x60, TlpKind.MWR.byte0(true, 0));
        assertEquals(0x42, TlpKind.IOWR.byte0(true, 0));
    }
}
