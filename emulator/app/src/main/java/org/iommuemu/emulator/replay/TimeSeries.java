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
    /**
     * The open bucket ({@code used - 1}) is counted in these fields, not in the arrays: one TLP then updates
     * fields of this object rather than six arrays. {@link #flush} copies them into the arrays before the
     * bucket is closed, merged or read.
     */
    private long openDma;
    private long openHits;
    private long openFaults;
    private long openLatencySum;
    private long openTableBytes;
    private long openEndCycle;

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
        if (inBucket == width || used == 0)
        {
            openBucket(index);
        }
        inBucket++;
        if (isDma)
        {
            openDma++;
            openHits += hit ? 1 : 0;
            openFaults += fault ? 1 : 0;
            openLatencySum += latency;
        }
        openTableBytes = pageTableBytes;
        openEndCycle = Math.max(openEndCycle, cycle);
    }

    private void openBucket(final long index)
    {
        if (used != 0)
        {
            flush();
        }
        if (used == capacity)
        {
            compact();
        }
        if (used == 0 || inBucket == width)
        {
            firstIndex[used] = index;
            used++;
            inBucket = 0;
            openDma = 0;
            openHits = 0;
            openFaults = 0;
            openLatencySum = 0;
            openTableBytes = 0;
            openEndCycle = 0;
        }
        else
        {
            // compact() merged the last two buckets into one that is not full yet: keep counting there.
            loadOpen();
        }
    }

    /** Copy the open bucket's counters into the arrays. */
    private void flush()
    {
        final int b = used - 1;
        dma[b] = openDma;
        hits[b] = openHits;
        faults[b] = openFaults;
        latencySum[b] = openLatencySum;
        tableBytes[b] = openTableBytes;
        endCycle[b] = openEndCycle;
    }

    private void loadOpen()
    {
        final int b = used - 1;
        openDma = dma[b];
        openHits = hits[b];
        openFaults = faults[b];
        openLatencySum = latencySum[b];
        openTableBytes = tableBytes[b];
        openEndCycle = endCycle[b];
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

    private void flushIfOpen()
    {
        if (used != 0)
        {
            flush();
        }
    }

    public int buckets()
    {
        return used;
    }

    public long firstIndex(final int bucket)
    {
        flushIfOpen();
        return firstIndex[bucket];
    }

    public long dma(final int bucket)
    {
        flushIfOpen();
        return dma[bucket];
    }

    public long hits(final int bucket)
    {
        flushIfOpen();
        return hits[bucket];
    }

    public long faults(final int bucket)
    {
        flushIfOpen();
        return faults[bucket];
    }

    public double meanLatency(final int bucket)
    {
        flushIfOpen();
        return dma[bucket] == 0 ? 0 : (double)latencySum[bucket] / dma[bucket];
    }

    public long pageTableBytes(final int bucket)
    {
        flushIfOpen();
        return tableBytes[bucket];
    }

    public long endCycle(final int bucket)
    {
        flushIfOpen();
        return endCycle[bucket];
    }

    /** TLPs per bucket now. */
    public long width()
    {
        return width;
    }
}
