package org.iommuemu.emulator.amdvi;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A guest's physical memory for building its page tables in tests: GPA {@code g} is system address
 * {@code g + offset}, the linear mapping the test's host (v1) table also installs. A guest table built over
 * this view holds GPAs, as a guest kernel's tables do.
 */
final class GuestPhysicalMemory implements PhysicalMemory
{
    private final PhysicalMemory system;
    private final long offset;

    GuestPhysicalMemory(final PhysicalMemory system, final long offset)
    {
        this.system = system;
        this.offset = offset;
    }

    public long readEntry(final long address)
    {
        return system.readEntry(address + offset);
    }

    public void writeEntry(final long address, final long value)
    {
        system.writeEntry(address + offset, value);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        system.writeEntries(address + offset, count, firstValue, increment, stride);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        system.read(address + offset, dst, dstOffset, length);
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        system.write(address + offset, src, srcOffset, length);
    }

    public void zero(final long address, final long length)
    {
        system.zero(address + offset, length);
    }

    public MemoryAccessListener listener()
    {
        return system.listener();
    }

    public void listener(final MemoryAccessListener listener)
    {
        system.listener(listener);
    }

    public long residentFrames()
    {
        return system.residentFrames();
    }
}
