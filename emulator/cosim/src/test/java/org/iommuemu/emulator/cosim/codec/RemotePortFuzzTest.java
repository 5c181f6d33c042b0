package org.iommuemu.emulator.cosim.codec;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.management.ThreadMXBean;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import org.iommuemu.emulator.cosim.wire.RemotePort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Coverage-guided fuzz target of the co-simulation frame and message decoders (docs/reliability.md): whatever bytes a
 * peer sends, in whatever pieces the network delivers them, the decoders either emit packets or stop the session with
 * a {@link ProtocolException} naming the stream offset. In {@code mvn verify} it runs in regression mode on its
 * committed seeds ({@code src/test/resources/org/iommuemu/emulator/cosim/codec/RemotePortFuzzTestInputs/frames/}) and
 * the empty input; {@code bin/fuzz emulator/cosim RemotePortFuzzTest#frames} fuzzes it.
 * <p>
 * Invariants checked on every input:
 * <ul>
 * <li>no exception escapes but a {@link ProtocolException} (through Netty's {@link DecoderException}), and after one
 * nothing more is decoded;</li>
 * <li>every packet lies inside the input: its stream offset plus its 20-byte header does not pass the bytes sent, and
 * offsets increase;</li>
 * <li>a {@link Malformed} packet names a field offset inside its packet and a reason;</li>
 * <li>every well-formed packet, encoded again and decoded, is the same packet;</li>
 * <li>splitting the input differently never changes what is decoded;</li>
 * <li>bounded time and heap per input.</li>
 * </ul>
 */
class RemotePortFuzzTest
{
    static final String DURATION = "5m";
    private static final long MAX_NANOS = 30_000_000_000L;
    private static final long MAX_ALLOCATED = 64L << 20;
    private static final boolean FUZZING = System.getenv("JAZZER_FUZZ") != null && !System.getenv("JAZZER_FUZZ").isEmpty();
    private static final ThreadMXBean THREADS = (ThreadMXBean)ManagementFactory.getThreadMXBean();

    @FuzzTest(maxDuration = DURATION)
    void frames(final byte[] data)
    {
        final long thread = Thread.currentThread().getId();
        final long allocated = THREADS.getThreadAllocatedBytes(thread);
        final long started = System.nanoTime();

        // The first byte picks how the network cuts the rest into pieces (1 to 256 bytes each).
        final int piece = data.length == 0 ? 1 : (data[0] & 0xFF) + 1;
        final byte[] stream = data.length == 0 ? data : Arrays.copyOfRange(data, 1, data.length);
        final Decoded whole = decode(stream, stream.length + 1);
        final Decoded pieces = decode(stream, piece);
        assertEquals(whole.describe(), pieces.describe(), "the split of the stream changed what was decoded");

        long previous = -1;
        for (int i = 0; i < whole.packets.size(); i++)
        {
            final RpPacket packet = whole.packets.get(i);
            final long offset = packet.streamOffset();
            assertTrue(offset > previous && offset + RemotePort.HEADER_LENGTH <= stream.length, "packet outside the input: " +
                packet.describe());
            previous = offset;
            if (packet instanceof Malformed malformed)
            {
                assertFalse(malformed.reason().isEmpty(), malformed.describe());
                assertTrue(malformed.fieldOffset() >= 0 &&
                    malformed.fieldOffset() < RemotePort.HEADER_LENGTH + Math.max(0, malformed.length()),
                    "field offset outside the packet: " + malformed.describe());
                continue;
            }
            // Encoding a well-formed packet and decoding it again gives the same packet (remote-port allows bytes
            // after the fields a command defines, so the bytes themselves may differ by that tail).
            final EmbeddedChannel out = new EmbeddedChannel(new RemotePortEncoder());
            assertTrue(out.writeOutbound(packet));
            final ByteBuf buf = out.readOutbound();
            final byte[] encoded = new byte[buf.readableBytes()];
            buf.readBytes(encoded);
            buf.release();
            out.finishAndReleaseAll();
            final Decoded again = decode(encoded, encoded.length + 1);
            assertTrue(again.error == null && again.packets.size() == 1, "a well-formed packet does not decode after encoding: " +
                packet.describe() + " / " + again.describe());
            assertEquals(withoutOffset(packet.describe()), withoutOffset(again.packets.get(0).describe()),
                "a well-formed packet changes through encoding");
        }

        final long nanos = System.nanoTime() - started;
        assertTrue(nanos < MAX_NANOS, "one input took " + nanos / 1_000_000 + " ms");
        if (!FUZZING)
        {
            final long bytes = THREADS.getThreadAllocatedBytes(thread) - allocated;
            assertTrue(bytes < MAX_ALLOCATED, "one input allocated " + bytes + " bytes");
        }
    }

    private static String withoutOffset(final String description)
    {
        return description.replaceAll(" at byte [0-9]+", "");
    }

    /** What the decoders made of {@code stream} delivered in {@code piece}-byte writes. */
    private static Decoded decode(final byte[] stream, final int piece)
    {
        final EmbeddedChannel in = new EmbeddedChannel(new RemotePortFrameDecoder(), new RemotePortMessageDecoder());
        final Decoded decoded = new Decoded();
        try
        {
            for (int at = 0; at < stream.length && decoded.error == null; at += piece)
            {
                final int length = Math.min(piece, stream.length - at);
                try
                {
                    in.writeInbound(Unpooled.wrappedBuffer(stream, at, length));
                }
                catch (final DecoderException ex)
                {
                    decoded.error = protocolError(ex);
                }
                drain(in, decoded);
            }
            if (decoded.error == null)
            {
                try
                {
                    in.finish();
                }
                catch (final DecoderException ex)
                {
                    decoded.error = protocolError(ex);
                }
                drain(in, decoded);
            }
        }
        catch (final ProtocolException ex)
        {
            decoded.error = ex;
        }
        finally
        {
            in.finishAndReleaseAll();
        }
        return decoded;
    }

    private static ProtocolException protocolError(final DecoderException ex)
    {
        if (ex.getCause() instanceof ProtocolException protocol)
        {
            return protocol;
        }
        fail("the decoders threw something other than a ProtocolException", ex);
        return null;
    }

    private static void drain(final EmbeddedChannel in, final Decoded decoded)
    {
        for (Object o = in.readInbound(); o != null; o = in.readInbound())
        {
            decoded.packets.add((RpPacket)o);
        }
    }

    private static final class Decoded
    {
        final List<RpPacket> packets = new ArrayList<>();
        ProtocolException error;

        String describe()
        {
            final StringBuilder b = new StringBuilder();
            for (final RpPacket packet : packets)
            {
                b.append(packet.streamOffset()).append(' ').append(packet.describe()).append('\n');
            }
            return b.append(error == null ? "" : "error " + error.getMessage()).toString();
        }
    }
}
