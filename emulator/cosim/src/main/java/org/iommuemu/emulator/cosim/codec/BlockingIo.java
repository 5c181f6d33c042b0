package org.iommuemu.emulator.cosim.codec;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.iommuemu.emulator.cosim.wire.RemotePort;

/**
 * Packets over a plain blocking stream, for peers without an event loop (the load benchmark's blocking peer, the
 * fault tests' raw peer): one packet written and flushed, one packet read whole and decoded.
 */
public final class BlockingIo
{
    /** Larger packets than this are refused by {@link #receive} (a server never sends one). */
    public static final int MAX_PAYLOAD = 1 << 20;

    private BlockingIo()
    {
    }

    /** Encode {@code packet} and write it to {@code out}, flushed. */
    public static void send(final RpPacket packet, final OutputStream out) throws IOException
    {
        final ByteBuf buf = Unpooled.buffer();
        RemotePortEncoder.encode(packet, buf);
        final byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        out.write(bytes);
        out.flush();
    }

    /** The next packet of {@code in}, its bytes as they arrived (header included). */
    public static byte[] receiveBytes(final DataInputStream in) throws IOException
    {
        final byte[] header = new byte[RemotePort.HEADER_LENGTH];
        in.readFully(header);
        final int length = ((header[4] & 0xFF) << 24) | ((header[5] & 0xFF) << 16) | ((header[6] & 0xFF) << 8) | (header[7] & 0xFF);
        if (length < 0 || length > MAX_PAYLOAD)
        {
            throw new IOException("a packet of " + Integer.toUnsignedString(length) + " bytes");
        }
        final byte[] packet = new byte[RemotePort.HEADER_LENGTH + length];
        System.arraycopy(header, 0, packet, 0, header.length);
        in.readFully(packet, header.length, length);
        return packet;
    }

    /** The next packet of {@code in}, decoded; {@code streamOffset}: where it starts in the stream (for messages). */
    public static RpPacket receive(final DataInputStream in, final long streamOffset) throws IOException
    {
        return RemotePortMessageDecoder.decode(Unpooled.wrappedBuffer(receiveBytes(in)), streamOffset);
    }
}
