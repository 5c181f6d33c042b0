package org.iommuemu.emulator.timing;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bookings in any time order never put more than the capacity on a cycle, and start as early as they can. */
class SlotCalendarTest
{
    @Test
    void bookingsStartAtTheFirstCycleWithAFreeUnitForTheWholeHold()
    {
        final SlotCalendar calendar = new SlotCalendar(2);
        assertEquals(10, calendar.reserve(10, 3));
        assertEquals(10, calendar.reserve(10, 3));
        assertEquals(13, calendar.reserve(10, 3), "10-12 are full");
        assertEquals(5, calendar.reserve(5, 5), "an earlier booking fits before the full cycles");
        assertEquals(13, calendar.reserve(6, 5), "6-9 have one unit left but 10 is full: the hold slides past it");
        assertEquals(7, calendar.reserve(7, 0), "a hold of 0 books nothing");
        assertEquals(2, calendar.waited());
    }

    @Test
    void neverMoreThanTheCapacityOnACycleWhateverTheOrder()
    {
        for (final int capacity : new int[] {1, 3})
        {
            final SlotCalendar calendar = new SlotCalendar(capacity);
            final int[] load = new int[SlotCalendar.WINDOW + 8];
            final SplittableRandom random = new SplittableRandom(capacity);
            // Within the calendar's window: 200 bookings from cycles 0-299 end before cycle 1024.
            for (int i = 0; i < 200; i++)
            {
                final long earliest = random.nextInt(300);
                final int hold = 1 + random.nextInt(4);
                final long start = calendar.reserve(earliest, hold);
                assertTrue(start >= earliest);
                // As early as it can: every earlier start from the one asked for meets a full cycle.
                for (long s = earliest; s < start; s++)
                {
                    boolean blocked = false;
                    for (int k = 0; k < hold; k++)
                    {
                        blocked |= load[(int)s + k] >= capacity;
                    }
                    assertTrue(blocked, "booking " + i + " could have started at " + s + ", not " + start);
                }
                for (int k = 0; k < hold; k++)
                {
                    load[(int)start + k]++;
                }
            }
            for (final int cycles : load)
            {
                assertTrue(cycles <= capacity);
            }
        }
    }
    @Test
    void aSaturatedStreamBooksWhereTheOthersEndAsEarlyAsItCan()
    {
        // Requests arriving faster than the resource serves them, a little out of order: the bookings queue behind
        // each other (the calendar's shortcut for a full run up to its last booking), with the odd earlier gap.
        for (final int capacity : new int[] {1, 2})
        {
            final SlotCalendar calendar = new SlotCalendar(capacity);
            final int[] load = new int[4 * SlotCalendar.WINDOW];
            final SplittableRandom random = new SplittableRandom(31 + capacity);
            long waits = 0;
            for (int i = 0; i < 600; i++)
            {
                final long earliest = Math.max(0, i * 2L - random.nextInt(6));
                final int hold = 1 + random.nextInt(4 * capacity);
                final long start = calendar.reserve(earliest, hold);
                assertTrue(start >= earliest);
                waits += start != earliest ? 1 : 0;
                for (long s = earliest; s < start; s++)
                {
                    boolean blocked = false;
                    for (int k = 0; k < hold; k++)
                    {
                        blocked |= load[(int)s + k] >= capacity;
                    }
                    assertTrue(blocked, "capacity " + capacity + " booking " + i + " could have started at " + s + ", not " + start);
                }
                for (int k = 0; k < hold; k++)
                {
                    assertTrue(++load[(int)start + k] <= capacity);
                }
                assertTrue(start + hold < i * 2L + SlotCalendar.WINDOW / 2, "the test stays within the window");
            }
            assertEquals(waits, calendar.waited());
            assertTrue(waits > 400, "the stream saturates the resource: " + waits + " waits");
        }
    }
}
