package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.RemotePort;

/** NOP, or CFG (defined by remote-port 4.3 and unimplemented there): packets the server accepts and ignores. */
public final class Control extends RpPacket
{
    private int option;
    private int set;

    public Control(final int command)
    {
        super(command);
        if (command != RemotePort.CMD_NOP && command != RemotePort.CMD_CFG)
        {
            throw new IllegalArgumentException("NOP or CFG, not " + RemotePort.commandName(command));
        }
    }

    /** CFG's option (0 = quantum). */
    public int option()
    {
        return option;
    }

    public int set()
    {
        return set;
    }

    public Control cfg(final int option, final int set)
    {
        this.option = option;
        this.set = set & 0xFF;
        return this;
    }
}
