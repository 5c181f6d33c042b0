package org.iommuemu.emulator.cli.offline;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/** A guest's view of host memory at a fixed offset (GPA + offset = HPA), for building tables at GPAs (nested translation). */
final class OffsetMemory implements PhysicalMemory
{
    private final PhysicalMemory host;
    private final long offset;

    OffsetMemory(final PhysicalMemory host, final long offset)
    {
        this.host = host;
        this.offset = offset;
    }

    public long readEntry(final long address)
    {
        return host.readEntry(address + offset);
    }

    public void writeEntry(final long address, final long value)
    {
        host.writeEntry(address + offset, value);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        host.writeEntries(address + offset, count, firstValue, increment, stride);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        host.read(address + offset, dst, dstOffset, length);
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        host.write(address + offset, src, srcOffset, length);
    }

    public void zero(final long address, final long length)
    {
        host.zero(address + offset, length);
    }

    public MemoryAccessListener listener()
    {
        return host.listener();
    }

    public void listener(final MemoryAccessListener listener)
    {
        host.listener(listener);
    }

    public long residentFrames()
    {
        return host.residentFrames();
    }
}
