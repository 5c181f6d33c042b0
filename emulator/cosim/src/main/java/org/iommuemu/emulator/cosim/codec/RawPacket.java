package org.iommuemu.emulator.cosim.codec;

/**
 * Bytes sent as they are, header included: how tests and the client's fault injection put malformed packets on the
 * wire through the same encoder.
 */
public final class RawPacket extends RpPacket
{
    private final byte[] bytes;

    public RawPacket(final byte[] bytes)
    {
        super(-1);
        this.bytes = bytes.clone();
    }

    public byte[] bytes()
    {
        return bytes;
    }

    public String describe()
    {
        return "raw " + bytes.length + " bytes";
    }
}
