package org.iommuemu.emulator.replay;

import java.util.List;

import org.iommuemu.emulator.cache.TranslationCache;

/**
 * Per-interval counters over the trace in a fixed number of buckets, whatever the trace's length: buckets cover
 * {@code width} TLPs each, and when they run out, neighbours merge pairwise and the width doubles. Memory stays
 * constant for a 100-million-TLP replay; nothing allocates per TLP.
 * <p>
 * Each bucket counts its DMA requests, IOTLB hits, faults (in all and by kind: the caller's kind index, up to
 * {@link #MAX_FAULT_KINDS}, the last one collecting the rest), requests that fetched table entries (walks), DMA
 * bytes and latency, and keeps the page-table memory and the latest completion cycle at its end. For every watched
 * cache ({@link #watch}) it keeps the cache's cumulative lookups and hits at the bucket's end, so the hit rate of
 * any cache over any bucket is a difference of two snapshots; snapshots survive merging (the later one is kept).
 */
public final class TimeSeries
{
    /** Fault kinds counted apart; kind indexes from this one up share the last slot. */
    public static final int MAX_FAULT_KINDS = 8;

    private final int capacity;
    private final long[] firstIndex;
    private final long[] dma;
    private final long[] hits;
    private final long[] faults;
    private final long[] latencySum;
    private final long[] tableBytes;
    private final long[] endCycle;
    private final long[] walks;
    private final long[] bytes;
    private final long[][] kindFaults;
    private TranslationCache[] caches = new TranslationCache[0];
    private long[][] cacheLookups = new long[0][];
    private long[][] cacheHits = new long[0][];
    private long[] baseLookups = new long[0];
    private long[] baseHits = new long[0];
    private long width = 1;
    private int used;
    private long inBucket;
    /**
     * The open bucket ({@code used - 1}) is counted in these fields, not in the arrays: one TLP then updates
     * fields of this object rather than the arrays. {@link #flush} copies them into the arrays before the
     * bucket is closed, merged or read.
     */
    private long openDma;
    private long openHits;
    private long openFaults;
    private long openLatencySum;
    private long openTableBytes;
    private long openEndCycle;
    private long openWalks;
    private long openBytes;
    private final long[] openKindFaults = new long[MAX_FAULT_KINDS];

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
        walks = new long[capacity];
        bytes = new long[capacity];
        kindFaults = new long[MAX_FAULT_KINDS][capacity];
    }

    /** Snapshot these caches' counters at the end of every bucket (call before the first record). */
    public void watch(final List<TranslationCache> watched)
    {
        caches = watched.toArray(new TranslationCache[0]);
        cacheLookups = new long[caches.length][capacity];
        cacheHits = new long[caches.length][capacity];
        baseLookups = new long[caches.length];
        baseHits = new long[caches.length];
        for (int c = 0; c < caches.length; c++)
        {
            baseLookups[c] = caches[c].lookups();
            baseHits[c] = caches[c].hits();
        }
    }

    /** Count one TLP (index in trace order) that is not a DMA request. */
    public void record(final long index, final boolean isDma, final boolean hit, final boolean fault, final long latency,
        final long pageTableBytes, final long cycle)
    {
        record(index, isDma, hit, fault ? 0 : -1, latency, pageTableBytes, cycle, false, 0);
    }

    /**
     * Count one TLP (index in trace order).
     *
     * @param faultKind the fault's kind index (0-based, in order of first appearance), or -1 when it did not fault.
     * @param walked    whether it fetched table entries.
     * @param length    its DMA bytes.
     */
    public void record(final long index, final boolean isDma, final boolean hit, final int faultKind, final long latency,
        final long pageTableBytes, final long cycle, final boolean walked, final int length)
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
            openLatencySum += latency;
            openWalks += walked ? 1 : 0;
            openBytes += length;
            if (faultKind >= 0)
            {
                openFaults++;
                openKindFaults[Math.min(faultKind, MAX_FAULT_KINDS - 1)]++;
            }
        }
        openTableBytes = pageTableBytes;
        openEndCycle = Math.max(openEndCycle, cycle);
        if (inBucket == width && caches.length != 0)
        {
            snapshotCaches();
        }
    }

    private void snapshotCaches()
    {
        final int b = used - 1;
        for (int c = 0; c < caches.length; c++)
        {
            cacheLookups[c][b] = caches[c].lookups();
            cacheHits[c][b] = caches[c].hits();
        }
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
            openWalks = 0;
            openBytes = 0;
            for (int k = 0; k < MAX_FAULT_KINDS; k++)
            {
                openKindFaults[k] = 0;
            }
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
        walks[b] = openWalks;
        bytes[b] = openBytes;
        for (int k = 0; k < MAX_FAULT_KINDS; k++)
        {
            kindFaults[k][b] = openKindFaults[k];
        }
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
        openWalks = walks[b];
        openBytes = bytes[b];
        for (int k = 0; k < MAX_FAULT_KINDS; k++)
        {
            openKindFaults[k] = kindFaults[k][b];
        }
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
            walks[i] = walks[a] + walks[c];
            bytes[i] = bytes[a] + bytes[c];
            for (int k = 0; k < MAX_FAULT_KINDS; k++)
            {
                kindFaults[k][i] = kindFaults[k][a] + kindFaults[k][c];
            }
            for (int k = 0; k < caches.length; k++)
            {
                cacheLookups[k][i] = cacheLookups[k][c];
                cacheHits[k][i] = cacheHits[k][c];
            }
        }
        for (int i = capacity / 2; i < capacity; i++)
        {
            firstIndex[i] = dma[i] = hits[i] = faults[i] = latencySum[i] = tableBytes[i] = endCycle[i] = walks[i] = bytes[i] = 0;
            for (int k = 0; k < MAX_FAULT_KINDS; k++)
            {
                kindFaults[k][i] = 0;
            }
            for (int k = 0; k < caches.length; k++)
            {
                cacheLookups[k][i] = cacheHits[k][i] = 0;
            }
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
            if (inBucket != width && caches.length != 0)
            {
                snapshotCaches(); // the open bucket ends now
            }
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

    /** Faults of kind index {@code kind} in the bucket (the last index also counts every later kind). */
    public long faults(final int bucket, final int kind)
    {
        flushIfOpen();
        return kindFaults[kind][bucket];
    }

    /** DMA requests of the bucket that fetched table entries. */
    public long walks(final int bucket)
    {
        flushIfOpen();
        return walks[bucket];
    }

    /** DMA bytes of the bucket. */
    public long bytes(final int bucket)
    {
        flushIfOpen();
        return bytes[bucket];
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

    /** The watched caches, in the order of {@link #cacheLookups} and {@link #cacheHits}. */
    public int watchedCaches()
    {
        return caches.length;
    }

    public String cacheName(final int cache)
    {
        return caches[cache].name();
    }

    /** The cache's lookups from the start of the replay to the end of the bucket. */
    public long cacheLookups(final int cache, final int bucket)
    {
        flushIfOpen();
        return cacheLookups[cache][bucket] - baseLookups[cache];
    }

    /** The cache's hits from the start of the replay to the end of the bucket. */
    public long cacheHits(final int cache, final int bucket)
    {
        flushIfOpen();
        return cacheHits[cache][bucket] - baseHits[cache];
    }

    /** TLPs per bucket now. */
    public long width()
    {
        return width;
    }
}
