package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;

/** INTERRUPT: a wire update (docs/protocol.md 5.1, 6.3). */
public final class Interrupt extends RpPacket
{
    private long timestamp;
    private long vector;
    private int line;
    private int value;

    public Interrupt()
    {
        super(RemotePort.CMD_INTERRUPT);
    }

    public long timestamp()
    {
        return timestamp;
    }

    public Interrupt timestamp(final long timestamp)
    {
        this.timestamp = timestamp;
        return this;
    }

    public long vector()
    {
        return vector;
    }

    public Interrupt vector(final long vector)
    {
        this.vector = vector;
        return this;
    }

    public int line()
    {
        return line;
    }

    public Interrupt line(final int line)
    {
        this.line = line;
        return this;
    }

    /** The new level, 0-255 (one byte on the wire). */
    public int value()
    {
        return value;
    }

    public Interrupt value(final int value)
    {
        this.value = value & 0xFF;
        return this;
    }

    public String describe()
    {
        return super.describe() + " vector " + vector + " line " + line + " val " + value;
    }
}
