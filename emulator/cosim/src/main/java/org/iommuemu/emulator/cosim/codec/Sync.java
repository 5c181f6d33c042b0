package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;

/** SYNC: a timestamp (docs/protocol.md 6.4, 8). */
public final class Sync extends RpPacket
{
    private long timestamp;

    public Sync()
    {
        super(RemotePort.CMD_SYNC);
    }

    public long timestamp()
    {
        return timestamp;
    }

    public Sync timestamp(final long timestamp)
    {
        this.timestamp = timestamp;
        return this;
    }

    public String describe()
    {
        return super.describe() + " t " + timestamp;
    }
}
