package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;

/** IE_STATS: a request (no payload) or the response carrying the session's statistics as text (docs/protocol.md 7.3). */
public final class Stats extends RpPacket
{
    private String text = "";

    public Stats()
    {
        super(RemotePort.CMD_IE_STATS);
    }

    public String text()
    {
        return text;
    }

    public Stats text(final String text)
    {
        this.text = text;
        return this;
    }
}
