package org.iommuemu.emulator.timing;

/**
 * The free-at cycles of a pool of identical resources (translation slots, walkers): {@link #earliest()} is the
 * earliest time one is free, and {@link #replaceEarliest} takes that one until a later time. Only the multiset
 * of values matters to the timing model, so any priority queue gives the same answers; this one keeps the
 * values sorted in a ring, which makes the common case O(1): completions mostly come in order (every IOTLB hit
 * costs the same), so the new value belongs at the end and taking the earliest is just advancing the head. An
 * out-of-order value is inserted by shifting the later ones, as an insertion sort does (a few places in
 * practice, the pool size at worst). Allocation-free.
 */
final class FreeAtQueue
{
    private final long[] ring;
    private final int size;
    /** Index in {@link #ring} of the earliest value; the values ascend from there, wrapping around. */
    private int head;
    private long waited;

    FreeAtQueue(final int size)
    {
        if (size < 1)
        {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        this.size = size;
        this.ring = new long[size];
    }

    int size()
    {
        return size;
    }

    /**
     * Take the earliest-free resource at {@code earliest} or when it is free, whichever is later, for {@code hold}
     * cycles (a lookup slot, a port beat): a pool of identical servers taken in arrival order.
     *
     * @return the cycle it was taken.
     */
    long take(final long earliest, final long hold)
    {
        final long free = ring[head];
        final long start;
        if (free > earliest)
        {
            start = free;
            waited++;
        }
        else
        {
            start = earliest;
        }
        replaceEarliest(start + hold);
        return start;
    }

    /** Times {@link #take} had to wait for a resource. */
    long waited()
    {
        return waited;
    }

    /** The earliest free-at cycle. */
    long earliest()
    {
        return ring[head];
    }

    /** The {@code k}-th earliest free-at cycle (1 is {@link #earliest()}): when {@code k} of the resources are free. */
    long earliest(final int k)
    {
        final int i = head + Math.min(k, size) - 1;
        return ring[i >= size ? i - size : i];
    }

    /** The latest free-at cycle: when every resource is free. */
    long latest()
    {
        return ring[head == 0 ? size - 1 : head - 1];
    }

    /** Replace the earliest value by {@code value}. */
    void replaceEarliest(final long value)
    {
        final long[] ring = this.ring;
        final int n = size;
        final int oldHead = head;
        // Remove the earliest: the ring's free place is now the old head, which is logically the last position.
        int newHead = oldHead + 1;
        if (newHead == n)
        {
            newHead = 0;
        }
        head = newHead;
        // The common case: the new value is the latest, it takes the freed place.
        if (ring[oldHead == 0 ? n - 1 : oldHead - 1] <= value)
        {
            ring[oldHead] = value;
            return;
        }
        int hole = oldHead;
        // Shift later values up one place until value fits (the common case: no shift at all).
        for (int moved = 1; moved < n; moved++)
        {
            final int previous = hole == 0 ? n - 1 : hole - 1;
            final long p = ring[previous];
            if (p <= value)
            {
                break;
            }
            ring[hole] = p;
            hole = previous;
        }
        ring[hole] = value;
    }
}
