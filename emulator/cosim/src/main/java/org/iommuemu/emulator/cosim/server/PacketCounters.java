package org.iommuemu.emulator.cosim.server;

import java.util.concurrent.atomic.AtomicLongArray;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.iommuemu.emulator.cosim.wire.RemotePort;

/** Packets by command, counted from any thread (the event loop counts what arrives, the model what it sends). */
final class PacketCounters
{
    private static final int[] COMMANDS = {RemotePort.CMD_NOP, RemotePort.CMD_HELLO, RemotePort.CMD_CFG, RemotePort.CMD_READ,
        RemotePort.CMD_WRITE, RemotePort.CMD_INTERRUPT, RemotePort.CMD_SYNC, RemotePort.CMD_ATS_REQ, RemotePort.CMD_ATS_INV,
        RemotePort.CMD_IE_TLP, RemotePort.CMD_IE_STATS};

    private final AtomicLongArray counts = new AtomicLongArray(COMMANDS.length + 1);

    void count(final int command)
    {
        counts.incrementAndGet(index(command));
    }

    long count(final int command, final boolean unused)
    {
        return counts.get(index(command));
    }

    /** "READ 10, WRITE 4, ..." for the commands seen; "none" when nothing was. */
    String describe()
    {
        final StringBuilder b = new StringBuilder();
        for (int i = 0; i <= COMMANDS.length; i++)
        {
            final long n = counts.get(i);
            if (n > 0)
            {
                b.append(b.length() == 0 ? "" : ", ").append(i < COMMANDS.length ? RemotePort.commandName(COMMANDS[i]) : "other")
                    .append(' ').append(n);
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    /** Counts by command name ("READ", ..., "other"), the commands seen only, for the session's JSON. */
    void putInto(final ObjectNode node)
    {
        for (int i = 0; i <= COMMANDS.length; i++)
        {
            final long n = counts.get(i);
            if (n > 0)
            {
                node.put(i < COMMANDS.length ? RemotePort.commandName(COMMANDS[i]) : "other", n);
            }
        }
    }

    private static int index(final int command)
    {
        for (int i = 0; i < COMMANDS.length; i++)
        {
            if (COMMANDS[i] == command)
            {
                return i;
            }
        }
        return COMMANDS.length;
    }
}
