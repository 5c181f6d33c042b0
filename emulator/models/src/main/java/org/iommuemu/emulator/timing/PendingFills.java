package org.iommuemu.emulator.timing;

/**
 * The IOTLB fills still in flight, for gem5's 4 KiB duplicate-miss hazard (timing-perf.md 1.2): per (requester,
 * 4 KiB page), the cycle the walk that fills the IOTLB for it ends and what that walk cost. The functional model
 * handles requests one at a time, so a second request to a page being walked finds the IOTLB already filled;
 * this table tells the timing model that in time the fill was not there yet. Direct mapped: a newer walk that
 * maps to the same entry replaces the older one (a hazard is then missed, the model is optimistic).
 * Allocation-free.
 */
final class PendingFills
{
    private static final int ENTRIES = 1 << 10;
    private static final int MASK = ENTRIES - 1;

    /** Per entry, side by side (one cache line): the key, the cycle the walk ends, what it cost. */
    private final long[] entries = new long[ENTRIES * 4];
    private int index;
    /** The latest end of any walk recorded: a lookup after it finds nothing pending without a look at the table. */
    private long latest = Long.MIN_VALUE;

    PendingFills()
    {
        for (int i = 0; i < ENTRIES; i++)
        {
            entries[i * 4] = -1L;
        }
    }

    /** Remember that the walk for {@code address} of {@code requesterId} ends at {@code cycle} after {@code cost} cycles. */
    void walked(final int requesterId, final long address, final long cycle, final long cost)
    {
        final long key = key(requesterId, address);
        final int i = slot(key) << 2;
        entries[i] = key;
        entries[i + 1] = cycle;
        entries[i + 2] = cost;
        latest = Math.max(latest, cycle);
    }

    /**
     * Whether a walk for the page of {@code address} ends after {@code cycle}; {@link #filledAt()} and
     * {@link #walkCycles()} then describe it.
     */
    boolean pendingAfter(final int requesterId, final long address, final long cycle)
    {
        if (cycle >= latest)
        {
            return false;
        }
        final long key = key(requesterId, address);
        final int i = slot(key) << 2;
        index = i;
        return entries[i] == key && entries[i + 1] > cycle;
    }

    long filledAt()
    {
        return entries[index + 1];
    }

    long walkCycles()
    {
        return entries[index + 2];
    }

    private static long key(final int requesterId, final long address)
    {
        return ((long)(requesterId & 0xFFFF) << 48) ^ (address >>> 12);
    }

    private static int slot(final long key)
    {
        final long h = key * 0x9E37_79B9_7F4A_7C15L;
        return (int)(h >>> 40) & MASK;
    }
}
