package org.iommuemu.emulator.timing;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.iommuemu.emulator.cache.WalkCacheProbeListener;
import org.iommuemu.pagetable.memory.MemoryAccessListener;

/**
 * The cycle-approximate cost of each request (docs/timing.md). The model sits on the emulated memory as its
 * {@link MemoryAccessListener}, so it sees every table fetch the functional model makes (device-table and
 * context entries, page-table entries, RMP entries) and prices each through the profile's memory model; it adds
 * the link crossings, the IOTLB lookup, the walker's per-fetch cycles and the RMP check, and it queues requests
 * when all translation slots or all walkers are busy:
 * <pre>
 *   at IOMMU   = arrival + link.to-iommu
 *   start      = max(at IOMMU, earliest free translation slot)
 *   looked up  = start + iotlb.hit-latency
 *   walk start = max(looked up, earliest free walker)          (only when the request fetched table entries
 *                                                               or probed a walk cache)
 *   walked     = walk start + walk-cache probes * caches.walk.hit-latency
 *                           + sum over fetches of (before + memory latency + after)
 *   checked    = walked + RMP entry fetches + rmp.check-latency  (only when RMP entries were read)
 *   completion = checked + link.from-iommu (+ ats.round-trip for an ATS translation request)
 * </pre>
 * Memory latency per fetch: with {@link MemoryModel#RECENT_LINES}, an LLC hit when the fetch's line is among the
 * recently fetched lines (a 16-way set-associative LRU holding {@code recent-lines} lines, an approximation of a
 * fully associative LRU), else DRAM; with {@link MemoryModel#LLC_PROBABILITY} a seeded draw. Everything is a
 * function of the trace and the profile: the model is deterministic. Nothing here allocates per request.
 * <p>
 * Use: {@link #begin(long)} before the functional model handles a request, {@link #complete(boolean)} after; the
 * model also listens to the page-walk caches' probes ({@link WalkCacheProbeListener}): gem5's walker pays
 * {@code walk_lat} per probe, deepest cached level first.
 */
public final class TimingModel implements MemoryAccessListener, WalkCacheProbeListener
{
    /** Classifies fetched addresses: the RMP's entries are priced and counted apart from table fetches. */
    @FunctionalInterface
    public interface AddressClassifier
    {
        boolean isRmp(long address);
    }

    private static final int RECENT_WAYS = 16;

    private final TimingProfile profile;
    private final AddressClassifier classifier;
    private final int lineShift;
    private final long[] recentTags;
    private final long[] recentStamps;
    private final int recentSetMask;
    private final SplittableRandom random;
    /** Free-at cycles of the translation slots and of the walkers: see {@link FreeAtQueue}. */
    private final FreeAtQueue slots;
    private final FreeAtQueue walkers;
    private final double frequencyGhz;
    private final boolean unitFrequency;
    private static final long UNIT_EXACT = 1L << 53;
    private final int toIommu;
    private final int fromIommu;
    private final int iotlbLatency;
    private final int beforeFetch;
    private final int afterFetch;
    private final int llcLatency;
    private final int dramLatency;
    private final boolean probabilistic;
    private final double llcProbability;
    private final boolean rmpThroughMemory;
    private final int rmpFixedLatency;
    private final int rmpCheckLatency;
    private final int atsRoundTrip;
    private final int walkProbeLatency;
    private long stamp;

    // The request in progress.
    private long arrival;
    private long walkCycles;
    private long rmpCycles;
    private int tableFetches;
    private int walkCacheProbes;
    private int rmpFetches;
    private int llcHits;
    private boolean active;

    // Totals.
    private long totalTableFetches;
    private long totalWalkCacheProbes;
    private long totalRmpFetches;
    private long totalLlcHits;
    private long totalWalks;
    private long queuedForSlot;
    private long queuedForWalker;
    private long lastCompletion;

    public TimingModel(final TimingProfile profile, final AddressClassifier classifier)
    {
        this.profile = profile;
        this.classifier = classifier;
        final MemoryParameters memory = profile.memory();
        this.lineShift = Integer.numberOfTrailingZeros(memory.lineBytes());
        final int sets = Math.max(1, Integer.highestOneBit(Math.max(1, memory.recentLines() / RECENT_WAYS)));
        this.recentTags = new long[sets * RECENT_WAYS];
        this.recentStamps = new long[sets * RECENT_WAYS];
        Arrays.fill(recentTags, -1L);
        this.recentSetMask = sets - 1;
        this.random = new SplittableRandom(memory.seed());
        this.probabilistic = memory.model() == MemoryModel.LLC_PROBABILITY;
        this.llcProbability = memory.llcHitProbability();
        this.llcLatency = memory.llcHitLatency();
        this.dramLatency = memory.dramLatency();
        this.slots = new FreeAtQueue(Math.max(1, profile.concurrency().translationsInFlight()));
        this.walkers = new FreeAtQueue(Math.max(1, profile.concurrency().concurrentWalkers()));
        this.frequencyGhz = profile.clock().frequencyGhz();
        this.unitFrequency = frequencyGhz == 1.0;
        this.toIommu = profile.link().toIommuLatency();
        this.fromIommu = profile.link().fromIommuLatency();
        this.iotlbLatency = profile.caches().iotlb().hitLatency();
        this.beforeFetch = profile.walker().cyclesBeforeFetch();
        this.afterFetch = profile.walker().cyclesAfterFetch();
        this.walkProbeLatency = profile.caches().walk().hitLatency();
        this.rmpThroughMemory = profile.rmp().fetchThroughMemory();
        this.rmpFixedLatency = profile.rmp().fixedFetchLatency();
        this.rmpCheckLatency = profile.rmp().checkLatency();
        this.atsRoundTrip = profile.ats().roundTrip();
    }

    public TimingProfile profile()
    {
        return profile;
    }

    /** Convert a timestamp in nanoseconds to IOMMU cycles. */
    public long nanosToCycles(final long nanos)
    {
        // At 1 GHz the product is exact below 2^53 (a double holds such longs exactly): skip the conversions.
        if (unitFrequency && nanos > -UNIT_EXACT && nanos < UNIT_EXACT)
        {
            return nanos;
        }
        return (long)(nanos * frequencyGhz);
    }

    /** Start pricing a request that arrives (leaves the device) at {@code arrivalCycle}. */
    public void begin(final long arrivalCycle)
    {
        arrival = arrivalCycle;
        walkCycles = 0;
        rmpCycles = 0;
        tableFetches = 0;
        walkCacheProbes = 0;
        rmpFetches = 0;
        llcHits = 0;
        active = true;
    }

    /**
     * Finish the request begun last.
     *
     * @param atsTranslation the request was an ATS translation request (its answer crosses the link back).
     * @return the completion cycle.
     */
    public long complete(final boolean atsTranslation)
    {
        active = false;
        final long atIommu = arrival + toIommu;
        long t = Math.max(atIommu, slots.earliest());
        if (t > atIommu)
        {
            queuedForSlot++;
        }
        t += iotlbLatency;
        if (tableFetches > 0 || walkCacheProbes > 0)
        {
            final long walkerFree = walkers.earliest();
            if (walkerFree > t)
            {
                queuedForWalker++;
                t = walkerFree;
            }
            t += walkCycles;
            walkers.replaceEarliest(t);
            totalWalks++;
        }
        if (rmpFetches > 0)
        {
            t += rmpCycles + rmpCheckLatency;
        }
        t += fromIommu;
        if (atsTranslation)
        {
            t += atsRoundTrip;
        }
        slots.replaceEarliest(t);
        totalTableFetches += tableFetches;
        totalWalkCacheProbes += walkCacheProbes;
        totalRmpFetches += rmpFetches;
        totalLlcHits += llcHits;
        lastCompletion = Math.max(lastCompletion, t);
        return t;
    }

    /**
     * Drop the request begun last without pricing it: it occupies no translation slot or walker and adds nothing to
     * the totals (a request the IOMMU model took for an interrupt request, which the timing model does not price).
     * Its fetches, if any, stay in the recent-lines state: they did happen.
     */
    public void abandon()
    {
        active = false;
    }

    /** Table entries (device table, context, page tables) fetched by the request just completed. */
    public int tableFetches()
    {
        return tableFetches;
    }

    /** RMP entry quadwords fetched by the request just completed. */
    public int rmpFetches()
    {
        return rmpFetches;
    }

    public long totalTableFetches()
    {
        return totalTableFetches;
    }

    public long totalRmpFetches()
    {
        return totalRmpFetches;
    }

    /** Fetches (table and RMP) the memory model priced as LLC hits. */
    public long totalLlcHits()
    {
        return totalLlcHits;
    }

    /** Requests that fetched table entries (walked or looked up an uncached structure). */
    public long totalWalks()
    {
        return totalWalks;
    }

    /** Requests that waited for a translation slot. */
    public long queuedForSlot()
    {
        return queuedForSlot;
    }

    /** Requests that waited for a free walker. */
    public long queuedForWalker()
    {
        return queuedForWalker;
    }

    public long lastCompletion()
    {
        return lastCompletion;
    }

    /** A page-walk cache was probed for the request in progress: the walker pays the walk caches' hit latency. */
    @Override
    public void onWalkCacheProbe()
    {
        if (active)
        {
            walkCacheProbes++;
            walkCycles += walkProbeLatency;
        }
    }

    /** Walk-cache probes of the request just completed. */
    public int walkCacheProbes()
    {
        return walkCacheProbes;
    }

    /** Walk-cache probes of every request so far. */
    public long totalWalkCacheProbes()
    {
        return totalWalkCacheProbes;
    }

    @Override
    public void onEntryRead(final long address, final long value)
    {
        if (!active)
        {
            return;
        }
        final int latency = fetchLatency(address);
        if (classifier != null && classifier.isRmp(address))
        {
            rmpFetches++;
            rmpCycles += rmpThroughMemory ? latency : rmpFixedLatency;
        }
        else
        {
            tableFetches++;
            walkCycles += beforeFetch + latency + afterFetch;
        }
    }

    /** Memory latency of one fetch under the profile's memory model. */
    private int fetchLatency(final long address)
    {
        final boolean hit;
        if (probabilistic)
        {
            hit = random.nextDouble() < llcProbability;
        }
        else
        {
            hit = touchLine(address >>> lineShift);
        }
        if (hit)
        {
            llcHits++;
            return llcLatency;
        }
        return dramLatency;
    }

    /** LRU lookup-and-insert of a line in the recent-lines structure; true on a hit. */
    private boolean touchLine(final long line)
    {
        final int set = (int)(mix(line) & recentSetMask) * RECENT_WAYS;
        int victim = set;
        long oldest = Long.MAX_VALUE;
        final long now = ++stamp;
        for (int way = set; way < set + RECENT_WAYS; way++)
        {
            if (recentTags[way] == line)
            {
                recentStamps[way] = now;
                return true;
            }
            if (recentStamps[way] < oldest)
            {
                oldest = recentStamps[way];
                victim = way;
            }
        }
        recentTags[victim] = line;
        recentStamps[victim] = now;
        return false;
    }

    private static long mix(final long line)
    {
        final long h = line * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }
}
