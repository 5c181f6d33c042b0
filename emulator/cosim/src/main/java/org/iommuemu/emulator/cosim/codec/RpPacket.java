package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;

/**
 * One remote-port packet, decoded ({@link RemotePortMessageDecoder}) or to be encoded ({@link RemotePortEncoder}):
 * the header fields every packet has; the subclasses hold each command's fields. For a decoded packet,
 * {@link #streamOffset()} is where it started in the session's input stream (what error messages cite).
 */
public abstract class RpPacket
{
    private int command;
    private int id;
    private int flags;
    private int dev;
    private long streamOffset = -1;

    protected RpPacket(final int command)
    {
        this.command = command;
    }

    public int command()
    {
        return command;
    }

    public RpPacket command(final int command)
    {
        this.command = command;
        return this;
    }

    public int id()
    {
        return id;
    }

    public RpPacket id(final int id)
    {
        this.id = id;
        return this;
    }

    public int flags()
    {
        return flags;
    }

    public RpPacket flags(final int flags)
    {
        this.flags = flags;
        return this;
    }

    public int dev()
    {
        return dev;
    }

    public RpPacket dev(final int dev)
    {
        this.dev = dev;
        return this;
    }

    /** Byte offset of the packet in its input stream, or -1 for a packet not decoded from one. */
    public long streamOffset()
    {
        return streamOffset;
    }

    public RpPacket streamOffset(final long offset)
    {
        this.streamOffset = offset;
        return this;
    }

    public boolean isResponse()
    {
        return (flags & RemotePort.FLAG_RESPONSE) != 0;
    }

    public boolean isPosted()
    {
        return (flags & RemotePort.FLAG_POSTED) != 0;
    }

    /** Header fields of a response to {@code request}: its command, id and dev, its flags plus RESPONSE. */
    public RpPacket answering(final RpPacket request)
    {
        command = request.command;
        id = request.id;
        dev = request.dev;
        flags = request.flags | RemotePort.FLAG_RESPONSE;
        return this;
    }

    /** "READ id 7 dev 1 at byte 1234", for logs. */
    public String describe()
    {
        return RemotePort.commandName(command) + (isResponse() ? " response" : "") + " id " + Integer.toUnsignedString(id) +
            " dev " + Integer.toUnsignedString(dev) + (streamOffset >= 0 ? " at byte " + streamOffset : "");
    }

    public String toString()
    {
        return describe();
    }
}
