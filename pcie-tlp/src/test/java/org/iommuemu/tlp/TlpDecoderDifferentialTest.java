package org.iommuemu.tlp;

import java.util.Random;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static java.nio.ByteOrder.BIG_ENDIAN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * {@link TlpDecoder} (fast path plus general path, over the packed {@link Tlp}) against
 * {@link ReferenceTlpDecoder} (the decoder before the fast path, over {@link ReferenceTlp}) on millions of
 * TLPs: every getter of the result must agree, errors and their offsets included, and a range outside the buffer
 * must throw the same exception. One result object of each kind is reused throughout, as callers do, so state
 * left over from a previous decode (flit then non-flit, error then valid) is covered too.
 */
class TlpDecoderDifferentialTest
{
    private static final int BUFFER_LENGTH = 8192;
    /** Header bytes 0 that the generator favours: the kinds of a real mix plus the boundary cases. */
    private static final int[] COMMON_BYTE0 = {
        0x00, 0x20, 0x40, 0x60, 0x0A, 0x4A, 0x2A, 0x02, 0x42, 0x04, 0x44, 0x05, 0x45, 0x30, 0x70, 0x34, 0x74,
        0x01, 0x21, 0x41, 0x4C, 0x6C, 0x4D, 0x4E, 0x5B, 0x7B, 0x0B, 0x4B, 0x10, 0x50};
    private static final int[] PREFIX_BYTE0 = {PasidPrefix.BYTE0, IdePrefix.BYTE0, 0x80, 0x8E, 0x9F, 0x90};

    private final Tlp tlp = new Tlp();
    private final ReferenceTlp reference = new ReferenceTlp();

    @Test
    void shouldMatchTheReferenceOnGeneratedTlps()
    {
        final Random random = new Random(0xD1FF_0001L);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[BUFFER_LENGTH]);
        for (int i = 0; i < 3_000_000; i++)
        {
            final int offset = random.nextInt(4) == 0 ? random.nextInt(64) : 0;
            final int length = writeTlp(random, buffer, offset);
            final int wireLength;
            final int capturedLength;
            switch (random.nextInt(8))
            {
                case 0:
                    wireLength = Math.max(0, length + random.nextInt(9) - 4);
                    capturedLength = wireLength;
                    break;
                case 1:
                    wireLength = length;
                    capturedLength = random.nextInt(length + 1);
                    break;
                case 2:
                    wireLength = length;
                    capturedLength = length + random.nextInt(8);
                    break;
                default:
                    wireLength = length;
                    capturedLength = length;
                    break;
            }
            if (random.nextInt(16) == 0)
            {
                // the TLP at the very end of the buffer, or running past it
                final int at = BUFFER_LENGTH - capturedLength + random.nextInt(3) - 1;
                if (at >= 0 && at < BUFFER_LENGTH)
                {
                    buffer.putBytes(at, buffer, offset,
                        Math.max(0, Math.min(capturedLength, BUFFER_LENGTH - Math.max(at, offset))));
                    compare(buffer, at, capturedLength, wireLength, i);
                    continue;
                }
            }
            compare(buffer, offset, capturedLength, wireLength, i);
        }
    }

    @Test
    void shouldMatchTheReferenceOnRandomBytes()
    {
        final Random random = new Random(0xD1FF_0002L);
        final byte[] bytes = new byte[96];
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        for (int i = 0; i < 1_000_000; i++)
        {
            random.nextBytes(bytes);
            if (random.nextBoolean())
            {
                // make prefixes and valid kinds likely at the first DWs
                for (int dw = 0; dw < 4; dw++)
                {
                    if (random.nextInt(3) == 0)
                    {
                        bytes[dw * 4] = (byte)PREFIX_BYTE0[random.nextInt(PREFIX_BYTE0.length)];
                    }
                    else if (random.nextBoolean())
                    {
                        bytes[dw * 4] = (byte)COMMON_BYTE0[random.nextInt(COMMON_BYTE0.length)];
                    }
                }
            }
            final int offset = random.nextInt(8);
            final int length = random.nextInt(bytes.length - offset + 4);
            if ((i & 3) == 3)
            {
                compareFlit(buffer, offset, length, i);
            }
            else
            {
                compare(buffer, offset, length, length + ((i & 7) == 2 ? random.nextInt(8) : 0), i);
            }
        }
    }

    @Test
    void shouldMatchTheReferenceOnBadRanges()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = writeTlp(new Random(3), buffer, 0);
        final int[] offsets = {-1, 0, 1, 60, 63, 64, 65, Integer.MAX_VALUE - 4, Integer.MIN_VALUE};
        final int[] lengths = {-1, 0, 3, 4, 12, 16, length, 63, 64, 65, Integer.MAX_VALUE};
        int i = 0;
        for (final int offset : offsets)
        {
            for (final int capturedLength : lengths)
            {
                for (final int wireLength : lengths)
                {
                    compare(buffer, offset, capturedLength, wireLength, i++);
                }
            }
        }
    }

    /**
     * Writes a TLP that is valid more often than not: 0-3 prefixes, a header byte 0 from the common kinds (or
     * any), Length 1 for I/O and configuration most of the time, Address[63:32] sometimes zero, TD random, data
     * as Length says.
     */
    private static int writeTlp(final Random random, final UnsafeBuffer buffer, final int offset)
    {
        int pos = offset;
        final int prefixes = random.nextInt(8) == 0 ? random.nextInt(5) : random.nextInt(3);
        for (int p = 0; p < prefixes; p++)
        {
            final int byte0 = random.nextInt(4) == 0 ?
                0x80 | random.nextInt(32) : PREFIX_BYTE0[random.nextInt(2)];
            buffer.putInt(pos, (byte0 << 24) | random.nextInt(1 << 24), BIG_ENDIAN);
            pos += 4;
        }
        final int byte0 = random.nextInt(10) == 0 ?
            random.nextInt(256) : COMMON_BYTE0[random.nextInt(COMMON_BYTE0.length)];
        final TlpKind kind = TlpKind.of(byte0);
        int lengthField = random.nextInt(4) == 0 ? random.nextInt(1024) : 1 + random.nextInt(16);
        if ((kind.isIo() || kind.isConfig()) && random.nextInt(8) != 0)
        {
            lengthField = 1;
        }
        final int dw0 = (byte0 << 24) | (random.nextInt(1 << 14) << 10) | lengthField;
        buffer.putInt(pos, dw0, BIG_ENDIAN);
        for (int dw = 1; dw < 4; dw++)
        {
            buffer.putInt(pos + dw * 4, random.nextInt(), BIG_ENDIAN);
        }
        if (random.nextInt(4) == 0)
        {
            buffer.putInt(pos + 8, 0, BIG_ENDIAN);
        }
        final int headerLength = (byte0 & 0x20) != 0 ? 16 : 12;
        final int dataLength = (byte0 & 0x40) != 0 && (byte0 & 0x80) == 0 ?
            (0 == lengthField ? 1024 : lengthField) * 4 : 0;
        final int digestLength = (dw0 & (1 << 15)) != 0 ? 4 : 0;
        final int end = Math.min(pos + headerLength + dataLength + digestLength, BUFFER_LENGTH);
        for (int at = pos + headerLength; at < end; at += 4)
        {
            buffer.putInt(at, random.nextInt(), BIG_ENDIAN);
        }
        return end - offset;
    }

    private void compare(
        final UnsafeBuffer buffer, final int offset, final int capturedLength, final int wireLength, final int i)
    {
        final String referenceThrew =
            threw(() -> ReferenceTlpDecoder.decode(buffer, offset, capturedLength, wireLength, reference));
        final String threw = threw(() -> TlpDecoder.decode(buffer, offset, capturedLength, wireLength, tlp));
        final Supplier<String> where = () -> "case " + i + " offset " + offset + " captured " + capturedLength +
            " wire " + wireLength + (null == referenceThrew ? " bytes " + Hex.of(buffer, Math.max(0, offset),
            Math.max(0, Math.min(capturedLength, buffer.capacity() - Math.max(0, offset)))) : "");
        assertEquals(referenceThrew, threw, where);
        if (null == threw)
        {
            assertSame(where);
        }
    }

    private void compareFlit(final UnsafeBuffer buffer, final int offset, final int length, final int i)
    {
        final String referenceThrew = threw(() -> ReferenceTlpDecoder.decodeFlit(buffer, offset, length, reference));
        final String threw = threw(() -> TlpDecoder.decodeFlit(buffer, offset, length, tlp));
        final Supplier<String> where = () -> "flit case " + i + " offset " + offset + " length " + length;
        assertEquals(referenceThrew, threw, where);
        if (null == threw)
        {
            assertSame(where);
        }
    }

    private static String threw(final Runnable decode)
    {
        try
        {
            decode.run();
            return null;
        }
        catch (final RuntimeException ex)
        {
            return ex.getClass().getName();
        }
    }

    private static String valueOrThrown(final IntSupplier read)
    {
        try
        {
            return Integer.toString(read.getAsInt());
        }
        catch (final RuntimeException ex)
        {
            return ex.getClass().getName();
        }
    }

    private void assertSame(final Supplier<String> where)
    {
        assertEquals(reference.error(), tlp.error(), where);
        assertEquals(reference.errorOffset(), tlp.errorOffset(), where);
        assertEquals(reference.isValid(), tlp.isValid(), where);
        assertEquals(reference.offset(), tlp.offset(), where);
        assertEquals(reference.length(), tlp.length(), where);
        assertEquals(reference.capturedLength(), tlp.capturedLength(), where);
        assertEquals(reference.isTruncatedCapture(), tlp.isTruncatedCapture(), where);
        assertEquals(reference.isFlit(), tlp.isFlit(), where);
        assertEquals(reference.kind(), tlp.kind(), where);
        assertEquals(reference.prefixCount(), tlp.prefixCount(), where);
        assertEquals(reference.headerOffset(), tlp.headerOffset(), where);
        assertEquals(reference.headerLength(), tlp.headerLength(), where);
        assertEquals(reference.ohcOffset(), tlp.ohcOffset(), where);
        assertEquals(reference.dataOffset(), tlp.dataOffset(), where);
        assertEquals(reference.dataLength(), tlp.dataLength(), where);
        assertEquals(reference.capturedDataLength(), tlp.capturedDataLength(), where);
        assertEquals(reference.digestOffset(), tlp.digestOffset(), where);
        assertEquals(reference.hasDigest(), tlp.hasDigest(), where);
        assertEquals(reference.trailerLength(), tlp.trailerLength(), where);
        assertEquals(reference.hasPasidPrefix(), tlp.hasPasidPrefix(), where);
        assertEquals(reference.hasIdePrefix(), tlp.hasIdePrefix(), where);
        assertEquals(reference.hasOhcA(), tlp.hasOhcA(), where);
        assertEquals(reference.hasOhcC(), tlp.hasOhcC(), where);
        if (reference.hasPasidPrefix())
        {
            assertEquals(reference.pasidPrefix().offset(), tlp.pasidPrefix().offset(), where);
        }
        if (reference.hasIdePrefix())
        {
            assertEquals(reference.idePrefix().offset(), tlp.idePrefix().offset(), where);
        }
        if (reference.hasOhcA())
        {
            assertEquals(reference.ohcA1().offset(), tlp.ohcA1().offset(), where);
        }
        if (reference.hasOhcC())
        {
            assertEquals(reference.ohcC().offset(), tlp.ohcC().offset(), where);
        }
        if (reference.isValid())
        {
            assertEquals(reference.pasidValid(), tlp.pasidValid(), where);
            assertEquals(reference.pasid(), tlp.pasid(), where);
            assertEquals(reference.teeOriginated(), tlp.teeOriginated(), where);
            if (reference.hasDigest())
            {
                assertEquals(valueOrThrown(reference::digest), valueOrThrown(tlp::digest), where);
            }
        }
        if (reference.buffer() != tlp.buffer())
        {
            fail("buffer differs: " + where.get());
        }
    }
}
