package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.BusAccessLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;

/**
 * READ or WRITE, request or response, in the base or the extended layout (docs/protocol.md 6.2). {@link #data()}
 * holds the bytes of a WRITE request or a READ response (memory order); {@link #byteEnables()} the byte enables, or
 * null.
 */
public final class BusAccess extends RpPacket
{
    private static final byte[] NONE = new byte[0];

    private long timestamp;
    private long attributes;
    private long address;
    private int length;
    private int width;
    private int streamWidth;
    private long masterId;
    private byte[] data = NONE;
    private byte[] byteEnables;
    private long nextOffset;

    public BusAccess(final int command)
    {
        super(command);
        if (command != RemotePort.CMD_READ && command != RemotePort.CMD_WRITE)
        {
            throw new IllegalArgumentException("a bus access is READ or WRITE, not " + RemotePort.commandName(command));
        }
    }

    public static BusAccess read()
    {
        return new BusAccess(RemotePort.CMD_READ);
    }

    public static BusAccess write()
    {
        return new BusAccess(RemotePort.CMD_WRITE);
    }

    public boolean isRead()
    {
        return command() == RemotePort.CMD_READ;
    }

    public long timestamp()
    {
        return timestamp;
    }

    public BusAccess timestamp(final long timestamp)
    {
        this.timestamp = timestamp;
        return this;
    }

    public long attributes()
    {
        return attributes;
    }

    public BusAccess attributes(final long attributes)
    {
        this.attributes = attributes;
        return this;
    }

    /** Whether the packet uses the extended layout (attribute bit 2). */
    public boolean extended()
    {
        return (attributes & BusAccessLayout.ATTR_EXT_BASE) != 0;
    }

    public BusAccess extended(final boolean extended)
    {
        attributes = extended ? attributes | BusAccessLayout.ATTR_EXT_BASE : attributes & ~BusAccessLayout.ATTR_EXT_BASE;
        return this;
    }

    public int responseCode()
    {
        return BusAccessLayout.responseCode(attributes);
    }

    public BusAccess responseCode(final int code)
    {
        attributes = BusAccessLayout.withResponseCode(attributes, code);
        return this;
    }

    public long address()
    {
        return address;
    }

    public BusAccess address(final long address)
    {
        this.address = address;
        return this;
    }

    /** The access's length in bytes (the packet's {@code len} field, not the header's). */
    public int length()
    {
        return length;
    }

    public BusAccess length(final int length)
    {
        this.length = length;
        return this;
    }

    public int width()
    {
        return width;
    }

    public BusAccess width(final int width)
    {
        this.width = width;
        return this;
    }

    public int streamWidth()
    {
        return streamWidth;
    }

    public BusAccess streamWidth(final int streamWidth)
    {
        this.streamWidth = streamWidth;
        return this;
    }

    /** 16 bits in the base layout, 64 in the extended one. */
    public long masterId()
    {
        return masterId;
    }

    public BusAccess masterId(final long masterId)
    {
        this.masterId = masterId;
        return this;
    }

    public byte[] data()
    {
        return data;
    }

    public BusAccess data(final byte[] data)
    {
        this.data = data == null ? NONE : data;
        return this;
    }

    /**
     * The data as a register access carries its value: little-endian, the first {@code length} bytes (as many as
     * there are, when fewer).
     */
    public long dataValue(final int length)
    {
        long value = 0;
        for (int i = Math.min(length, data.length) - 1; i >= 0; i--)
        {
            value = (value << 8) | (data[i] & 0xFF);
        }
        return value;
    }

    /** Carry {@code value} as a register access does: its {@code length} low bytes, little-endian. */
    public BusAccess dataValue(final long value, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)(value >>> (8 * i));
        }
        return data(bytes);
    }

    /** The byte enables, or null when the packet has none. */
    public byte[] byteEnables()
    {
        return byteEnables;
    }

    public BusAccess byteEnables(final byte[] byteEnables)
    {
        this.byteEnables = byteEnables;
        return this;
    }

    /** The extended layout's next_offset (an extension chain; decoded, not interpreted). */
    public long nextOffset()
    {
        return nextOffset;
    }

    public BusAccess nextOffset(final long nextOffset)
    {
        this.nextOffset = nextOffset;
        return this;
    }

    /** A response to {@code request}: its fixed fields, attributes with only EXT_BASE kept and {@code code}. */
    public static BusAccess responseTo(final BusAccess request, final int code)
    {
        final BusAccess response = new BusAccess(request.command());
        response.answering(request);
        response.timestamp = request.timestamp;
        response.address = request.address;
        response.length = request.length;
        response.width = request.width;
        response.streamWidth = request.streamWidth;
        response.masterId = request.masterId;
        response.attributes = BusAccessLayout.withResponseCode(request.attributes & BusAccessLayout.ATTR_EXT_BASE, code);
        return response;
    }

    public String describe()
    {
        return super.describe() + " addr 0x" + Long.toHexString(address) + " len " + length +
            (isResponse() ? " rc " + responseCode() : "") + (extended() ? " ext" : "");
    }
}
