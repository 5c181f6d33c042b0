package org.iommuemu.emulator.replay;

/**
 * Per-interval counters over the trace in a fixed number of buckets, whatever the trace's length: buckets cover
 * {@code width} TLPs each, and when they run out, neighbours merge pairwise and the width doubles. Memory stays
 * constant for a 100-million-TLP replay; nothing allocates per TLP.
 */
public final class TimeSeries
{
    private final int capacity;
    private final long[] firstIndex;
    private final long[] dma;
    private final long[] hits;
    private final long[] faults;
    private final long[] latencySum;
    private final long[] tableBytes;
    private final long[] endCycle;
    private long width = 1;
    private int used;
    private long inBucket;

    public TimeSeries(final int capacity)
    {
        if (capacity < 2 || (capacity & 1) != 0)
        {
            throw new IllegalArgumentException("capacity must be even and at least 2: " + capacity);
        }
        this.capacity = capacity;
        firstIndex = new long[capacity];
        dma = new long[capacity];
        hits = new long[capacity];
        faults = new long[capacity];
        latencySum = new long[capacity];
        tableBytes = new long[capacity];
        endCycle = new long[capacity];
    }

    /** Count one TLP (index in trace order). */
    public void record(final long index, final boolean isDma, final boolean hit, final boolean fault, final long latency,
        final long pageTableBytes, final long cycle)
    {
        if (used == 0 || inBucket == width)
        {
            if (used == capacity)
            {
                compact();
            }
            if (used == 0 || inBucket == width)
            {
                firstIndex[used] = index;
                used++;
                inBucket = 0;
            }
        }
        final int b = used - 1;
        inBucket++;
        if (isDma)
        {
            dma[b]++;
            hits[b] += hit ? 1 : 0;
            faults[b] += fault ? 1 : 0;
            latencySum[b] += latency;
        }
        tableBytes[b] = pageTableBytes;
        endCycle[b] = Math.max(endCycle[b], cycle);
    }

    private void compact()
    {
        for (int i = 0; i < capacity / 2; i++)
        {
            final int a = 2 * i;
            final int c = a + 1;
            firstIndex[i] = firstIndex[a];
            dma[i] = dma[a] + dma[c];
            hits[i] = hits[a] + hits[c];
            faults[i] = faults[a] + faults[c];
            latencySum[i] = latencySum[a] + latencySum[c];
            tableBytes[i] = tableBytes[c];
            endCycle[i] = Math.max(endCycle[a], endCycle[c]);
        }
        for (int i = capacity / 2; i < capacity; i++)
        {
            firstIndex[i] = dma[i] = hits[i] = faults[i] = latencySum[i] = tableBytes[i] = endCycle[i] = 0;
        }
        used = capacity / 2;
        width *= 2;
        inBucket = width; // the last merged bucket is full
    }

    public int buckets()
    {
        return used;
    }

    public long firstIndex(final int bucket)
    {
        return firstIndex[bucket];
    }

    public long dma(final int bucket)
    {
        return dma[bucket];
    }

    public long hits(final int bucket)
    {
        return hits[bucket];
    }

    public long faults(final int bucket)
    {
        return faults[bucket];
    }

    public double meanLatency(final int bucket)
    {
        return dma[bucket] == 0 ? 0 : (double)latencySum[bucket] / dma[bucket];
    }

    public long pageTableBytes(final int bucket)
    {
        return tableBytes[bucket];
    }

    public long endCycle(final int bucket)
    {
        return endCycle[bucket];
    }

    /** TLPs per bucket now. */
    public long width()
    {
        return width;
    }
}
