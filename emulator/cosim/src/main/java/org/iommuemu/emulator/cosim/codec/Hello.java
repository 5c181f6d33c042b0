package org.iommuemu.emulator.cosim.codec;

import java.util.Arrays;

import org.iommuemu.emulator.cosim.wire.RemotePort;

/** HELLO: the version and the capabilities of the side that sends it (docs/protocol.md 3, 6.1). */
public final class Hello extends RpPacket
{
    private int major = RemotePort.VERSION_MAJOR;
    private int minor = RemotePort.VERSION_MINOR;
    private int[] capabilities = new int[0];

    public Hello()
    {
        super(RemotePort.CMD_HELLO);
    }

    public int major()
    {
        return major;
    }

    public int minor()
    {
        return minor;
    }

    public Hello version(final int major, final int minor)
    {
        this.major = major;
        this.minor = minor;
        return this;
    }

    public int[] capabilities()
    {
        return capabilities;
    }

    public Hello capabilities(final int... capabilities)
    {
        this.capabilities = capabilities.clone();
        return this;
    }

    public boolean has(final int capability)
    {
        for (final int c : capabilities)
        {
            if (c == capability)
            {
                return true;
            }
        }
        return false;
    }

    public String describe()
    {
        final StringBuilder caps = new StringBuilder();
        for (final int c : capabilities)
        {
            caps.append(caps.length() == 0 ? "" : ",").append(RemotePort.capabilityName(c));
        }
        return super.describe() + " version " + major + "." + minor + " caps [" + caps + "]";
    }

    public boolean equalsContent(final Hello other)
    {
        return major == other.major && minor == other.minor && Arrays.equals(capabilities, other.capabilities);
    }
}
