package org.iommuemu.emulator.cosim.client;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Guest memory kept in a {@link PhysicalMemory} (a {@code SparseMemory} in tests: the client plays QEMU, whose guest
 * driver builds its tables in the same memory), optionally limited to {@code [0, limit)}: accesses at or above it are
 * address errors, as QEMU answers for unassigned guest-physical space. Accesses are serialised on this object; the
 * owner must not change the memory while the emulator may be reading it (between sending a request and its answer).
 */
public final class PhysicalGuestMemory implements GuestMemory
{
    private final PhysicalMemory memory;
    private final long limit;
    private long reads;
    private long writes;

    public PhysicalGuestMemory(final PhysicalMemory memory, final long limit)
    {
        this.memory = memory;
        this.limit = limit;
    }

    public PhysicalGuestMemory(final PhysicalMemory memory)
    {
        this(memory, PhysicalMemory.ADDRESS_LIMIT);
    }

    public synchronized int read(final long address, final byte[] dst, final int length)
    {
        reads++;
        if (address < 0 || address + length > limit)
        {
            return 2;
        }
        memory.read(address, new UnsafeBuffer(dst), 0, length);
        return 0;
    }

    public synchronized int write(final long address, final byte[] src, final int length)
    {
        writes++;
        if (address < 0 || address + length > limit)
        {
            return 2;
        }
        memory.write(address, new UnsafeBuffer(src), 0, length);
        return 0;
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    public synchronized long reads()
    {
        return reads;
    }

    public synchronized long writes()
    {
        return writes;
    }
}
