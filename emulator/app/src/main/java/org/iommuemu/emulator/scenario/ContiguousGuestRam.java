package org.iommuemu.emulator.scenario;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A guest's view of a range of its RAM that the host maps contiguously: GPA + offset = SPA. A guest builds its own
 * page tables through it (their pointers are GPAs), as a nested AMD-Vi guest table's pages are ({@code amdvi}
 * section); the caller checks that the range is contiguous in host memory.
 */
final class ContiguousGuestRam implements PhysicalMemory
{
    private final PhysicalMemory host;
    private final long offset;

    ContiguousGuestRam(final PhysicalMemory host, final long offset)
    {
        this.host = host;
        this.offset = offset;
    }

    @Override
    public long readEntry(final long address)
    {
        return host.readEntry(address + offset);
    }

    @Override
    public void writeEntry(final long address, final long value)
    {
        host.writeEntry(address + offset, value);
    }

    @Override
    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        host.writeEntries(address + offset, count, firstValue, increment, stride);
    }

    @Override
    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        host.read(address + offset, dst, dstOffset, length);
    }

    @Override
    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        host.write(address + offset, src, srcOffset, length);
    }

    @Override
    public void zero(final long address, final long length)
    {
        host.zero(address + offset, length);
    }

    @Override
    public MemoryAccessListener listener()
    {
        return host.listener();
    }

    @Override
    public void listener(final MemoryAccessListener listener)
    {
        host.listener(listener);
    }

    @Override
    public long residentFrames()
    {
        return host.residentFrames();
    }
}
