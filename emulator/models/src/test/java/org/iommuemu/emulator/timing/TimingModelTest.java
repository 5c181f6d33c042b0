package org.iommuemu.emulator.timing;

import java.util.SplittableRandom;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimingModelTest
{
    /** The gem5 SMMUv3 parameters: the bundled gem5-smmuv3 profile equals them (the app's TimingProfileTest). */
    private static final TimingProfile GEM5 = TimingProfile.defaults();
    /** gem5's parameters without the micro-TLB (the x86 profiles have none). */
    private static final TimingProfile NO_MICRO = withCaches(GEM5, micro(false, 1, 1));
    private static final int DEVICE = 0x1000;

    private final DmaRequest request = new DmaRequest();
    private final RequestOutcome hit = new RequestOutcome().iotlbHit(true).translated(0x1000, 12, Permissions.READ_WRITE);
    private final RequestOutcome miss = new RequestOutcome().iotlbHit(false).translated(0x1000, 12, Permissions.READ_WRITE);

    private static long base(final TimingProfile profile)
    {
        return profile.link().toIommuLatency() + profile.caches().iotlb().hitLatency() + profile.link().fromIommuLatency();
    }

    /** What a walk costs besides its fetches: one context-cache lookup (gem5 looks its config cache up after a TLB miss). */
    private static long walkBase(final TimingProfile profile)
    {
        return base(profile) + profile.caches().context().hitLatency();
    }

    private static long perFetch(final TimingProfile profile, final boolean dram)
    {
        return profile.walker().cyclesBeforeFetch() + profile.walker().cyclesAfterFetch() +
            (dram ? profile.memory().dramLatency() : profile.memory().llcHitLatency());
    }

    private DmaRequest read(final long address)
    {
        return request.set(DEVICE, address, false).length(64);
    }

    private DmaRequest write(final long address)
    {
        return request.set(DEVICE, address, true).length(64);
    }

    @Test
    void anIotlbHitCostsTheLinkAndTheLookup()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(read(0x1000), 1000);
        assertEquals(1000 + base(GEM5), model.complete(hit));
        assertEquals(0, model.tableFetches());
    }

    @Test
    void eachFetchPaysTheWalkerCyclesAndMemoryAndARecentLineIsAnLlcHit()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(read(0x1000), 0);
        model.onEntryRead(0x1000, 0);
        model.onEntryRead(0x2000, 0);
        final long first = model.complete(miss);
        model.begin(read(0x5000), first);
        model.onEntryRead(0x1008, 0); // the same 64-byte line as 0x1000
        final long second = model.complete(miss) - first;
        assertEquals(walkBase(GEM5) + 2 * perFetch(GEM5, true), first, "two cold lines");
        assertEquals(walkBase(GEM5) + perFetch(GEM5, false), second, "a recently fetched line");
        assertEquals(3, model.totalTableFetches());
        assertEquals(1, model.totalLlcHits());
    }

    @Test
    void eachWalkCacheProbeCostsTheWalkCachesHitLatency()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(read(0x1000), 0);
        model.onEntryRead(0x1000, 0);
        final long plain = model.complete(miss);
        model.begin(read(0x9000), 100_000);
        model.onWalkCacheProbe();
        model.onWalkCacheProbe();
        model.onEntryRead(0x1000, 0); // the same line again: an LLC hit
        final long probed = model.complete(miss) - 100_000;
        assertEquals(2, model.walkCacheProbes());
        assertEquals(2, model.totalWalkCacheProbes());
        final MemoryParameters memory = GEM5.memory();
        assertEquals(plain - memory.dramLatency() + memory.llcHitLatency() + 2L * GEM5.caches().walk().hitLatency(), probed);

        model.onWalkCacheProbe(); // outside a request: ignored
        model.begin(read(0x1000), 200_000);
        assertEquals(0, model.walkCacheProbes());
    }

    @Test
    void rmpFetchesArePricedApartFromTheWalk()
    {
        final TimingModel model = new TimingModel(GEM5, address -> address >= 0x8000_0000L);
        model.begin(read(0x1000), 0);
        model.onEntryRead(0x8000_0000L, 0);
        final long done = model.complete(hit);
        assertEquals(0, model.tableFetches());
        assertEquals(1, model.rmpFetches());
        assertEquals(base(GEM5) + GEM5.memory().dramLatency() + GEM5.rmp().checkLatency(), done);
        assertEquals(0, model.totalWalks(), "an RMP fetch alone is not a walk");
    }

    @Test
    void requestsQueueWhenEveryWalkerIsBusy()
    {
        final TimingProfile oneWalker = withConcurrency(GEM5, new ConcurrencyParameters(64, 16, 1, 1, true, true));
        final TimingModel model = new TimingModel(oneWalker, address -> false);
        final long[] done = new long[3];
        for (int i = 0; i < 3; i++)
        {
            model.begin(read(0x10_0000L * (i + 1)), 0);
            model.onEntryRead(0x10_0000L * (i + 1), 0);
            done[i] = model.complete(miss);
        }
        final long walk = GEM5.caches().context().hitLatency() + perFetch(GEM5, true);
        assertEquals(walk, done[1] - done[0], "the second waits for the only walker");
        assertEquals(walk, done[2] - done[1]);
        assertEquals(2, model.queuedForWalker());
        final TimingModel parallel = new TimingModel(GEM5, address -> false);
        long last = 0;
        for (int i = 0; i < 3; i++)
        {
            parallel.begin(read(0x10_0000L * (i + 1)), 0);
            parallel.onEntryRead(0x10_0000L * (i + 1), 0);
            last = parallel.complete(miss);
        }
        // Three walks at once overlap; the IOMMU's port takes one request per cycle.
        assertEquals(done[0] + 2, last, "with 16 walkers three simultaneous walks overlap, a port cycle apart");
    }

    @Test
    void pteRequestsPerCycleSpacesTheFetchesOfWalksInFlight()
    {
        final long[] spread = new long[2];
        // No port serialization and eight IOTLB and context lookup slots: four walks start in the same cycle.
        final LinkParameters link = GEM5.link();
        final CacheParameters c = NO_MICRO.caches();
        final CacheGeometry iotlb = c.iotlb();
        final CacheGeometry context = c.context();
        final TimingProfile wide = withCaches(NO_MICRO, new CacheParameters(c.microTlb(), new CacheGeometry(true, iotlb.entries(),
            iotlb.ways(), iotlb.replacement(), iotlb.hitLatency(), 8), c.deviceTlb(), new CacheGeometry(true, context.entries(),
            context.ways(), context.replacement(), context.hitLatency(), 8), c.pasid(), c.walk(), c.nested(), c.seed()));
        final TimingProfile simultaneous = new TimingProfile("test", "", wide.clock(), new LinkParameters(link.toIommuLatency(),
            link.fromIommuLatency(), 0, link.portWidthBytes(), link.carriesPayload()), wide.caches(), wide.memory(), wide.rmp(),
            wide.concurrency(), wide.walker(), wide.ats());
        for (final int perCycle : new int[] {1, 4})
        {
            final TimingModel model = new TimingModel(withConcurrency(simultaneous, new ConcurrencyParameters(64, 16, 16, perCycle,
                true, true)), address -> false);
            long last = 0;
            long first = 0;
            for (int i = 0; i < 4; i++)
            {
                model.begin(read(0x10_0000L * (i + 1)), 0);
                model.onEntryRead(0x10_0000L * (i + 1), 0);
                last = model.complete(miss);
                first = i == 0 ? last : first;
            }
            spread[perCycle == 1 ? 0 : 1] = last - first;
        }
        assertEquals(3, spread[0], "one PTE request per cycle: the fourth walk's fetch goes out three cycles after the first's");
        assertEquals(0, spread[1], "four per cycle: all at once");
    }

    @Test
    void lookupSlotsLimitHowManyLookupsAreInACacheAtOnce()
    {
        final long[] second = new long[2];
        for (final int slots : new int[] {1, 3})
        {
            final CacheGeometry iotlb = new CacheGeometry(true, 64, 0, GEM5.caches().iotlb().replacement(), 3, slots);
            final CacheParameters c = GEM5.caches();
            final TimingProfile profile = withCaches(NO_MICRO, new CacheParameters(c.microTlb(), iotlb, c.deviceTlb(), c.context(),
                c.pasid(), c.walk(), c.nested(), c.seed()));
            final TimingModel model = new TimingModel(profile, address -> false);
            model.begin(read(0x1000), 0);
            final long first = model.complete(hit);
            model.begin(read(0x2000), 0);
            second[slots == 1 ? 0 : 1] = model.complete(hit) - first;
        }
        // The port admits one request per cycle; the second lookup then waits for the only slot (3 cycles) or not.
        assertEquals(3, second[0], "one slot: the second lookup waits for the first");
        assertEquals(1, second[1], "three slots: only the port's cycle apart");
    }

    @Test
    void aWalkLooksTheContextCacheUpOnceAndThePasidCacheForAPasid()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.begin(read(0x1000), 0);
        model.onEntryRead(0x1000, 0);
        assertEquals(base(GEM5) + GEM5.caches().context().hitLatency() + perFetch(GEM5, true), model.complete(miss));
        final CacheParameters c = GEM5.caches();
        final CacheGeometry p = c.pasid();
        final TimingProfile withPasidCache = withCaches(GEM5, new CacheParameters(c.microTlb(), c.iotlb(), c.deviceTlb(), c.context(),
            new CacheGeometry(true, p.entries(), p.ways(), p.replacement(), 5, p.slots()), c.walk(), c.nested(), c.seed()));
        final TimingModel pasid = new TimingModel(withPasidCache, address -> false);
        pasid.begin(read(0x1000).pasid(7), 0);
        pasid.onEntryRead(0x1000, 0);
        assertEquals(base(GEM5) + GEM5.caches().context().hitLatency() + 5 + perFetch(GEM5, true), pasid.complete(miss));
        pasid.begin(read(0x9000), 10_000);
        assertEquals(10_000 + base(GEM5), pasid.complete(hit), "a hit looks no configuration cache up");
    }

    @Test
    void aHitOnAPageBeingWalkedWaitsForTheWalkOrWalksAgain()
    {
        final TimingModel merging = new TimingModel(NO_MICRO, address -> false);
        merging.begin(read(0x4000), 0);
        merging.onEntryRead(0x10_0000L, 0);
        final long walked = merging.complete(miss);
        merging.begin(read(0x4040), 2);
        final long merged = merging.complete(hit);
        assertEquals(1, merging.mergedMisses());
        assertEquals(walked - NO_MICRO.link().fromIommuLatency() + NO_MICRO.caches().iotlb().hitLatency() +
            NO_MICRO.link().fromIommuLatency(), merged, "looks the IOTLB up again once the walk has filled it");
        assertEquals(walkBase(NO_MICRO) + perFetch(NO_MICRO, true), walked);

        final TimingProfile off = withConcurrency(NO_MICRO, new ConcurrencyParameters(64, 16, 1, 1, false, true));
        final TimingModel walking = new TimingModel(off, address -> false);
        walking.begin(read(0x4000), 0);
        walking.onEntryRead(0x10_0000L, 0);
        final long first = walking.complete(miss);
        walking.begin(read(0x4040), 2);
        final long again = walking.complete(hit);
        assertEquals(1, walking.duplicateWalks());
        assertEquals(0, walking.mergedMisses());
        assertEquals(2, walking.totalWalks());
        assertTrue(again >= first + perFetch(GEM5, true), "the only walker walks the page a second time");

        merging.begin(read(0x9000), 100_000);
        assertEquals(100_000 + base(NO_MICRO), merging.complete(hit), "an ordinary hit is not held");
    }

    @Test
    void aDeviceWritesInOrderAndAReadDoesNotPassAWrite()
    {
        for (final boolean ordered : new boolean[] {true, false})
        {
            final TimingModel model = new TimingModel(withConcurrency(NO_MICRO, new ConcurrencyParameters(64, 16, 16, 1, true,
                ordered)), address -> false);
            model.device(DEVICE, DeviceDmaParameters.UNLIMITED, false);
            model.issue(write(0x1000), 0);
            model.onEntryRead(0x10_0000L, 0);
            final long slow = model.complete(miss);
            model.issue(write(0x9000), 1);
            final long fast = model.complete(hit);
            model.issue(read(0xA000), 2);
            final long read = model.complete(hit);
            if (ordered)
            {
                assertEquals(slow, fast, "a posted write is not passed on before the earlier one");
                assertEquals(slow, read, "a read does not pass a posted write");
                assertEquals(2, model.orderingWaits());
            }
            else
            {
                assertTrue(fast < slow && read < slow);
                assertEquals(0, model.orderingWaits());
            }
        }
    }

    @Test
    void theIommusSlotsKeptForOneDeviceAloneGiveWhatKeepingThemFromTheStartGives()
    {
        // Few slots, so that both limits bind: one device alone for a while (the model then keeps only the device's
        // pool), then a second device and open-loop requests interleaved (the IOMMU's pool is a copy from then on).
        for (final int[] sizes : new int[][] {{8, 3}, {3, 8}, {4, 4}})
        {
            final TimingProfile few = withConcurrency(NO_MICRO, new ConcurrencyParameters(sizes[0], sizes[1], 2, 1, true, true));
            final TimingModel alone = new TimingModel(few, address -> false);
            final TimingModel shared = new TimingModel(few, address -> false);
            shared.shareSlotsFromStart();
            final SplittableRandom random = new SplittableRandom(sizes[0] * 10 + sizes[1]);
            for (final TimingModel model : new TimingModel[] {alone, shared})
            {
                model.device(DEVICE, DeviceDmaParameters.UNLIMITED, false);
                model.device(DEVICE + 1, DeviceDmaParameters.UNLIMITED, false);
            }
            long queued = 0;
            for (int i = 0; i < 2000; i++)
            {
                final int kind = i < 700 ? 0 : random.nextInt(5);
                final long address = 0x1000L * random.nextInt(64);
                final long[] fetched = new long[random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0];
                for (int f = 0; f < fetched.length; f++)
                {
                    fetched[f] = 0x10_0000L + 0x1000L * random.nextInt(8) + f;
                }
                final long time = i * 3L;
                final long[] answers = new long[4];
                int m = 0;
                for (final TimingModel model : new TimingModel[] {alone, shared})
                {
                    final DmaRequest r = request.set(kind == 1 ? DEVICE + 1 : DEVICE, address, (i & 1) == 0).length(64);
                    if (kind == 2)
                    {
                        model.begin(r, time);
                    }
                    else
                    {
                        model.issue(r, time);
                    }
                    for (final long entry : fetched)
                    {
                        model.onEntryRead(entry, 0);
                    }
                    answers[m++] = model.complete(fetched.length == 0 ? hit : miss);
                    answers[m++] = model.releaseCycle();
                }
                assertEquals(answers[0], answers[2], "request " + i + " completes at the same cycle");
                assertEquals(answers[1], answers[3], "request " + i + " is released at the same cycle");
                assertEquals(shared.queuedForSlot(), alone.queuedForSlot(), "request " + i);
                queued = shared.queuedForSlot();
            }
            assertTrue(queued > 100, "the slots bind: " + queued + " requests queued for one");
        }
    }

    @Test
    void aDeviceWithTwoTagsWaitsForTheFirstReadsDataBeforeItsThird()
    {
        final DeviceDmaParameters twoTags = new DeviceDmaParameters(0, 256, 2, 0, 0, 0, 0);
        final TimingModel model = new TimingModel(NO_MICRO, address -> false);
        model.device(DEVICE, twoTags, false);
        final long[] released = new long[3];
        for (int i = 0; i < 3; i++)
        {
            assertEquals(i < 2 ? 0 : released[0], model.issue(read(0x1000 + 64 * i), 0));
            model.complete(hit);
            released[i] = model.releaseCycle();
        }
        assertEquals(base(NO_MICRO) + NO_MICRO.memory().dmaReadLatency(), released[0],
            "translated, then the host's read latency, then its completion (no link limit)");
        assertEquals(released[0], model.waitCycles(), "the third waited for the first tag");
        assertEquals(1, model.deviceWaitCauses()[0]);
    }

    @Test
    void aSlowTranslationHoldsThePostedCreditAndThrottlesTheDevice()
    {
        final DeviceDmaParameters oneCredit = new DeviceDmaParameters(0, 256, 0, 0, 1, 0, 0);
        final TimingModel model = new TimingModel(NO_MICRO, address -> false);
        model.device(DEVICE, oneCredit, false);
        model.issue(write(0x1000), 0);
        model.onEntryRead(0x10_0000L, 0);
        final long walked = model.complete(miss);
        assertEquals(walked, model.issue(write(0x2000), 0), "the second write leaves when the first's credit returns");
        model.complete(hit);
        assertEquals(1, model.deviceWaits());
        assertEquals(1, model.deviceWaitCauses()[1]);
    }

    @Test
    void theLinkCarriesEachTlpsBytesAtItsRate()
    {
        // 8 Gb/s = 1 byte per ns: a 64-byte write plus 24 bytes of overhead holds the link 88 cycles at 1 GHz.
        final DeviceDmaParameters slowLink = new DeviceDmaParameters(8, 256, 0, 0, 0, 0, 0);
        final TimingModel model = new TimingModel(NO_MICRO, address -> false);
        model.device(DEVICE, slowLink, false);
        assertEquals(88, model.issue(write(0x1040 - 0x40), 0), "the write is on the link after 88 cycles");
        assertEquals(0, model.issued());
        final long first = model.complete(hit);
        assertEquals(88 + base(NO_MICRO), first, "the IOMMU sees the write once it is on the link");
        assertEquals(176, model.issue(write(0x1040), 0));
        assertEquals(88, model.issued(), "the second starts when the link is free");
        assertEquals(88, model.waitCycles());
        model.complete(hit);
        assertEquals(1, model.deviceWaitCauses()[2]);
        model.issue(read(0x2000), 1000);
        model.complete(hit);
        // A 64-byte read: 24 bytes up; 64 + 20 bytes of completion down.
        assertEquals(1000 + 24 + base(NO_MICRO) + NO_MICRO.memory().dmaReadLatency() + 84, model.releaseCycle());
    }

    @Test
    void aMicroTlbHitSkipsTheIotlbLookup()
    {
        final TimingModel model = new TimingModel(GEM5, address -> false);
        model.device(DEVICE, DeviceDmaParameters.UNLIMITED, false);
        model.issue(read(0x1000), 0);
        final long first = model.complete(hit);
        model.issue(read(0x1040), 10_000);
        final long second = model.complete(hit) - 10_000;
        final int micro = GEM5.caches().microTlb().hitLatency();
        assertEquals(base(GEM5) + micro, first, "a micro-TLB miss looks up the micro-TLB, then the IOTLB");
        assertEquals(GEM5.link().toIommuLatency() + micro + GEM5.link().fromIommuLatency(), second);
        assertEquals(1, model.microTlbHits());
        model.issue(read(0x1080), 20_000);
        assertEquals(first, model.complete(miss) - 20_000, "the IOTLB is the truth: where it missed, the micro-TLB does not hit");
    }

    @Test
    void anAtsDeviceTranslatesOnceThenSkipsTheIommuUntilAnInvalidation()
    {
        final TimingProfile ats = withCaches(NO_MICRO, deviceTlb(NO_MICRO));
        final TimingModel model = new TimingModel(ats, address -> false);
        // 8 Gb/s: one byte per cycle on the link, so the TLPs' bytes are visible in the cycles.
        model.device(DEVICE, new DeviceDmaParameters(8, 256, 0, 0, 0, 0, 0), true);
        final int atc = ats.caches().deviceTlb().hitLatency();
        final long to = ats.link().toIommuLatency();
        final long from = ats.link().fromIommuLatency();
        final int roundTrip = ats.ats().roundTrip();

        model.issue(write(0x1000), 0);
        final long first = model.complete(hit);
        // ATC lookup, Translation Request (24 bytes) up, the translation over the ATS round trip, its completion
        // (20 + 8 bytes) down, the write (24 + 64 bytes) up, then the IOMMU's check only.
        final long tr = atc + 24 + roundTrip + ats.caches().iotlb().hitLatency();
        assertEquals(tr + 28 + 88 + to + from, first);
        assertEquals(1, model.translationRequests());

        model.issue(write(0x1040), 10_000);
        final long second = model.complete(hit);
        assertEquals(10_000 + atc + 88 + to + from, second, "an ATC hit skips the IOMMU's translation");
        assertEquals(1, model.deviceTlbCounts()[0]);
        assertEquals(1, model.deviceTlbCounts()[1]);

        // The invalidation comes while the second write is in flight: the device answers once it is done.
        final long invalidation = model.atsInvalidation(DEVICE);
        assertEquals(second - (10_000 + atc) + 24 + roundTrip - roundTrip / 2, invalidation,
            "the Invalidate Request down, the write drained, the Completion (24 bytes) up");
        model.device(0x2000, new DeviceDmaParameters(8, 256, 0, 0, 0, 0, 0), true);
        assertEquals(32 + roundTrip / 2 + 24 + roundTrip - roundTrip / 2, model.atsInvalidation(0x2000),
            "a device with nothing in flight: 32 bytes down, the round trip, 24 bytes up");
        assertEquals(2, model.atsInvalidations());
        model.issue(write(0x1080), 20_000);
        model.complete(hit);
        assertEquals(2, model.deviceTlbCounts()[1], "the ATC was emptied");
        assertEquals(0, model.atsInvalidation(0x3000), "a device without ATS has nothing to invalidate");
    }

    @Test
    void aTranslationRequestFromTheTraceCostsItsCompletionOnTheLink()
    {
        final TimingModel model = new TimingModel(NO_MICRO, address -> false);
        model.device(DEVICE, new DeviceDmaParameters(8, 256, 4, 0, 0, 0, 0), false);
        request.set(DEVICE, 0x1000, false).length(8).addressType(AddressType.TRANSLATION_REQUEST);
        model.issue(request, 0);
        final long done = model.complete(hit);
        assertEquals(24 + NO_MICRO.ats().roundTrip() + NO_MICRO.caches().iotlb().hitLatency(), done);
        assertEquals(done + 28, model.releaseCycle(), "the Translation Completion (20 + 8 bytes) frees the tag");
    }

    @Test
    void withoutAnIommuARequestOnlyCrossesTheLink()
    {
        final TimingModel model = new TimingModel(NO_MICRO, address -> false);
        model.device(DEVICE, new DeviceDmaParameters(0, 256, 1, 0, 0, 0, 0), false);
        model.issue(read(0x1000), 0);
        assertEquals(NO_MICRO.link().toIommuLatency() + NO_MICRO.link().fromIommuLatency(), model.completeUntranslated());
        assertEquals(16 + NO_MICRO.memory().dmaReadLatency(), model.releaseCycle());
    }

    private static CacheGeometry micro(final boolean enabled, final int latency, final int slots)
    {
        final CacheGeometry m = GEM5.caches().microTlb();
        return new CacheGeometry(enabled, m.entries(), m.ways(), m.replacement(), latency, slots);
    }

    private static CacheParameters deviceTlb(final TimingProfile profile)
    {
        final CacheParameters c = profile.caches();
        final CacheGeometry d = c.deviceTlb();
        return new CacheParameters(c.microTlb(), c.iotlb(), new CacheGeometry(true, d.entries(), d.ways(), d.replacement(),
            d.hitLatency(), d.slots()), c.context(), c.pasid(), c.walk(), c.nested(), c.seed());
    }

    private static TimingProfile withCaches(final TimingProfile profile, final CacheGeometry microTlb)
    {
        final CacheParameters c = profile.caches();
        return withCaches(profile, new CacheParameters(microTlb, c.iotlb(), c.deviceTlb(), c.context(), c.pasid(), c.walk(),
            c.nested(), c.seed()));
    }

    private static TimingProfile withCaches(final TimingProfile profile, final CacheParameters caches)
    {
        return new TimingProfile("test", "", profile.clock(), profile.link(), caches, profile.memory(), profile.rmp(),
            profile.concurrency(), profile.walker(), profile.ats());
    }

    private static TimingProfile withConcurrency(final TimingProfile profile, final ConcurrencyParameters concurrency)
    {
        return new TimingProfile("test", "", profile.clock(), profile.link(), profile.caches(), profile.memory(), profile.rmp(),
            concurrency, profile.walker(), profile.ats());
    }
}
