package org.iommuemu.emulator.cosim.codec;

/**
 * A fault in the byte stream that ends the session (docs/protocol.md 9): an oversized frame, a stream that ends in the
 * middle of a packet. Carries the byte offset in the session's input stream where the packet started.
 */
public final class ProtocolException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final long streamOffset;

    public ProtocolException(final long streamOffset, final String message)
    {
        super(message);
        this.streamOffset = streamOffset;
    }

    public long streamOffset()
    {
        return streamOffset;
    }
}
