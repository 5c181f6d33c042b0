package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;

/** ATS_REQ or ATS_INV, request or response (docs/protocol.md 6.5, 7.1). */
public final class Ats extends RpPacket
{
    private long timestamp;
    private long attributes;
    private long address;
    private long length;
    private int result;
    private final long[] reserved = new long[AtsLayout.RESERVED_COUNT];

    public Ats(final int command)
    {
        super(command);
        if (command != RemotePort.CMD_ATS_REQ && command != RemotePort.CMD_ATS_INV)
        {
            throw new IllegalArgumentException("ATS_REQ or ATS_INV, not " + RemotePort.commandName(command));
        }
    }

    public static Ats request()
    {
        return new Ats(RemotePort.CMD_ATS_REQ);
    }

    public static Ats invalidation()
    {
        return new Ats(RemotePort.CMD_ATS_INV);
    }

    public long timestamp()
    {
        return timestamp;
    }

    public Ats timestamp(final long timestamp)
    {
        this.timestamp = timestamp;
        return this;
    }

    /** Bit 0 exec, bit 1 read, bit 2 write. */
    public long attributes()
    {
        return attributes;
    }

    public Ats attributes(final long attributes)
    {
        this.attributes = attributes;
        return this;
    }

    public long address()
    {
        return address;
    }

    public Ats address(final long address)
    {
        this.address = address;
        return this;
    }

    public long length()
    {
        return length;
    }

    public Ats length(final long length)
    {
        this.length = length;
        return this;
    }

    /** 0 ok, 1 error (u32 on the wire). */
    public int result()
    {
        return result;
    }

    public Ats result(final int result)
    {
        this.result = result;
        return this;
    }

    public long reserved(final int index)
    {
        return reserved[index];
    }

    public Ats reserved(final int index, final long value)
    {
        reserved[index] = value;
        return this;
    }

    public String describe()
    {
        return super.describe() + " addr 0x" + Long.toHexString(address) + " len 0x" + Long.toHexString(length) +
            " attr " + attributes + (isResponse() ? " result " + result : "");
    }
}
