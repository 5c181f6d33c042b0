package org.iommuemu.emulator.cosim.codec;

import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import org.iommuemu.emulator.cosim.wire.RemotePort;

/**
 * The first stage of the pipeline: cuts the byte stream into packets (docs/protocol.md 2). A packet is the 20-byte
 * header and the {@code len} bytes after it; this stage emits each as one {@link ByteBuf} (a retained slice) and
 * reads nothing but {@code len}.
 * <p>
 * A {@code len} that would make a packet larger than the maximum frame size is a {@link ProtocolException} naming the
 * packet's offset in the stream: the stream cannot be resynchronised past bytes that are not read, so the handler
 * ends the session. A stream that ends inside a packet is a {@link ProtocolException} too. After either, the stage
 * discards its input.
 */
public final class RemotePortFrameDecoder extends ByteToMessageDecoder
{
    /** 20 bytes of header and 64 KiB of payload. */
    public static final int DEFAULT_MAX_FRAME = RemotePort.HEADER_LENGTH + 65536;

    private final int maxFrame;
    private long streamOffset;
    private boolean failed;

    public RemotePortFrameDecoder(final int maxFrame)
    {
        if (maxFrame < RemotePort.HEADER_LENGTH + 88)
        {
            throw new IllegalArgumentException("a maximum frame of " + maxFrame + " bytes cannot hold an ATS packet");
        }
        this.maxFrame = maxFrame;
    }

    public RemotePortFrameDecoder()
    {
        this(DEFAULT_MAX_FRAME);
    }

    /** Bytes of the stream cut into packets so far (the offset of the next packet). */
    public long streamOffset()
    {
        return streamOffset;
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        if (failed)
        {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < RemotePort.HEADER_LENGTH)
        {
            return;
        }
        final long length = in.getUnsignedInt(in.readerIndex() + RemotePort.LEN_OFFSET);
        if (length > maxFrame - RemotePort.HEADER_LENGTH)
        {
            failed = true;
            final int command = in.getInt(in.readerIndex() + RemotePort.CMD_OFFSET);
            in.skipBytes(in.readableBytes());
            throw new ProtocolException(streamOffset, RemotePort.commandName(command) + " packet at byte " + streamOffset +
                ": len (@4) " + length + " makes a " + (length + RemotePort.HEADER_LENGTH) + "-byte packet, above the maximum frame of " +
                maxFrame + " bytes");
        }
        final int frame = (int)length + RemotePort.HEADER_LENGTH;
        if (in.readableBytes() < frame)
        {
            return;
        }
        out.add(in.readRetainedSlice(frame));
        streamOffset += frame;
    }

    @Override
    protected void decodeLast(final ChannelHandlerContext ctx, final ByteBuf in, final List<Object> out)
    {
        decode(ctx, in, out);
        if (!failed && in.isReadable())
        {
            failed = true;
            final int have = in.readableBytes();
            final String need = have >= RemotePort.HEADER_LENGTH ?
                Long.toString(in.getUnsignedInt(in.readerIndex() + RemotePort.LEN_OFFSET) + RemotePort.HEADER_LENGTH) :
                "at least " + RemotePort.HEADER_LENGTH;
            final String what = have >= 4 ? RemotePort.commandName(in.getInt(in.readerIndex())) + " packet" : "packet";
            in.skipBytes(have);
            throw new ProtocolException(streamOffset, "the stream ended inside a " + what + " at byte " + streamOffset + ": " +
                have + " of " + need + " bytes arrived");
        }
    }
}
