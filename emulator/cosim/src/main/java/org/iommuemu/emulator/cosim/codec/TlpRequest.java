package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;

/** IE_TLP request: a TLP's exact wire bytes and the out-of-band flags (docs/protocol.md 7.2). */
public final class TlpRequest extends RpPacket
{
    private long timestamp;
    private int tlpFlags;
    private byte[] tlp = new byte[0];

    public TlpRequest()
    {
        super(RemotePort.CMD_IE_TLP);
    }

    public long timestamp()
    {
        return timestamp;
    }

    public TlpRequest timestamp(final long timestamp)
    {
        this.timestamp = timestamp;
        return this;
    }

    /** {@link TlpCommandLayout#FLAG_FLIT}, {@code FLAG_T_VALID}, {@code FLAG_T}, {@code FLAG_DOWNSTREAM}. */
    public int tlpFlags()
    {
        return tlpFlags;
    }

    public TlpRequest tlpFlags(final int flags)
    {
        this.tlpFlags = flags;
        return this;
    }

    public byte[] tlp()
    {
        return tlp;
    }

    public TlpRequest tlp(final byte[] tlp)
    {
        this.tlp = tlp.clone();
        return this;
    }

    public String describe()
    {
        return super.describe() + " tlp " + tlp.length + " bytes";
    }
}
