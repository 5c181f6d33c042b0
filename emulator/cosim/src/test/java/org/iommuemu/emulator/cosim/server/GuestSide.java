package org.iommuemu.emulator.cosim.server;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.GuestMemory;
import org.iommuemu.emulator.cosim.client.PhysicalGuestMemory;
import org.iommuemu.emulator.cosim.client.RemoteIommuPort;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client playing QEMU: guest RAM in a {@link SparseMemory} served to the server, the server's IOMMU as a
 * {@link RemoteIommuPort} for the guest's driver, and every event the guest sees in order (guest-memory writes by
 * the emulator, interrupts, ATS invalidations), as one list the tests check the order of.
 */
public final class GuestSide implements AutoCloseable
{
    private static final Pattern INLINE = Pattern.compile("ATS_REQs answered by the network thread: (\\d+)");

    public final SparseMemory memory = new SparseMemory();
    public final List<String> events = new CopyOnWriteArrayList<>();
    public final CosimClient client;
    public final RemoteIommuPort port;

    public GuestSide(final Loopback loop, final int blockSize) throws Exception
    {
        this(loop, blockSize, new CosimClient.Options());
    }

    public GuestSide(final Loopback loop, final int blockSize, final CosimClient.Options options) throws Exception
    {
        final PhysicalGuestMemory served = new PhysicalGuestMemory(memory);
        options.memory = new GuestMemory()
        {
            public int read(final long address, final byte[] dst, final int length)
            {
                return served.read(address, dst, length);
            }

            public int write(final long address, final byte[] src, final int length)
            {
                events.add(String.format("write 0x%x+%d", address, length));
                return served.write(address, src, length);
            }
        };
        options.onInterrupt = i -> events.add("interrupt line " + i.line() + " val " + i.value());
        options.onInvalidation = a -> events.add(String.format("ats_inv 0x%x+0x%x", a.address(), a.length()));
        client = loop.client(options);
        port = new RemoteIommuPort(client, 0, blockSize);
    }

    /** The session's count of ATS_REQs its network thread answered, from its statistics (IE_STATS). */
    public long inlineAnswers()
    {
        final String stats = client.stats();
        final Matcher m = INLINE.matcher(stats);
        assertTrue(m.find(), stats);
        return Long.parseLong(m.group(1));
    }

    /** Events so far, then forget them. */
    public List<String> takeEvents()
    {
        final List<String> copy = List.copyOf(events);
        events.clear();
        return copy;
    }

    @Override
    public void close()
    {
        client.close();
    }
}
