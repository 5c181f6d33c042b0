package org.iommuemu.tlp;

import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-style tests, seeded: random field values encoded through the flyweights decode to the same values,
 * and re-encoding the decoded fields into a fresh buffer reproduces the bytes exactly.
 */
public class TlpRoundTripTest
{
    private static final TlpKind[] HEADER_KINDS = {
        TlpKind.MRD, TlpKind.MRDLK, TlpKind.MWR, TlpKind.IORD, TlpKind.IOWR, TlpKind.CFGRD0, TlpKind.CFGWR0,
        TlpKind.CFGRD1, TlpKind.CFGWR1, TlpKind.MSG, TlpKind.MSGD, TlpKind.CPL, TlpKind.CPLD, TlpKind.CPLLK,
        TlpKind.CPLDLK, TlpKind.FETCHADD, TlpKind.SWAP, TlpKind.CAS, TlpKind.DMWR };

    private final Tlp tlp = new Tlp();

    @Test
    void shouldRoundTripRandomNonFlitTlps()
    {
        final Random random = new Random(0x7E57_0001L);
        final UnsafeBuffer a = new UnsafeBuffer(new byte[8192]);
        final UnsafeBuffer b = new UnsafeBuffer(new byte[8192]);
        for (int i = 0; i < 20_000; i++)
        {
            a.setMemory(0, a.capacity(), (byte)0);
            final int length = writeRandom(random, a);
            assertEquals(TlpError.NONE, TlpDecoder.decode(a, 0, length, tlp), () -> "case " + Hex.of(a, 0, length));
            b.setMemory(0, b.capacity(), (byte)0);
            final int copied = reencode(tlp, b);
            assertEquals(length, copied);
            assertEquals(Hex.of(a, 0, length), Hex.of(b, 0, copied));
        }
    }

    @Test
    void shouldRoundTripRandomFlitTlps()
    {
        final Random random = new Random(0x7E57_0002L);
        final UnsafeBuffer a = new UnsafeBuffer(new byte[8192]);
        final int[] trailerTs = {FlitHeaderBase.TS_NONE, FlitHeaderBase.TS_ECRC, FlitHeaderBase.TS_MAC,
            FlitHeaderBase.TS_MAC_PCRC};
        for (int i = 0; i < 5_000; i++)
        {
            a.setMemory(0, a.capacity(), (byte)0);
            final FlitHeaderBase h = new FlitHeaderBase().wrap(a, 0);
            final int type = random.nextInt(256) & ~0x80;
            final int ohc = random.nextInt(32);
            final int ts = trailerTs[random.nextInt(trailerTs.length)];
            final int len = random.nextInt(1024);
            h.type(type).tc(random.nextInt(8)).ohc(ohc).ts(ts).attr(random.nextInt(8)).length(len);
            final int headerLength = h.headerLength();
            int pos = headerLength;
            final boolean hasA = (ohc & FlitHeaderBase.OHC_A) != 0;
            final boolean hasC = (ohc & FlitHeaderBase.OHC_C) != 0;
            final int pasid = random.nextInt(1 << 20);
            final boolean t = random.nextBoolean();
            final int stream = random.nextInt(256);
            if (hasA)
            {
                new OhcA1().wrap(a, pos).set(true, pasid, random.nextBoolean(), random.nextBoolean(),
                    random.nextBoolean(), random.nextInt(16), random.nextInt(16));
            }
            pos += hasA ? 4 : 0;
            pos += (ohc & FlitHeaderBase.OHC_B) != 0 ? 4 : 0;
            if (hasC)
            {
                new OhcC().wrap(a, pos).set(t, random.nextBoolean(), random.nextBoolean(), random.nextInt(8), stream,
                    random.nextInt(256), random.nextBoolean(), random.nextInt(256));
            }
            final int total = headerLength + FlitHeaderBase.ohcLengthDw(ohc) * 4 + h.dataLength() +
                FlitHeaderBase.trailerLengthDw(ts) * 4;
            assertEquals(TlpError.NONE, TlpDecoder.decodeFlit(a, 0, total, tlp));
            assertEquals(h.dataLength(), tlp.dataLength());
            assertEquals(hasA ? pasid : -1, tlp.pasid());
            assertEquals(hasC && t, tlp.teeOriginated());
            if (hasC)
            {
                assertEquals(stream, tlp.ohcC().streamId());
            }
            final boolean tail = h.dataLength() + FlitHeaderBase.trailerLengthDw(ts) > 0;
            assertEquals(tail ? TlpError.TRUNCATED_DATA : TlpError.TRUNCATED_HEADER,
                TlpDecoder.decodeFlit(a, 0, total - 1, tlp));
        }
    }

    @Test
    void shouldRoundTripAtsRanges()
    {
        final Random random = new Random(0x7E57_0003L);
        for (int i = 0; i < 10_000; i++)
        {
            final int lg2 = 12 + random.nextInt(40);
            final long size = 1L << lg2;
            final long base = (random.nextLong() & 0x000F_FFFF_FFFF_F000L) & -size;
            final long entry = TranslationCompletionEntry.compose(base, size, TranslationCompletionEntry.R);
            final boolean s = (entry & TranslationCompletionEntry.S) != 0;
            assertEquals(size > 4096, s);
            assertEquals(size, AtsRange.size(entry, s));
            assertEquals(base, AtsRange.base(entry, s));
        }
    }

    /** Writes a random well-formed TLP with optional IDE and PASID prefixes; returns its length. */
    public static int writeRandom(final Random random, final UnsafeBuffer buffer)
    {
        int pos = 0;
        if (random.nextInt(4) == 0)
        {
            new IdePrefix().wrap(buffer, pos).set(random.nextBoolean(), random.nextBoolean(), random.nextBoolean(),
                random.nextBoolean(), random.nextInt(3), random.nextInt(256), random.nextInt(256));
            pos += IdePrefix.LENGTH;
        }
        if (random.nextInt(3) == 0)
        {
            new PasidPrefix().wrap(buffer, pos).set(random.nextInt(1 << 20), random.nextBoolean(), random.nextBoolean());
            pos += PasidPrefix.LENGTH;
        }
        final TlpKind kind = HEADER_KINDS[random.nextInt(HEADER_KINDS.length)];
        final boolean fourDw = kind.isMemory() && random.nextBoolean();
        final TlpHeader h = new TlpHeader().wrap(buffer, pos);
        h.fmtType(kind.byte0(fourDw, random.nextInt(8)));
        h.tc(random.nextInt(8)).attr(random.nextInt(8)).th(random.nextBoolean()).td(random.nextBoolean())
            .ep(random.nextBoolean()).at(random.nextInt(3)).ln(random.nextBoolean());
        final int lengthDw = kind.isIo() || kind.isConfig() ? 1 : 1 + random.nextInt(64);
        h.length(lengthDw);
        if (kind.isAddressRouted())
        {
            final RequestHeader r = new RequestHeader().wrap(buffer, pos);
            r.requesterId(random.nextInt(1 << 16)).tag(random.nextInt(1 << 10)).lastBe(random.nextInt(16))
                .firstBe(random.nextInt(16));
            final long address = fourDw ?
                ((random.nextLong() & 0x00FF_FFFF_FFFF_FFFCL) | (1L << 32)) : random.nextInt() & 0xFFFF_FFFCL;
            r.address(address).ph(random.nextInt(4));
            assertEquals(address, r.address());
        }
        else if (kind.isConfig())
        {
            new ConfigRequestHeader().wrap(buffer, pos).requesterId(random.nextInt(1 << 16))
                .tag(random.nextInt(1 << 10)).firstBe(random.nextInt(16)).destinationId(random.nextInt(1 << 16))
                .registerNumber(random.nextInt(1024));
        }
        else if (kind.isCompletion())
        {
            new CompletionHeader().wrap(buffer, pos).completerId(random.nextInt(1 << 16)).status(random.nextInt(8))
                .bcm(random.nextBoolean()).byteCount(random.nextInt(4096)).requesterId(random.nextInt(1 << 16))
                .tag(random.nextInt(1 << 10)).lowerAddress(random.nextInt(128));
        }
        else
        {
            new MessageHeader().wrap(buffer, pos).requesterId(random.nextInt(1 << 16)).tag(random.nextInt(1 << 10))
                .messageCode(random.nextInt(256)).dw2(random.nextInt()).dw3(random.nextInt());
        }
        pos += h.headerLength();
        for (int i = 0; i < h.dataLength(); i++)
        {
            buffer.putByte(pos++, (byte)random.nextInt());
        }
        if (h.td())
        {
            buffer.putInt(pos, random.nextInt());
            pos += 4;
        }
        return pos;
    }

    /** Copies a decoded TLP field by field (not byte by byte) into {@code out}; returns the length written. */
    static int reencode(final Tlp tlp, final UnsafeBuffer out)
    {
        int pos = 0;
        if (tlp.hasIdePrefix())
        {
            final IdePrefix in = tlp.idePrefix();
            new IdePrefix().wrap(out, pos).set(in.t(), in.k(), in.m(), in.p(), in.subStream(), in.streamId(),
                in.prSentCounter());
            pos += 4;
        }
        if (tlp.hasPasidPrefix())
        {
            final PasidPrefix in = tlp.pasidPrefix();
            new PasidPrefix().wrap(out, pos).set(in.pasid(), in.executeRequested(), in.privilegedModeRequested());
            pos += 4;
        }
        assertEquals(tlp.headerOffset() - tlp.offset(), pos);
        final TlpHeader in = tlp.header();
        final TlpHeader h = new TlpHeader().wrap(out, pos);
        h.fmtType(in.fmtType());
        h.tc(in.tc()).attr(in.attr()).th(in.th()).td(in.td()).ep(in.ep()).at(in.at()).ln(in.ln()).length(in.length());
        final TlpKind kind = tlp.kind();
        if (kind.isAddressRouted())
        {
            final RequestHeader r = tlp.request();
            new RequestHeader().wrap(out, pos).requesterId(r.requesterId()).tag(r.tag()).lastBe(r.lastBe())
                .firstBe(r.firstBe()).address(r.address()).ph(r.ph());
        }
        else if (kind.isConfig())
        {
            final ConfigRequestHeader c = tlp.config();
            new ConfigRequestHeader().wrap(out, pos).requesterId(c.requesterId()).tag(c.tag()).lastBe(c.lastBe())
                .firstBe(c.firstBe()).destinationId(c.destinationId()).registerNumber(c.registerNumber());
        }
        else if (kind.isCompletion())
        {
            final CompletionHeader c = tlp.completion();
            new CompletionHeader().wrap(out, pos).completerId(c.completerId()).status(c.status()).bcm(c.bcm())
                .byteCount(c.byteCount()).requesterId(c.requesterId()).tag(c.tag()).lowerAddress(c.lowerAddress());
        }
        else
        {
            assertTrue(kind.isMessage());
            final MessageHeader m = tlp.message();
            new MessageHeader().wrap(out, pos).requesterId(m.requesterId()).tag(m.tag()).messageCode(m.messageCode())
                .dw2(m.dw2()).dw3(m.dw3());
        }
        pos += tlp.headerLength();
        final int tail = tlp.dataLength() + (tlp.hasDigest() ? 4 : 0);
        out.putBytes(pos, tlp.buffer(), tlp.headerOffset() + tlp.headerLength(), tail);
        return pos + tail;
    }
}
