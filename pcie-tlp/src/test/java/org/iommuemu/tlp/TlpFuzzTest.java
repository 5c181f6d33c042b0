package org.iommuemu.tlp;

import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The decoder never throws and never reads outside [offset, offset + length): random bytes, and valid TLPs
 * cut short or corrupted, always end in a {@link TlpError} with an offset inside the TLP.
 */
class TlpFuzzTest
{
    private final Tlp tlp = new Tlp();

    @Test
    void shouldClassifyRandomBytesWithoutThrowing()
    {
        final Random random = new Random(0xF022L);
        final byte[] bytes = new byte[256];
        // the TLP sits at the end of the buffer, so any read past its end would throw IndexOutOfBounds
        for (int i = 0; i < 200_000; i++)
        {
            final int length = random.nextInt(64);
            random.nextBytes(bytes);
            final UnsafeBuffer buffer = new UnsafeBuffer(bytes, bytes.length - length, length);
            final TlpError error = (i & 1) == 0 ?
                TlpDecoder.decode(buffer, 0, length, tlp) : TlpDecoder.decodeFlit(buffer, 0, length, tlp);
            assertEquals(error, tlp.error());
            assertTrue(tlp.errorOffset() >= 0 && tlp.errorOffset() <= length, () -> "offset " + tlp.errorOffset());
            if (TlpError.NONE == error && !tlp.isFlit())
            {
                TlpFormatter.format(tlp, new StringBuilder());
            }
        }
    }

    @Test
    void shouldRejectEveryTruncationOfValidTlps()
    {
        final Random random = new Random(0xF023L);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[8192]);
        for (int i = 0; i < 2000; i++)
        {
            scratch.setMemory(0, scratch.capacity(), (byte)0);
            final int length = TlpRoundTripTest.writeRandom(random, scratch);
            for (int cut = 0; cut < length; cut += 1 + random.nextInt(8))
            {
                final byte[] bytes = new byte[cut];
                scratch.getBytes(0, bytes);
                final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
                final TlpError error = TlpDecoder.decode(buffer, 0, cut, tlp);
                assertTrue(error == TlpError.TRUNCATED_HEADER || error == TlpError.TRUNCATED_DATA ||
                    error == TlpError.PREFIX_WITHOUT_HEADER, error + " at cut " + cut + " of " + length);
                assertEquals(cut, tlp.errorOffset());
            }
        }
    }
}
