package org.iommuemu.emulator.timing;



import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TimingModelTest
{
    /** The gem5 SMMUv3 parameters: the bundled gem5-smmuv3 profile equals them (the app's TimingProfileTest). */
    private static final TimingProfile GEM5 = TimingProfile.defaults();

    @Test
    void anIotlbHitCostsTheLinkAndTheLookup()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(1000);
        final long done = model.complete(false);
        final LinkParameters link = GEM5.link();
        assertEquals(1000 + link.toIommuLatency() + GEM5.caches().iotlb().hitLatency() + link.fromIommuLatency(), done);
        assertEquals(0, model.tableFetches());
    }

    @Test
    void eachFetchPaysTheWalkerCyclesAndMemoryAndARecentLineIsAnLlcHit()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        final MemoryParameters memory = GEM5.memory();
        final WalkerParameters walker = GEM5.walker();
        model.begin(0);
        model.onEntryRead(0x1000, 0);
        model.onEntryRead(0x2000, 0);
        final long first = model.complete(false);
        model.begin(first);
        model.onEntryRead(0x1008, 0); // the same 64-byte line as 0x1000
        final long second = model.complete(false) - first;
        final long base = GEM5.link().toIommuLatency() + GEM5.caches().iotlb().hitLatency() + GEM5.link().fromIommuLatency();
        final long perFetch = walker.cyclesBeforeFetch() + walker.cyclesAfterFetch();
        assertEquals(base + 2 * (perFetch + memory.dramLatency()), first, "two cold lines");
        assertEquals(base + perFetch + memory.llcHitLatency(), second, "a recently fetched line");
        assertEquals(3, model.totalTableFetches());
        assertEquals(1, model.totalLlcHits());
    }

    @Test
    void eachWalkCacheProbeCostsTheWalkCachesHitLatency()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(0);
        model.onEntryRead(0x1000, 0);
        final long plain = model.complete(false);
        model.begin(0);
        model.onWalkCacheProbe();
        model.onWalkCacheProbe();
        model.onEntryRead(0x1000, 0); // the same line again: an LLC hit, so add back the difference below
        final long probed = model.complete(false);
        assertEquals(2, model.walkCacheProbes());
        assertEquals(2, model.totalWalkCacheProbes());
        final MemoryParameters memory = GEM5.memory();
        assertEquals(plain - memory.dramLatency() + memory.llcHitLatency() + 2L * GEM5.caches().walk().hitLatency(), probed);

        model.onWalkCacheProbe(); // outside a request: ignored
        model.begin(0);
        assertEquals(0, model.walkCacheProbes());
    }

    @Test
    void rmpFetchesArePricedApartFromTheWalk()
    {
        final TimingModel model = new TimingModel(GEM5, address -> address >= 0x8000_0000L);
        model.begin(0);
        model.onEntryRead(0x8000_0000L, 0);
        final long done = model.complete(false);
        assertEquals(0, model.tableFetches());
        assertEquals(1, model.rmpFetches());
        final long base = GEM5.link().toIommuLatency() + GEM5.caches().iotlb().hitLatency() + GEM5.link().fromIommuLatency();
        assertEquals(base + GEM5.memory().dramLatency() + GEM5.rmp().checkLatency(), done);
        assertEquals(0, model.totalWalks(), "an RMP fetch alone is not a walk");
    }

    @Test
    void requestsQueueWhenEveryWalkerIsBusy()
    {
        final ConcurrencyParameters one = new ConcurrencyParameters(64, 16, 1, 1, true, true);
        final TimingProfile profile = new TimingProfile("one-walker", "", GEM5.clock(), GEM5.link(), GEM5.caches(), GEM5.memory(),
            GEM5.rmp(), one, GEM5.walker(), GEM5.ats());
        final TimingModel model = new TimingModel(profile, address -> false);
        final long[] done = new long[3];
        for (int i = 0; i < 3; i++)
        {
            model.begin(0);
            model.onEntryRead(0x10_0000L * (i + 1), 0);
            done[i] = model.complete(false);
        }
        final long walk = GEM5.walker().cyclesBeforeFetch() + GEM5.memory().dramLatency() + GEM5.walker().cyclesAfterFetch();
        assertEquals(walk, done[1] - done[0], "the second waits for the only walker");
        assertEquals(walk, done[2] - done[1]);
        assertEquals(2, model.queuedForWalker());
        final TimingModel parallel = new TimingModel(GEM5, address -> false);
        long last = 0;
        for (int i = 0; i < 3; i++)
        {
            parallel.begin(0);
            parallel.onEntryRead(0x10_0000L * (i + 1), 0);
            last = parallel.complete(false);
        }
        assertEquals(done[0], last, "with 16 walkers three simultaneous walks overlap");
    }

    @Test
    void anAtsTranslationRequestAddsTheRoundTrip()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(0);
        final long plain = model.complete(false);
        model.begin(10_000);
        assertEquals(plain + GEM5.ats().roundTrip(), model.complete(true) - 10_000);
    }
}
