package org.iommuemu.emulator.timing;

/**
 * The free-at cycles of a pool of identical resources (translation slots, walkers): {@link #earliest()} is the
 * earliest time one is free, and {@link #replaceEarliest} takes that one until a later time. Only the multiset
 * of values matters to the timing model, so any priority queue gives the same answers; this one keeps the
 * values sorted in a window of an array that slides forward, which makes the common case O(1): completions mostly
 * come in order (every IOTLB hit costs the same), so the new value belongs at the end and taking the earliest is
 * just advancing the window (no wrap-around to test, unlike a ring). An out-of-order value (a hit completing before
 * the walks of earlier misses) is put in its place by shifting the later values up one place each, as an insertion
 * sort does (a few places in practice, the pool size at worst); when the window reaches the end of the array it is
 * moved back to the start, once every {@code max(size, 256)} replacements. Allocation-free.
 */
final class FreeAtQueue
{
    /** Replacements at least between two moves of the window (a small pool would otherwise move every few). */
    private static final int SLIDE = 256;
    private final long[] values;
    private final int size;
    /** Index in {@link #values} of the earliest value; the values ascend from there for {@link #size} places. */
    private int head;
    private long waited;

    FreeAtQueue(final int size)
    {
        if (size < 1)
        {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
        this.size = size;
        this.values = new long[size + Math.max(size, SLIDE)];
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
        final long free = values[head];
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
        return values[head];
    }

    /** The {@code k}-th earliest free-at cycle (1 is {@link #earliest()}): when {@code k} of the resources are free. */
    long earliest(final int k)
    {
        return values[head + Math.min(k, size) - 1];
    }

    /** The value {@code offset} places after the earliest ({@code 0 <= offset < size}; 0 is {@link #earliest()}). */
    long at(final int offset)
    {
        return values[head + offset];
    }

    /**
     * Become the pool whose values are the latest {@link #size} of {@code other}'s (which holds at least as many): what
     * this pool would hold had it been given every value {@code other} was given (each pool keeps the latest
     * {@code size} values it was given when each new value is at least its earliest, as the timing model's are).
     */
    void copyLatest(final FreeAtQueue other)
    {
        if (other.size < size)
        {
            throw new IllegalArgumentException("a pool of " + size + " from one of " + other.size);
        }
        System.arraycopy(other.values, other.head + other.size - size, values, 0, size);
        head = 0;
    }

    /** The latest free-at cycle: when every resource is free. */
    long latest()
    {
        return values[head + size - 1];
    }

    /**
     * Replace the {@code count} earliest values by {@code value} each (a read's completion-buffer units, released
     * together): the same as {@code count} calls of {@link #replaceEarliest(long)}, in one pass when {@code value}
     * is the latest.
     */
    void replaceEarliest(final long value, final int count)
    {
        if (count <= size && latest() <= value)
        {
            // Each call would drop the earliest and append value: the window advances count places.
            if (head + size + count > values.length)
            {
                compact();
            }
            final int end = head + size;
            for (int k = 0; k < count; k++)
            {
                values[end + k] = value;
            }
            head += count;
            return;
        }
        for (int k = 0; k < count; k++)
        {
            replaceEarliest(value);
        }
    }

    /** Replace the earliest value by {@code value}. */
    void replaceEarliest(final long value)
    {
        final long[] values = this.values;
        if (head + size == values.length)
        {
            compact();
        }
        final int end = head + size;
        // Drop the earliest: the window is now [head + 1, end], its last place free.
        head++;
        if (values[end - 1] <= value)
        {
            // The common case: the new value is the latest.
            values[end] = value;
            return;
        }
        // Out of order: shift the later values up one place until value fits, as an insertion sort does. Completions
        // out of order are mostly only a few places out (about five on average in a replay of 4 KiB misses), where
        // this beats a binary search and a block move. (With one resource the window is empty: value just goes in.)
        int i = end - 1;
        while (i >= head && values[i] > value)
        {
            values[i + 1] = values[i];
            i--;
        }
        values[i + 1] = value;
    }

    /** Move the window back to the start of the array. */
    private void compact()
    {
        System.arraycopy(values, head, values, 0, size);
        head = 0;
    }
}
