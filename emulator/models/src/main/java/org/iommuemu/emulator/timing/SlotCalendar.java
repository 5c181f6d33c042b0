package org.iommuemu.emulator.timing;

import java.util.Arrays;

/**
 * A pool of {@code capacity} identical units that each request holds for a few cycles (a cache's lookup slots, the
 * walker's PTE request port, the IOMMU's input port), booked on a calendar of cycles: {@link #reserve} finds the
 * first cycle at or after the one asked for at which a unit is free for the whole hold, and books it.
 * <p>
 * Unlike a {@link FreeAtQueue}, the calendar takes bookings in any time order: the replay prices requests in trace
 * order, and with several devices throttled differently a later request of the trace may use the IOMMU earlier than
 * one priced before it; it still finds the cycles that one left free. The calendar is a ring of {@link #WINDOW}
 * cycles, each slot one long holding the cycle it counts for and its units in use (8 KiB, so a booking touches one
 * cache line that stays in the core's caches); a booking more than a window away from the others forgets theirs
 * (the model is then optimistic for that cycle). A run of full cycles is remembered, so a saturated resource (a
 * queue of bookings) costs one step per booking, not a scan of the queue; and so is the latest full cycle, so a
 * booking behind others but after it (a busy resource that is not full, as a cache's lookup slots under a stream of
 * hits) needs no scan either. Allocation-free.
 */
final class SlotCalendar
{
    /** Cycles the ring covers; a power of two. */
    static final int WINDOW = 1 << 10;
    /** Units a cycle can count; a larger capacity is counted as this many (255 requests in one cycle never happen). */
    static final int MAX_CAPACITY = 255;
    private static final int MASK = WINDOW - 1;
    private static final int COUNT_BITS = 8;
    private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
    /** A slot that counts for no cycle (no booked cycle has this tag). */
    private static final long EMPTY = -1L;

    private final int capacity;
    /** Per slot: (cycle << 8) | units in use. */
    private final long[] slots = new long[WINDOW];
    private long waited;
    /** A run of cycles known to be full, {@code [fullFrom, fullUntil)}. */
    private long fullFrom;
    private long fullUntil;
    /** No cycle at or after this one is booked: a booking from here on needs no look at the calendar. */
    private long frontier = Long.MIN_VALUE;
    /** No cycle after this one is full (the latest a booking filled): a booking after it fits where it asks. */
    private long lastFull = Long.MIN_VALUE;

    SlotCalendar(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = Math.min(capacity, MAX_CAPACITY);
        Arrays.fill(slots, EMPTY);
    }

    /**
     * Book one unit for {@code hold} cycles from the first cycle at or after {@code earliest} where one is free for
     * all of them; a hold of 0 books nothing.
     *
     * @return the first cycle of the booking.
     */
    long reserve(final long earliest, final int hold)
    {
        if (hold > 0)
        {
            if (earliest >= frontier)
            {
                // The common case, bookings in time order: nothing is booked from here on.
                return bookAhead(earliest, hold);
            }
            if (earliest > lastFull)
            {
                // Behind other bookings, but no cycle from here on is full: it fits where it asks.
                return bookBehind(earliest, hold);
            }
            if (earliest >= fullFrom && earliest < fullUntil && fullUntil == frontier)
            {
                // A saturated resource: every cycle from the one asked for to the last booked one is full, so the
                // booking starts where the others end (what the search below would find, without the scan).
                waited++;
                return bookAhead(fullUntil, hold);
            }
            return reserveBehind(earliest, hold);
        }
        return earliest;
    }

    /** Book {@code hold} cycles from {@code start}, at or after {@link #frontier}: no cycle from there on is booked. */
    private long bookAhead(final long start, final int hold)
    {
        for (int k = 0; k < hold; k++)
        {
            final long cycle = start + k;
            slots[(int)cycle & MASK] = (tag(cycle) << COUNT_BITS) | 1;
        }
        frontier = start + hold;
        if (capacity == 1)
        {
            // The booked cycles are full now; nothing after them is booked.
            if (start != fullUntil)
            {
                fullFrom = start;
            }
            fullUntil = start + hold;
            lastFull = fullUntil - 1;
        }
        return start;
    }

    /** A booking before the last booked cycle: search the calendar. */
    private long reserveBehind(final long earliest, final int hold)
    {
        long start = earliest >= fullFrom && earliest < fullUntil ? fullUntil : earliest;
        int d = 0;
        // Slide the window [start, start + hold) forward past every full cycle in it.
        while (d < hold)
        {
            final long cycle = start + d;
            if (used(cycle) >= capacity)
            {
                start = cycle + 1 >= fullFrom && cycle + 1 < fullUntil ? fullUntil : cycle + 1;
                d = 0;
            }
            else
            {
                d++;
            }
        }
        if (start != earliest)
        {
            waited++;
        }
        return bookBehind(start, hold);
    }

    /** Book {@code hold} cycles from {@code start}, where a unit is free on each (some may be booked already). */
    private long bookBehind(final long start, final int hold)
    {
        boolean filled = false;
        for (int k = 0; k < hold; k++)
        {
            final long cycle = start + k;
            final int i = (int)cycle & MASK;
            final long slot = slots[i];
            final int used = (slot >>> COUNT_BITS) == tag(cycle) ? (int)(slot & COUNT_MASK) + 1 : 1;
            slots[i] = (tag(cycle) << COUNT_BITS) | used;
            if (used == capacity)
            {
                filled = true;
                lastFull = Math.max(lastFull, cycle);
            }
        }
        if (filled)
        {
            extendFullRun(start, hold);
        }
        frontier = Math.max(frontier, start + hold);
        return start;
    }

    /** Units in use at {@code cycle}. */
    private int used(final long cycle)
    {
        final long slot = slots[(int)cycle & MASK];
        return (slot >>> COUNT_BITS) == tag(cycle) ? (int)(slot & COUNT_MASK) : 0;
    }

    private static long tag(final long cycle)
    {
        return cycle & (-1L >>> COUNT_BITS);
    }

    /** A booking at {@code start} filled a cycle: keep {@code [fullFrom, fullUntil)} the run of full cycles it joined or began. */
    private void extendFullRun(final long start, final int hold)
    {
        if (start >= fullFrom && start <= fullUntil && start + hold >= fullUntil)
        {
            while (used(fullUntil) >= capacity)
            {
                fullUntil++;
            }
        }
        else if (used(start) >= capacity)
        {
            fullFrom = start;
            fullUntil = start;
            while (used(fullUntil) >= capacity)
            {
                fullUntil++;
            }
        }
    }

    /** Bookings that could not start at the cycle asked for. */
    long waited()
    {
        return waited;
    }

    int capacity()
    {
        return capacity;
    }
}
