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
    }
}
