package org.iommuemu.emulator.timing;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sorted ring of free-at cycles answers as a plain "replace the minimum" array does, in or out of order. */
class FreeAtQueueTest
{
    @Test
    void sameEarliestAsALinearScan()
    {
        for (final int size : new int[] {1, 2, 3, 16, 64, 100})
        {
            for (final int spread : new int[] {0, 5, 200, 100_000})
            {
                final FreeAtQueue queue = new FreeAtQueue(size);
                final long[] reference = new long[size];
                final SplittableRandom random = new SplittableRandom(size * 7919L + spread);
                long now = 0;
                for (int step = 0; step < 50_000; step++)
                {
                    int min = 0;
                    for (int i = 1; i < size; i++)
                    {
                        if (reference[i] < reference[min])
                        {
                            min = i;
                        }
                    }
                    assertEquals(reference[min], queue.earliest(), "size " + size + " spread " + spread + " step " + step);
                    final long[] sorted = reference.clone();
                    Arrays.sort(sorted);
                    final int k = 1 + (step % size);
                    assertEquals(sorted[k - 1], queue.earliest(k), "k-th earliest, k " + k);
                    assertEquals(sorted[size - 1], queue.latest(), "latest");
                    // As the timing model does: the new value is at least the earliest, mostly in order.
                    now += random.nextInt(3);
                    final long value = Math.max(now, reference[min]) + 19 + (spread == 0 ? 0 : random.nextInt(spread));
                    reference[min] = value;
                    queue.replaceEarliest(value);
                }
            }
        }
    }

    @Test
    void valuesBelowTheEarliestAreKeptInOrderToo()
    {
        final FreeAtQueue queue = new FreeAtQueue(4);
        queue.replaceEarliest(100);
        queue.replaceEarliest(50);
        queue.replaceEarliest(70);
        queue.replaceEarliest(60);
        assertEquals(50, queue.earliest());
        queue.replaceEarliest(10);
        assertEquals(10, queue.earliest());
        queue.replaceEarliest(200);
        assertEquals(60, queue.earliest());
        queue.replaceEarliest(200);
        assertEquals(70, queue.earliest());
        queue.replaceEarliest(200);
        assertEquals(100, queue.earliest());

        final FreeAtQueue one = new FreeAtQueue(1);
        for (int i = 0; i < 600; i++)
        {
            // One resource: whatever it is replaced by is its free-at cycle, earlier or later (the window moves too).
            final long value = i % 2 == 0 ? 1000 + i : 10 + i;
            one.replaceEarliest(value);
            assertEquals(value, one.earliest());
            assertEquals(value, one.latest());
        }
    }
    @Test
    void replacingSeveralAtOnceIsTheSameAsOneAtATime()
    {
        for (final int size : new int[] {1, 3, 16, 64})
        {
            final FreeAtQueue together = new FreeAtQueue(size);
            final FreeAtQueue apart = new FreeAtQueue(size);
            final SplittableRandom random = new SplittableRandom(size);
            long now = 0;
            for (int step = 0; step < 20_000; step++)
            {
                // Mostly in order (the fast path), sometimes behind the latest, sometimes more than the pool holds.
                now += random.nextInt(40);
                final long value = random.nextInt(8) == 0 ? now - random.nextInt(200) : now;
                final int count = 1 + random.nextInt(random.nextInt(10) == 0 ? 2 * size + 1 : Math.min(size, 4));
                together.replaceEarliest(value, count);
                for (int k = 0; k < count; k++)
                {
                    apart.replaceEarliest(value);
                }
                for (int k = 1; k <= size; k++)
                {
                    assertEquals(apart.earliest(k), together.earliest(k), "size " + size + " step " + step + " k " + k);
                }
            }
        }
    }
}
