package org.iommuemu.emulator.cosim.memory;

import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The physical memory a co-simulated platform sees (docs/protocol.md 5): the emulator's own ranges (the RMP, the TDX
 * module's pools; {@code Platform.emulatorRanges}) in local memory, the peer's shared guest-RAM ranges mapped
 * ({@link SharedFileMemory}, optional), and everything else through the fallback, the peer's memory over the socket
 * ({@link RemoteMemory}). Entries never straddle two backings (all boundaries are 4 KiB aligned); bulk accesses are
 * split at the boundaries. Each backing reports its own accesses to the one listener set here.
 */
public final class RoutedMemory implements PhysicalMemory
{
    private final PhysicalMemory local;
    private final long[] localStart;
    private final long[] localEnd;
    private final SharedFileMemory shared;
    private final PhysicalMemory fallback;
    private MemoryAccessListener listener = MemoryAccessListener.NONE;
    /** Accesses routed to the peer's memory, shared or over the socket (split bulk accesses count each piece). */
    private long guestAccesses;

    /**
     * @param localRanges {start, end} pairs kept in {@code local}, 4 KiB aligned.
     * @param shared      the peer's mapped guest RAM, or null.
     * @param fallback    where every other address goes.
     */
    public RoutedMemory(final PhysicalMemory local, final List<long[]> localRanges, final SharedFileMemory shared,
        final PhysicalMemory fallback)
    {
        this.local = local;
        this.localStart = new long[localRanges.size()];
        this.localEnd = new long[localRanges.size()];
        for (int i = 0; i < localStart.length; i++)
        {
            final long[] range = localRanges.get(i);
            if (((range[0] | range[1]) & (FRAME_SIZE - 1)) != 0 || range[1] <= range[0])
            {
                throw new IllegalArgumentException("local range 0x" + Long.toHexString(range[0]) + "-0x" + Long.toHexString(range[1]) +
                    " is empty or not 4 KiB aligned");
            }
            localStart[i] = range[0];
            localEnd[i] = range[1];
        }
        this.shared = shared;
        this.fallback = fallback;
    }

    /** The backing of an access to {@code address}, counted as a guest-memory access when it is not local. */
    private PhysicalMemory backing(final long address)
    {
        final PhysicalMemory b = route(address);
        if (b != local)
        {
            guestAccesses++;
        }
        return b;
    }

    private PhysicalMemory route(final long address)
    {
        for (int i = 0; i < localStart.length; i++)
        {
            if (address >= localStart[i] && address < localEnd[i])
            {
                return local;
            }
        }
        if (shared != null && shared.pieceEnd(address) >= 0)
        {
            return shared;
        }
        return fallback;
    }

    /**
     * How many accesses went to the peer's guest memory, shared or remote, so far: while it stays the same, nothing
     * the model did depended on memory the peer can change.
     */
    public long guestAccesses()
    {
        return guestAccesses;
    }

    /** Where the backing that holds {@code address} stops holding the addresses after it. */
    private long segmentEnd(final long address)
    {
        long end = ADDRESS_LIMIT;
        for (int i = 0; i < localStart.length; i++)
        {
            if (address >= localStart[i] && address < localEnd[i])
            {
                return localEnd[i];
            }
            if (localStart[i] > address)
            {
                end = Math.min(end, localStart[i]);
            }
        }
        if (shared != null)
        {
            final long pieceEnd = shared.pieceEnd(address);
            if (pieceEnd >= 0)
            {
                return Math.min(end, pieceEnd);
            }
            final long next = shared.nextPieceStart(address);
            if (next >= 0)
            {
                end = Math.min(end, next);
            }
        }
        return end;
    }

    /** Which backing serves {@code address}: "local", "shared" or "peer" (for statistics and tests). */
    public String backingName(final long address)
    {
        final PhysicalMemory b = route(address);
        return b == local ? "local" : b == shared ? "shared" : "peer";
    }

    public long readEntry(final long address)
    {
        return backing(address).readEntry(address);
    }

    public void writeEntry(final long address, final long value)
    {
        backing(address).writeEntry(address, value);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        backing(address).writeEntries(address, count, firstValue, increment, stride);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        int done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, segmentEnd(at) - at);
            backing(at).read(at, dst, dstOffset + done, chunk);
            done += chunk;
        }
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        int done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, segmentEnd(at) - at);
            backing(at).write(at, src, srcOffset + done, chunk);
            done += chunk;
        }
    }

    public void zero(final long address, final long length)
    {
        PhysicalMemory.checkRange(address, length);
        long done = 0;
        while (done < length)
        {
            final long at = address + done;
            final long chunk = Math.min(length - done, segmentEnd(at) - at);
            backing(at).zero(at, chunk);
            done += chunk;
        }
    }

    public MemoryAccessListener listener()
    {
        return listener;
    }

    public void listener(final MemoryAccessListener listener)
    {
        this.listener = listener == null ? MemoryAccessListener.NONE : listener;
        local.listener(this.listener);
        fallback.listener(this.listener);
        if (shared != null)
        {
            shared.listener(this.listener);
        }
    }

    public long residentFrames()
    {
        return local.residentFrames() + (shared == null ? 0 : shared.residentFrames());
    }
}
