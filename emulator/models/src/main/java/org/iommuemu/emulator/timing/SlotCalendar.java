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
 * cycles, each slot remembering which cycle it counts for; a booking more than a window away from the others
 * forgets theirs (the model is then optimistic for that cycle). Allocation-free.
 */
final class SlotCalendar
{
    /** Cycles the ring covers; a power of two. */
    static final int WINDOW = 1 << 13;
    private static final int MASK = WINDOW - 1;

    private final int capacity;
    private final long[] cycleOf = new long[WINDOW];
    private final int[] used = new int[WINDOW];
    private long waited;
    /**
     * A run of cycles known to be full, {@code [fullFrom, fullUntil)}: a booking asked for inside it starts its search
     * at its end, so a saturated resource (a queue of bookings) costs one step, not a scan of the queue.
     */
    private long fullFrom;
    private long fullUntil;

    SlotCalendar(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        Arrays.fill(cycleOf, Long.MIN_VALUE);
    }

    /**
     * Book one unit for {@code hold} cycles from the first cycle at or after {@code earliest} where one is free for
     * all of them; a hold of 0 books nothing.
     *
     * @return the first cycle of the booking.
     */
    long reserve(final long earliest, final int hold)
    {
        if (hold <= 0)
        {
            return earliest;
        }
        long start = earliest;
        if (start >= fullFrom && start < fullUntil)
        {
            start = fullUntil;
        }
        int d = 0;
        // Slide the window [start, start + hold) forward past every full cycle in it.
        while (d < hold)
        {
            final long cycle = start + d;
            final int i = (int)cycle & MASK;
            if (cycleOf[i] == cycle && used[i] >= capacity)
            {
                start = cycle + 1 >= fullFrom && cycle + 1 < fullUntil ? fullUntil : cycle + 1;
                d = 0;
            }
            else
            {
                d++;
            }
        }
        for (int k = 0; k < hold; k++)
        {
            final long cycle = start + k;
            final int i = (int)cycle & MASK;
            if (cycleOf[i] != cycle)
            {
                cycleOf[i] = cycle;
                used[i] = 1;
            }
            else
            {
                used[i]++;
            }
        }
        if (start != earliest)
        {
            waited++;
        }
        extendFullRun(start, hold);
        return start;
    }

    /** Keep {@code [fullFrom, fullUntil)} the run of full cycles the booking at {@code start} joined or began. */
    private void extendFullRun(final long start, final int hold)
    {
        if (start <= fullUntil && start + hold >= fullUntil && start >= fullFrom)
        {
            while (full(fullUntil))
            {
                fullUntil++;
            }
        }
        else if (full(start))
        {
            fullFrom = start;
            fullUntil = start;
            while (full(fullUntil))
            {
                fullUntil++;
            }
        }
    }

    private boolean full(final long cycle)
    {
        final int i = (int)cycle & MASK;
        return cycleOf[i] == cycle && used[i] >= capacity;
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
