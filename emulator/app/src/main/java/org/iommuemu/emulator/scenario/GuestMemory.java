package org.iommuemu.emulator.scenario;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A guest's view of its own RAM: guest-physical addresses, each access translated to host physical through the
 * second-stage table that maps the guest ({@link PageTable#translate}, the hypervisor's mapping, read at every
 * access so later changes to it show). The guest-side driver model builds a nested first stage over it: the table
 * pages it allocates and the entries it writes are GPAs, stored where the second stage puts them in host memory, as
 * a guest kernel's page-table code does. Not for the request path: the IOMMU's nested walk has its own view.
 * <p>
 * A GPA the second stage does not map is a scenario mistake (the guest has no such RAM): {@link UnmappedGuestMemory}.
 */
final class GuestMemory implements PhysicalMemory
{
    /** A guest-physical address with no host page behind it. */
    static final class UnmappedGuestMemory extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        UnmappedGuestMemory(final long gpa, final int secondStageDomain)
        {
            super(String.format("GPA 0x%x is not mapped by second-stage domain %d", gpa, secondStageDomain));
        }
    }

    private final PhysicalMemory host;
    private final PageTable secondStage;
    private final int secondStageDomain;
    private final WalkResult walk = new WalkResult();

    GuestMemory(final PhysicalMemory host, final PageTable secondStage, final int secondStageDomain)
    {
        this.host = host;
        this.secondStage = secondStage;
        this.secondStageDomain = secondStageDomain;
    }

    /** The host physical address of {@code gpa}. */
    long hostAddress(final long gpa)
    {
        if (!secondStage.translate(gpa, 0, walk))
        {
            throw new UnmappedGuestMemory(gpa, secondStageDomain);
        }
        return walk.outputAddress();
    }

    public long readEntry(final long address)
    {
        return host.readEntry(hostAddress(address));
    }

    public void writeEntry(final long address, final long value)
    {
        host.writeEntry(hostAddress(address), value);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        // The run stays inside one 4 KiB frame (PhysicalMemory's contract), so one translation serves it.
        host.writeEntries(hostAddress(address), count, firstValue, increment, stride);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        int done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, FRAME_SIZE - (at & (FRAME_SIZE - 1)));
            host.read(hostAddress(at), dst, dstOffset + done, chunk);
            done += chunk;
        }
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        int done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, FRAME_SIZE - (at & (FRAME_SIZE - 1)));
            host.write(hostAddress(at), src, srcOffset + done, chunk);
            done += chunk;
        }
    }

    public void zero(final long address, final long length)
    {
        long done = 0;
        while (done < length)
        {
            final long at = address + done;
            final long chunk = Math.min(length - done, FRAME_SIZE - (at & (FRAME_SIZE - 1)));
            host.zero(hostAddress(at), chunk);
            done += chunk;
        }
    }

    public MemoryAccessListener listener()
    {
        return host.listener();
    }

    public void listener(final MemoryAccessListener listener)
    {
        throw new UnsupportedOperationException("a guest view shares its host memory's listener");
    }

    public long residentFrames()
    {
        return host.residentFrames();
    }
}
