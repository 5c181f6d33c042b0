package org.iommuemu.emulator.cosim.codec;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.iommuemu.emulator.config.Printable;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.BusAccessLayout;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The codec without sockets: every command in both directions through the encoder and back through the frame and
 * message decoders (EmbeddedChannel), the byte offsets of docs/protocol.md checked on the encoded bytes, and every
 * malformed-frame case.
 */
class RemotePortCodecTest
{
    private static byte[] encode(final RpPacket packet)
    {
        final EmbeddedChannel out = new EmbeddedChannel(new RemotePortEncoder());
        assertTrue(out.writeOutbound(packet));
        final ByteBuf buf = out.readOutbound();
        final byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        assertFalse(out.finish());
        return bytes;
    }

    private static List<RpPacket> decode(final byte[]... chunks)
    {
        final EmbeddedChannel in = new EmbeddedChannel(new RemotePortFrameDecoder(), new RemotePortMessageDecoder());
        for (final byte[] chunk : chunks)
        {
            in.writeInbound(Unpooled.wrappedBuffer(chunk));
        }
        final List<RpPacket> packets = new ArrayList<>();
        for (Object o = in.readInbound(); o != null; o = in.readInbound())
        {
            packets.add((RpPacket)o);
        }
        in.finishAndReleaseAll();
        return packets;
    }

    private static RpPacket roundTrip(final RpPacket packet)
    {
        final List<RpPacket> packets = decode(encode(packet));
        assertEquals(1, packets.size());
        final RpPacket decoded = packets.get(0);
        assertEquals(packet.command(), decoded.command());
        assertEquals(packet.id(), decoded.id());
        assertEquals(packet.flags(), decoded.flags());
        assertEquals(packet.dev(), decoded.dev());
        assertEquals(0, decoded.streamOffset());
        return decoded;
    }

    private static long be64(final byte[] b, final int at)
    {
        long v = 0;
        for (int i = 0; i < 8; i++)
        {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    private static int be32(final byte[] b, final int at)
    {
        return (int)(be64(new byte[] {0, 0, 0, 0, b[at], b[at + 1], b[at + 2], b[at + 3]}, 0));
    }

    private static int be16(final byte[] b, final int at)
    {
        return ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
    }

    @Test
    void helloHasTheRemotePortLayoutAndRoundTrips()
    {
        final Hello hello = new Hello().capabilities(RemotePort.CAP_BUSACCESS_EXT_BASE, RemotePort.CAP_ATS, RemotePort.IE_TLP);
        hello.id(7).dev(0);
        final byte[] b = encode(hello);
        assertEquals(32 + 12, b.length);
        assertEquals(RemotePort.CMD_HELLO, be32(b, 0));
        assertEquals(24, be32(b, 4));
        assertEquals(7, be32(b, 8));
        assertEquals(4, be16(b, 20));
        assertEquals(3, be16(b, 22));
        assertEquals(32, be32(b, 24));
        assertEquals(3, be16(b, 28));
        assertEquals(RemotePort.CAP_ATS, be32(b, 36));
        assertEquals(RemotePort.IE_TLP, be32(b, 40));
        final Hello back = (Hello)roundTrip(hello);
        assertTrue(back.equalsContent(hello));
        assertTrue(back.has(RemotePort.IE_TLP));
        assertFalse(back.has(RemotePort.IE_CONTROL));
    }

    @Test
    void helloWithOnlyTheVersionHasNoCapabilities()
    {
        final byte[] b = new byte[24];
        b[3] = RemotePort.CMD_HELLO;
        b[7] = 4;
        b[21] = 4;
        b[23] = 1;
        final Hello hello = (Hello)decode(b).get(0);
        assertEquals(4, hello.major());
        assertEquals(1, hello.minor());
        assertEquals(0, hello.capabilities().length);
    }

    @Test
    void readRequestInTheBaseLayoutIs58Bytes()
    {
        final BusAccess read = BusAccess.read().timestamp(1234).address(0xfed80018L).length(8).width(0).streamWidth(8).masterId(0x10);
        read.id(9).dev(1);
        final byte[] b = encode(read);
        assertEquals(58, b.length);
        assertEquals(38, be32(b, 4));
        assertEquals(1234, be64(b, 20));
        assertEquals(0, be64(b, 28));
        assertEquals(0xfed80018L, be64(b, 36));
        assertEquals(8, be32(b, 44));
        assertEquals(0, be32(b, 48));
        assertEquals(8, be32(b, 52));
        assertEquals(0x10, be16(b, 56));
        final BusAccess back = (BusAccess)roundTrip(read);
        assertTrue(back.isRead());
        assertFalse(back.extended());
        assertEquals(0xfed80018L, back.address());
        assertEquals(8, back.length());
        assertEquals(8, back.streamWidth());
        assertEquals(0x10, back.masterId());
        assertEquals(0, back.data().length);
        assertNull(back.byteEnables());
    }

    @Test
    void readResponseCarriesDataAndResponseCode()
    {
        final BusAccess request = BusAccess.read().address(0x1000).length(4).streamWidth(4);
        request.id(3).dev(2);
        final BusAccess response = BusAccess.responseTo(request, RemotePort.RESP_OK).data(new byte[] {1, 2, 3, 4});
        final byte[] b = encode(response);
        assertEquals(62, b.length);
        assertEquals(RemotePort.FLAG_RESPONSE, be32(b, 12));
        assertEquals(1, b[58]);
        final BusAccess back = (BusAccess)roundTrip(response);
        assertTrue(back.isResponse());
        assertArrayEquals(new byte[] {1, 2, 3, 4}, back.data());
        final BusAccess error = BusAccess.responseTo(request, RemotePort.RESP_ADDR_ERROR).data(new byte[4]);
        final byte[] e = encode(error);
        assertEquals(2, (be64(e, 28) >>> 8) & 0xF);
        assertEquals(RemotePort.RESP_ADDR_ERROR, ((BusAccess)roundTrip(error)).responseCode());
    }

    @Test
    void writeRequestBaseLayoutCarriesDataAfterByte58()
    {
        final BusAccess write = BusAccess.write().address(0x2008).length(8).streamWidth(8).data(new byte[] {0x10, 0, 0, 0, 0, 0, 0, 0});
        write.id(11).dev(1).flags(RemotePort.FLAG_POSTED);
        final byte[] b = encode(write);
        assertEquals(66, b.length);
        assertEquals(46, be32(b, 4));
        assertEquals(0x10, b[58]);
        final BusAccess back = (BusAccess)roundTrip(write);
        assertTrue(back.isPosted());
        assertArrayEquals(write.data(), back.data());
    }

    @Test
    void extendedLayoutIs80BytesWithDataOffsetMasterIdAndByteEnables()
    {
        final BusAccess write = BusAccess.write().extended(true).address(0x40).length(4).streamWidth(4)
            .masterId(0x1234_5678_9ABC_DEF0L).data(new byte[] {9, 8, 7, 6}).byteEnables(new byte[] {(byte)0xFF, 0, (byte)0xFF, 0});
        write.id(1).dev(1);
        final byte[] b = encode(write);
        assertEquals(80 + 4 + 4, b.length);
        assertEquals(BusAccessLayout.ATTR_EXT_BASE, be64(b, 28));
        assertEquals(0xDEF0, be16(b, 56));
        assertEquals(0x9ABC, be16(b, 58));
        assertEquals(0x12345678, be32(b, 60));
        assertEquals(80, be32(b, 64));
        assertEquals(0, be32(b, 68));
        assertEquals(84, be32(b, 72));
        assertEquals(4, be32(b, 76));
        assertEquals(9, b[80]);
        final BusAccess back = (BusAccess)roundTrip(write);
        assertTrue(back.extended());
        assertEquals(0x1234_5678_9ABC_DEF0L, back.masterId());
        assertArrayEquals(new byte[] {9, 8, 7, 6}, back.data());
        assertArrayEquals(new byte[] {(byte)0xFF, 0, (byte)0xFF, 0}, back.byteEnables());
        final BusAccess read = BusAccess.read().extended(true).address(0x40).length(8).streamWidth(8);
        final BusAccess readBack = (BusAccess)roundTrip(read);
        assertTrue(readBack.extended());
        assertEquals(0, readBack.data().length);
        final BusAccess response = BusAccess.responseTo(read, 0).data(new byte[8]);
        assertTrue(response.extended());
        assertEquals(88, encode(response).length);
        assertEquals(8, ((BusAccess)roundTrip(response)).data().length);
    }

    @Test
    void extendedDataMayStartAfterAGap()
    {
        // A peer may place data anywhere after the fixed part: data_offset 88, 8 bytes of padding first.
        final byte[] b = new byte[96];
        b[3] = RemotePort.CMD_WRITE;
        b[7] = 76;
        b[35] = (byte)BusAccessLayout.ATTR_EXT_BASE;
        b[47] = 4;
        b[55] = 4;
        b[67] = 88;
        b[88] = 42;
        final BusAccess access = (BusAccess)decode(b).get(0);
        assertEquals(42, access.data()[0]);
        assertEquals(4, access.data().length);
    }

    @Test
    void interruptIs41BytesAndSync28()
    {
        final Interrupt irq = new Interrupt().timestamp(5).vector(0).line(1).value(1);
        irq.dev(3).flags(RemotePort.FLAG_POSTED);
        final byte[] b = encode(irq);
        assertEquals(41, b.length);
        assertEquals(1, be32(b, 36));
        assertEquals(1, b[40]);
        final Interrupt back = (Interrupt)roundTrip(irq);
        assertEquals(1, back.line());
        assertEquals(1, back.value());
        final Sync sync = new Sync().timestamp(-2);
        sync.id(44);
        assertEquals(28, encode(sync).length);
        assertEquals(-2, ((Sync)roundTrip(sync)).timestamp());
    }

    @Test
    void nopAndCfgAreDecoded()
    {
        final Control nop = new Control(RemotePort.CMD_NOP);
        assertEquals(20, encode(nop).length);
        roundTrip(nop);
        final Control cfg = new Control(RemotePort.CMD_CFG).cfg(0, 1);
        assertEquals(25, encode(cfg).length);
        final Control back = (Control)roundTrip(cfg);
        assertEquals(1, back.set());
    }

    @Test
    void atsPacketsAre88BytesWithTheExtensionWords()
    {
        final long word = TranslateWords.request(0x1000, 5, true, true, 1);
        final Ats req = Ats.request().timestamp(100).attributes(AtsLayout.ATTR_READ | AtsLayout.ATTR_WRITE).address(0x4000_1000L)
            .length(4096).reserved(0, word);
        req.id(77).dev(4);
        final byte[] b = encode(req);
        assertEquals(88, b.length);
        assertEquals(68, be32(b, 4));
        assertEquals(6, be64(b, 28));
        assertEquals(0x4000_1000L, be64(b, 36));
        assertEquals(4096, be64(b, 44));
        assertEquals(0, be32(b, 52));
        assertEquals(word, be64(b, 56));
        final Ats back = (Ats)roundTrip(req);
        assertEquals(word, back.reserved(0));
        assertEquals(0x1000, TranslateWords.requesterId(back.reserved(0)));
        assertEquals(5, TranslateWords.pasid(back.reserved(0)));
        assertTrue(TranslateWords.privileged(word));
        assertTrue(TranslateWords.trusted(word));
        assertEquals(1, TranslateWords.at(word));
        assertEquals(0, word & TranslateWords.REQUEST_RESERVED);
        final Ats inv = Ats.invalidation().address(0x1000).length(4096);
        inv.flags(RemotePort.FLAG_RESPONSE).dev(4);
        final Ats invBack = (Ats)roundTrip(inv.result(1));
        assertEquals(RemotePort.CMD_ATS_INV, invBack.command());
        assertEquals(1, invBack.result());
    }

    @Test
    void outcomeWordKeepsANegativeFaultCode()
    {
        final long word = TranslateWords.outcome(21, true, false, false, TranslateWords.FAMILY_NONE, 7, -1);
        assertEquals(21, TranslateWords.outcomePageSizeLg2(word));
        assertTrue(TranslateWords.outcomeIotlbHit(word));
        assertEquals(7, TranslateWords.outcomeDomainId(word));
        assertEquals(-1, TranslateWords.outcomeFaultCode(word));
        final long fault = TranslateWords.outcome(0, false, true, true, TranslateWords.FAMILY_AMDVI_EVENT, 1, 0xD);
        assertTrue(TranslateWords.outcomeFault(fault));
        assertTrue(TranslateWords.outcomeRecorded(fault));
        assertEquals(TranslateWords.FAMILY_AMDVI_EVENT, TranslateWords.outcomeFamily(fault));
        assertEquals(0xD, TranslateWords.outcomeFaultCode(fault));
    }

    @Test
    void tlpRequestAndResponseRoundTrip()
    {
        final byte[] tlp = {0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x0F, 0x12, 0x34, 0x50, 0x00};
        final TlpRequest request = new TlpRequest().timestamp(9).tlpFlags(TlpCommandLayout.FLAG_T_VALID | TlpCommandLayout.FLAG_T).tlp(tlp);
        request.dev(5).id(2);
        final byte[] b = encode(request);
        assertEquals(36 + tlp.length, b.length);
        assertEquals(tlp.length, be32(b, 32));
        assertEquals(0x10, b[40]);
        assertArrayEquals(tlp, ((TlpRequest)roundTrip(request)).tlp());

        final TlpResponse response = new TlpResponse();
        response.answering(request);
        response.timestamp = 30;
        response.trafficClass = 0;
        response.outcome = TlpCommandLayout.OUTCOME_FAULT;
        response.requesterId = 0x1000;
        response.pasid = -1;
        response.address = 0x12345000L;
        response.faultCode = 2;
        response.faultFamily = TranslateWords.FAMILY_AMDVI_EVENT;
        response.latencyCycles = 400;
        response.name = "IO_PAGE_FAULT";
        final byte[] r = encode(response);
        assertEquals(100 + 13, r.length);
        assertEquals(13, r[87]);
        final TlpResponse back = (TlpResponse)roundTrip(response);
        assertEquals("IO_PAGE_FAULT", back.name);
        assertEquals(-1, back.pasid);
        assertEquals(400, back.latencyCycles);
        assertEquals(2, back.faultCode);
        assertEquals(0x12345000L, back.address);
    }

    @Test
    void statsAndErrorResponsesRoundTrip()
    {
        final Stats request = new Stats();
        assertEquals(20, encode(request).length);
        final Stats response = new Stats().text("requests 5\n");
        response.flags(RemotePort.FLAG_RESPONSE);
        assertEquals("requests 5\n", ((Stats)roundTrip(response)).text());
        final ErrorResponse error = ErrorResponse.to(RemotePort.CMD_READ, 4, 1, ErrorLayout.MALFORMED, 580, 44, "bad");
        final byte[] b = encode(error);
        assertEquals(36 + 3, b.length);
        assertEquals(RemotePort.FLAG_RESPONSE | RemotePort.FLAG_IE_ERROR, be32(b, 12));
        final ErrorResponse back = (ErrorResponse)roundTrip(error);
        assertEquals(580, back.packetOffset());
        assertEquals(44, back.fieldOffset());
        assertEquals("bad", back.reason());
    }

    @Test
    void anErrorResponsesReasonIsDescribedInPrintableAsciiOnly()
    {
        // A peer's reason with a line break, an escape sequence, a backslash, a non-ASCII letter and a byte that is not
        // UTF-8: kept as decoded, described escaped (it goes into logs).
        final byte[] reason = {'a', '\n', 0x1B, '[', '2', 'J', '\\', (byte)0xC3, (byte)0xA9, (byte)0xFF, 'z'};
        final ErrorResponse error = ErrorResponse.to(RemotePort.CMD_READ, 4, 1, ErrorLayout.MALFORMED, 0, 0, "");
        final byte[] b = encode(error);
        final byte[] withReason = Arrays.copyOf(b, b.length + reason.length);
        System.arraycopy(reason, 0, withReason, b.length, reason.length);
        withReason[7] += (byte)reason.length; // the header's length field (small here: its low byte)
        final ErrorResponse back = (ErrorResponse)decode(withReason).get(0);
        assertEquals("a\n\u001B[2J\\\u00E9\uFFFDz", back.reason());
        assertTrue(back.describe().endsWith(": a\\x0a\\x1b[2J\\\\\\xe9\\ufffdz"), back.describe());
        assertEquals("plain text, no escapes", Printable.ascii("plain text, no escapes"));
    }

    @Test
    void packetsSplitAcrossReadsAndBackToBackDecodeWithTheirStreamOffsets()
    {
        final byte[] a = encode(new Sync().timestamp(1));
        final byte[] c = encode(new Hello().capabilities(1, 2));
        final byte[] all = new byte[a.length + c.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(c, 0, all, a.length, c.length);
        final byte[][] singles = new byte[all.length][];
        for (int i = 0; i < all.length; i++)
        {
            singles[i] = new byte[] {all[i]};
        }
        final List<RpPacket> packets = decode(singles);
        assertEquals(2, packets.size());
        assertInstanceOf(Sync.class, packets.get(0));
        assertEquals(0, packets.get(0).streamOffset());
        assertInstanceOf(Hello.class, packets.get(1));
        assertEquals(28, packets.get(1).streamOffset());
    }

    // ----------------------------------------------------------------------------------------------------------
    // Malformed input.

    private static byte[] header(final int cmd, final int len, final int flags)
    {
        final byte[] b = new byte[20 + len];
        b[0] = (byte)(cmd >>> 24);
        b[1] = (byte)(cmd >>> 16);
        b[2] = (byte)(cmd >>> 8);
        b[3] = (byte)cmd;
        b[4] = (byte)(len >>> 24);
        b[5] = (byte)(len >>> 16);
        b[6] = (byte)(len >>> 8);
        b[7] = (byte)len;
        b[15] = (byte)flags;
        return b;
    }

    private static Malformed malformed(final byte[] packet)
    {
        final RpPacket p = decode(packet).get(0);
        return assertInstanceOf(Malformed.class, p, p.describe());
    }

    @Test
    void shortPacketsOfEveryCommandAreMalformedAtTheirLength()
    {
        final int[][] cases = {
            {RemotePort.CMD_HELLO, 2}, {RemotePort.CMD_CFG, 4}, {RemotePort.CMD_READ, 37}, {RemotePort.CMD_WRITE, 10},
            {RemotePort.CMD_INTERRUPT, 20}, {RemotePort.CMD_SYNC, 7}, {RemotePort.CMD_ATS_REQ, 67}, {RemotePort.CMD_ATS_INV, 0},
            {RemotePort.CMD_IE_TLP, 15}};
        for (final int[] c : cases)
        {
            final Malformed m = malformed(header(c[0], c[1], 0));
            assertEquals(ErrorLayout.MALFORMED, m.code(), m.describe());
            assertEquals(RemotePort.LEN_OFFSET, m.fieldOffset(), m.describe());
            assertEquals(c[0], m.command());
        }
        final Malformed tlpResponse = malformed(header(RemotePort.CMD_IE_TLP, 79, RemotePort.FLAG_RESPONSE));
        assertEquals(RemotePort.LEN_OFFSET, tlpResponse.fieldOffset());
        final Malformed error = malformed(header(RemotePort.CMD_READ, 15, RemotePort.FLAG_RESPONSE | RemotePort.FLAG_IE_ERROR));
        assertEquals(RemotePort.LEN_OFFSET, error.fieldOffset());
    }

    @Test
    void unknownCommandIsNamedWithItsNumber()
    {
        final Malformed m = malformed(header(9, 4, 0));
        assertEquals(ErrorLayout.UNKNOWN_COMMAND, m.code());
        assertEquals(RemotePort.CMD_OFFSET, m.fieldOffset());
        assertTrue(m.reason().contains("0x9"), m.reason());
    }

    @Test
    void capabilityListOutsideThePacketIsMalformed()
    {
        final byte[] b = header(RemotePort.CMD_HELLO, 16, 0);
        b[21] = 4;
        b[23] = 3;
        b[27] = 32;
        b[29] = 2; // two caps, but only one fits
        final Malformed m = malformed(b);
        assertEquals(24, m.fieldOffset());
        final byte[] inside = header(RemotePort.CMD_HELLO, 16, 0);
        inside[21] = 4;
        inside[27] = 8; // offset inside the fixed part
        inside[29] = 1;
        assertEquals(24, malformed(inside).fieldOffset());
        inside[27] = 32;
        assertEquals(1, ((Hello)decode(inside).get(0)).capabilities().length);
    }

    @Test
    void writeWhoseDataDisagreesWithItsLengthIsMalformed()
    {
        final byte[] b = header(RemotePort.CMD_WRITE, 38 + 3, 0);
        b[47] = 4; // len 4 but 3 data bytes
        assertEquals(BusAccessLayout.LEN_OFFSET, malformed(b).fieldOffset());
        final byte[] read = header(RemotePort.CMD_READ, 38 + 8, 0);
        read[47] = 8; // a READ request carries no data
        assertEquals(BusAccessLayout.LEN_OFFSET, malformed(read).fieldOffset());
        final byte[] response = header(RemotePort.CMD_READ, 38 + 2, RemotePort.FLAG_RESPONSE);
        response[47] = 8;
        assertEquals(BusAccessLayout.LEN_OFFSET, malformed(response).fieldOffset());
        // An error response without data is accepted.
        final byte[] error = header(RemotePort.CMD_READ, 38, RemotePort.FLAG_RESPONSE);
        error[47] = 8;
        error[34] = 1;
        assertEquals(1, ((BusAccess)decode(error).get(0)).responseCode());
    }

    @Test
    void extendedLayoutErrorsNameTheirField()
    {
        final byte[] shortExt = header(RemotePort.CMD_READ, 50, 0);
        shortExt[35] = (byte)BusAccessLayout.ATTR_EXT_BASE;
        assertEquals(BusAccessLayout.ATTRIBUTES_OFFSET, malformed(shortExt).fieldOffset());

        final byte[] dataOutside = header(RemotePort.CMD_WRITE, 64, 0);
        dataOutside[35] = (byte)BusAccessLayout.ATTR_EXT_BASE;
        dataOutside[47] = 4;
        dataOutside[67] = 82; // 82 + 4 > 84
        assertEquals(BusAccessLayout.DATA_OFFSET_OFFSET, malformed(dataOutside).fieldOffset());

        final byte[] dataInHeader = header(RemotePort.CMD_WRITE, 64, 0);
        dataInHeader[35] = (byte)BusAccessLayout.ATTR_EXT_BASE;
        dataInHeader[47] = 4;
        dataInHeader[67] = 40;
        assertEquals(BusAccessLayout.DATA_OFFSET_OFFSET, malformed(dataInHeader).fieldOffset());

        final byte[] enables = header(RemotePort.CMD_WRITE, 64, 0);
        enables[35] = (byte)BusAccessLayout.ATTR_EXT_BASE;
        enables[47] = 4;
        enables[67] = 80;
        enables[75] = 84;
        enables[79] = 4; // 84 + 4 > 84
        assertEquals(BusAccessLayout.BYTE_ENABLE_OFFSET_OFFSET, malformed(enables).fieldOffset());
    }

    @Test
    void tlpRequestWithAWrongLengthOrReservedFlagsIsMalformed()
    {
        final byte[] b = header(RemotePort.CMD_IE_TLP, 16 + 12, 0);
        b[35] = 16;
        assertEquals(TlpCommandLayout.TLP_LENGTH_OFFSET, malformed(b).fieldOffset());
        final byte[] flags = header(RemotePort.CMD_IE_TLP, 16 + 12, 0);
        flags[35] = 12;
        flags[31] = 0x10;
        assertEquals(TlpCommandLayout.FLAGS_OFFSET, malformed(flags).fieldOffset());
        final byte[] stats = header(RemotePort.CMD_IE_STATS, 4, 0);
        assertEquals(RemotePort.LEN_OFFSET, malformed(stats).fieldOffset());
        final byte[] name = header(RemotePort.CMD_IE_TLP, 80 + 2, RemotePort.FLAG_RESPONSE);
        name[87] = 5;
        assertEquals(TlpCommandLayout.NAME_LENGTH_OFFSET, malformed(name).fieldOffset());
    }

    @Test
    void lenFieldThatDisagreesWithTheFrameIsMalformed()
    {
        final byte[] b = header(RemotePort.CMD_SYNC, 8, 0);
        b[7] = 9;
        final RpPacket p = RemotePortMessageDecoder.decode(Unpooled.wrappedBuffer(b), 100);
        assertEquals(RemotePort.LEN_OFFSET, ((Malformed)p).fieldOffset());
        assertEquals(100, p.streamOffset());
        assertInstanceOf(Malformed.class, RemotePortMessageDecoder.decode(Unpooled.wrappedBuffer(new byte[10]), 0));
    }

    @Test
    void oversizedFrameIsAProtocolErrorNamingItsOffsetAndTheRestIsDiscarded()
    {
        final EmbeddedChannel in = new EmbeddedChannel(new RemotePortFrameDecoder(200), new RemotePortMessageDecoder());
        in.writeInbound(Unpooled.wrappedBuffer(encode(new Sync())));
        final byte[] big = header(RemotePort.CMD_WRITE, 1000, 0);
        final DecoderException ex = assertThrows(DecoderException.class, () -> in.writeInbound(Unpooled.wrappedBuffer(big)));
        final ProtocolException cause = assertInstanceOf(ProtocolException.class, ex.getCause());
        assertEquals(28, cause.streamOffset());
        assertTrue(cause.getMessage().contains("WRITE packet at byte 28"), cause.getMessage());
        assertTrue(cause.getMessage().contains("len (@4) 1000"), cause.getMessage());
        assertInstanceOf(Sync.class, in.readInbound());
        in.writeInbound(Unpooled.wrappedBuffer(encode(new Sync())));
        assertNull(in.readInbound(), "nothing is decoded after an oversized frame");
        in.finishAndReleaseAll();
        assertThrows(IllegalArgumentException.class, () -> new RemotePortFrameDecoder(50));
    }

    @Test
    void truncatedStreamIsAProtocolErrorWithWhatArrived()
    {
        final EmbeddedChannel in = new EmbeddedChannel(new RemotePortFrameDecoder(), new RemotePortMessageDecoder());
        final byte[] ats = encode(Ats.request().address(0x1000));
        final byte[] part = new byte[50];
        System.arraycopy(ats, 0, part, 0, 50);
        in.writeInbound(Unpooled.wrappedBuffer(encode(new Sync())), Unpooled.wrappedBuffer(part));
        assertInstanceOf(Sync.class, in.readInbound());
        final DecoderException ex = assertThrows(DecoderException.class, in::finish);
        final ProtocolException cause = assertInstanceOf(ProtocolException.class, ex.getCause());
        assertEquals(28, cause.streamOffset());
        assertTrue(cause.getMessage().contains("ATS_REQ packet at byte 28: 50 of 88 bytes"), cause.getMessage());
        in.releaseInbound();
    }

    @Test
    void encoderRefusesByteEnablesInTheBaseLayoutAndUnknownPackets()
    {
        final BusAccess write = BusAccess.write().length(4).data(new byte[4]).byteEnables(new byte[4]);
        final EmbeddedChannel out = new EmbeddedChannel(new RemotePortEncoder());
        assertThrows(Exception.class, () -> out.writeOutbound(write));
        assertThrows(Exception.class, () -> out.writeOutbound(new Malformed(1, 1, 0, "x", 0)));
        out.finishAndReleaseAll();
    }

    @Test
    void rawPacketsGoOutAsTheyAre()
    {
        final byte[] garbage = {1, 2, 3};
        assertArrayEquals(garbage, encode(new RawPacket(garbage)));
    }
}
