package org.iommuemu.emulator.timing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import org.agrona.collections.Int2ObjectHashMap;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.cache.WalkCacheProbeListener;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.MemoryAccessListener;

/**
 * The cycle-approximate cost of each request and, through the devices' DMA engines, what those costs do to DMA
 * throughput (docs/timing.md). The model sits on the emulated memory as its {@link MemoryAccessListener}, so it
 * sees every table fetch the functional model makes (device-table and context entries, PASID entries, page-table
 * entries, RMP entries) and prices each through the profile's memory model; it listens to the page-walk caches'
 * probes ({@link WalkCacheProbeListener}).
 * <p>
 * A request of a replay goes through four stages:
 * <pre>
 *   device   issue     = max(trace timestamp, engine free, a tag (read) or a posted credit (write), ATC lookup)
 *                        then the request's bytes on the device's link
 *   IOMMU    at IOMMU  = the IOMMU's input port (link.serialization per beat) + link.to-iommu
 *            start     = max(at IOMMU, a translation slot, one of the device's translation slots)
 *            looked up = micro-TLB (a hit skips the IOTLB) or IOTLB lookup, each in a free lookup slot;
 *                        a hit on a page whose walk is still in flight waits for it (duplicate-miss merging)
 *            walked    = a free walker, a context-cache lookup (and a PASID-cache lookup with a PASID, and the
 *                        nested-cache lookups), then per walk-cache probe a walk-cache slot and its latency, per
 *                        table fetch (before + a PTE request slot + memory latency + after), each in its slots
 *            checked   = + RMP entry fetches + rmp.check-latency
 *            done      = + link.from-iommu, and not before the device's earlier posted write (PCIe ordering)
 *   device   released  = a write's credit returns at done; a read's data leaves the root complex read-latency
 *                        later and its completions take the link back; the tag is free when the last one is in
 * </pre>
 * A device TLB (ATS) hit skips the IOMMU's translation; a miss first sends a Translation Request and waits for the
 * completion. Everything is a function of the trace and the profile: the model is deterministic. Nothing here
 * allocates per request once each requester has been seen.
 * <p>
 * Use, per request: {@link #issue} (closed loop: the device's engine decides when the request leaves) or
 * {@link #begin} (open loop: the request arrives when the caller says), then the functional model handles it,
 * then {@link #complete}.
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
    private static final long UNIT_EXACT = 1L << 53;
    /** The events of one request (probes and fetches in the order the functional model made them). */
    private static final int MAX_EVENTS = 256;
    private static final int EVENT_PROBE = -1;
    private static final int EVENT_RMP = 1 << 30;

    private final TimingProfile profile;
    private final AddressClassifier classifier;
    private final int lineShift;
    private final long[] recentTags;
    private final int recentSetMask;
    private final SplittableRandom random;
    /** The IOMMU's translation slots; kept only once a second device (or an open-loop request) came, see {@link #alone}. */
    private final FreeAtQueue slots;
    private DeviceEngine soleEngine;
    private boolean sharedSlots;
    private final FreeAtQueue walkers;
    /**
     * The IOMMU's input port and the IOTLB's lookup slots: shared by every device, whose requests are priced in trace
     * order but may arrive out of time order (devices throttled differently), so booked on calendars.
     */
    private final SlotCalendar port;
    private final SlotCalendar iotlbSlots;
    private final SlotCalendar walkSlots;
    private final SlotCalendar pteRequests;
    private final PendingFills pending = new PendingFills();
    private final Int2ObjectHashMap<DeviceEngine> engines = new Int2ObjectHashMap<>();
    private DeviceEngine lastEngine;
    private DeviceDmaParameters defaultDma = DeviceDmaParameters.DEFAULT;
    private final double frequencyGhz;
    private final boolean unitFrequency;
    private final int toIommu;
    private final int fromIommu;
    private final int serialization;
    private final int portWidth;
    private final int portWidthShift;
    private final boolean carriesPayload;
    private final int iotlbLatency;
    private final int microTlbLatency;
    private final boolean microTlbOn;
    private final int deviceTlbLatency;
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
    private final boolean mergeDuplicates;
    private final boolean orderSameId;

    // The configuration caches a walk looks up (gem5: after a TLB miss): the context (DTE) cache once, the PASID cache
    // once for a request with a PASID; each in its slots.
    private final SlotCalendar contextSlots;
    private final int contextLatency;
    private final boolean contextEnabled;
    private final SlotCalendar pasidSlots;
    private final int pasidLatency;
    private final boolean pasidEnabled;
    // The nested (stage-2 result) caches, when the profile enables them: the functional model's lookups are counted.
    private TranslationCache[] tracked = new TranslationCache[0];
    private long[] trackedLookups = new long[0];
    private SlotCalendar nestedSlots;
    private int nestedLatency;

    // The request in progress.
    private final int[] events = new int[MAX_EVENTS];
    private int eventCount;
    private long overflowCycles;
    private DeviceEngine engine;
    private int requesterId;
    private long address;
    private int length;
    private boolean posted;
    private boolean hasPasid;
    private AddressType type;
    private boolean atcHit;
    private boolean atcMiss;
    private long earliest;
    private long issued;
    private long onLink;
    private long release;
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
    private long mergedMisses;
    private long duplicateWalks;
    private long orderingWaits;
    private long deviceWaits;
    /** Which wait counters {@link #issue} raised for the request begun last (bits below), for {@link #abandon}. */
    private int waitCauses;
    private static final int WAITED_FOR_TAG = 1;
    private static final int WAITED_FOR_CREDIT = 2;
    private static final int WAITED_FOR_LINK = 4;
    private static final int WAITED = 8;
    private long lastCompletion;
    private long lastRelease;
    private long now;
    private long atsInvalidations;
    private long atsInvalidationCycles;
    private long translationRequests;

    public TimingModel(final TimingProfile profile, final AddressClassifier classifier)
    {
        this.profile = profile;
        this.classifier = classifier;
        final MemoryParameters memory = profile.memory();
        this.lineShift = Integer.numberOfTrailingZeros(memory.lineBytes());
        final int sets = Math.max(1, Integer.highestOneBit(Math.max(1, memory.recentLines() / RECENT_WAYS)));
        this.recentTags = new long[sets * RECENT_WAYS];
        Arrays.fill(recentTags, -1L);
        this.recentSetMask = sets - 1;
        this.random = new SplittableRandom(memory.seed());
        this.probabilistic = memory.model() == MemoryModel.LLC_PROBABILITY;
        this.llcProbability = memory.llcHitProbability();
        this.llcLatency = memory.llcHitLatency();
        this.dramLatency = memory.dramLatency();
        final ConcurrencyParameters concurrency = profile.concurrency();
        this.slots = new FreeAtQueue(concurrency.translationsInFlight());
        this.walkers = new FreeAtQueue(concurrency.concurrentWalkers());
        this.pteRequests = new SlotCalendar(concurrency.pteRequestsPerCycle());
        this.mergeDuplicates = concurrency.mergeDuplicateMisses();
        this.orderSameId = concurrency.orderSameId();
        final CacheParameters caches = profile.caches();
        this.iotlbSlots = new SlotCalendar(caches.iotlb().slots());
        this.contextSlots = new SlotCalendar(caches.context().slots());
        this.contextLatency = caches.context().hitLatency();
        this.contextEnabled = caches.context().enabled();
        this.pasidSlots = new SlotCalendar(caches.pasid().slots());
        this.pasidLatency = caches.pasid().hitLatency();
        this.pasidEnabled = caches.pasid().enabled();
        this.walkSlots = new SlotCalendar(caches.walk().slots());
        this.port = new SlotCalendar(1);
        this.frequencyGhz = profile.clock().frequencyGhz();
        this.unitFrequency = frequencyGhz == 1.0;
        final LinkParameters link = profile.link();
        this.toIommu = link.toIommuLatency();
        this.fromIommu = link.fromIommuLatency();
        this.serialization = link.serialization();
        this.portWidth = link.portWidthBytes();
        this.portWidthShift = Integer.numberOfTrailingZeros(link.portWidthBytes());
        this.carriesPayload = link.carriesPayload();
        this.iotlbLatency = caches.iotlb().hitLatency();
        this.microTlbLatency = caches.microTlb().hitLatency();
        this.microTlbOn = caches.microTlb().enabled();
        this.deviceTlbLatency = caches.deviceTlb().hitLatency();
        this.beforeFetch = profile.walker().cyclesBeforeFetch();
        this.afterFetch = profile.walker().cyclesAfterFetch();
        this.walkProbeLatency = caches.walk().hitLatency();
        this.rmpThroughMemory = profile.rmp().fetchThroughMemory();
        this.rmpFixedLatency = profile.rmp().fixedFetchLatency();
        this.rmpCheckLatency = profile.rmp().checkLatency();
        this.atsRoundTrip = profile.ats().roundTrip();
    }

    public TimingProfile profile()
    {
        return profile;
    }

    /**
     * Price the lookups the functional model makes in its nested (stage-2 result) caches when the profile enables them:
     * each lookup of a request that walks costs {@code caches.nested.hit-latency} in one of its {@code slots}. (The
     * context and PASID caches are priced once per walk, as gem5 looks its configuration cache up after a TLB miss.)
     * Call once, before traffic.
     */
    public void trackCaches(final List<TranslationCache> caches)
    {
        final List<TranslationCache> chosen = new ArrayList<>();
        if (profile.caches().nested().enabled())
        {
            for (final TranslationCache cache : caches)
            {
                if (cache.role() == CacheRole.NESTED)
                {
                    chosen.add(cache);
                }
            }
        }
        tracked = chosen.toArray(new TranslationCache[0]);
        trackedLookups = new long[tracked.length];
        nestedSlots = new SlotCalendar(profile.caches().nested().slots());
        nestedLatency = profile.caches().nested().hitLatency();
    }

    /**
     * Describe a device: its DMA engine's limits and whether it uses ATS (then it keeps an ATC sized by the profile's
     * {@code caches.device-tlb}, when that cache is enabled). Call before its first request.
     */
    public void device(final int requesterId, final DeviceDmaParameters dma, final boolean ats)
    {
        engines.put(requesterId, new DeviceEngine(requesterId, dma, ats, profile));
        lastEngine = null;
    }

    /** The limits of requesters that were not described with {@link #device} (default {@link DeviceDmaParameters#DEFAULT}). */
    public void defaultDevice(final DeviceDmaParameters dma)
    {
        defaultDma = dma;
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

    /**
     * Start a request of a closed-loop replay: its device issues it at the earliest at {@code earliestCycle} (the
     * trace's timestamp), once its DMA engine, a tag (non-posted) or a posted credit (write), and its link are free.
     *
     * @return the cycle the request is on the link (its last byte sent): from here the link and the IOMMU take over.
     *         {@link #issued()} is when it started, {@link #waitCycles()} how long it waited before that.
     */
    public long issue(final DmaRequest request, final long earliestCycle)
    {
        start(request);
        final DeviceEngine e = engine(request.requesterId());
        if (engine != e)
        {
            // The reference only when it changes: a reference store costs the collector's write barriers.
            engine = e;
        }
        earliest = earliestCycle;
        waitCauses = 0;
        long t = Math.max(earliestCycle, e.nextIssue);
        if (posted)
        {
            if (e.postedCredits != null && e.postedCredits.earliest() > t)
            {
                t = e.postedCredits.earliest();
                e.waitedForCredit++;
                waitCauses |= WAITED_FOR_CREDIT;
            }
        }
        else
        {
            if (e.tags != null && e.tags.earliest() > t)
            {
                t = e.tags.earliest();
                e.waitedForTag++;
                waitCauses |= WAITED_FOR_TAG;
            }
            if (e.completionUnits != null && type != AddressType.TRANSLATION_REQUEST)
            {
                final long units = e.completionUnits.earliest(DeviceEngine.completionUnits(length));
                t = Math.max(t, units);
            }
        }
        if (e.ats && type == AddressType.UNTRANSLATED)
        {
            t = deviceTlbLookup(e, t);
        }
        final int bytes = DeviceDmaParameters.REQUEST_OVERHEAD_BYTES + (request.isWrite() ? length : 0);
        if (atcMiss)
        {
            // The Translation Request goes first; the request itself follows its completion (see complete()).
            t = Math.max(t, e.upstreamFree);
            onLink = e.sendUpstream(t, DeviceDmaParameters.REQUEST_OVERHEAD_BYTES);
        }
        else
        {
            if (e.upstreamFree > t)
            {
                e.waitedForLink++;
                waitCauses |= WAITED_FOR_LINK;
                t = e.upstreamFree;
            }
            onLink = e.sendUpstream(t, bytes);
        }
        e.issued(t, length);
        e.requests++;
        if (t > earliestCycle)
        {
            e.waited++;
            deviceWaits++;
            waitCauses |= WAITED;
        }
        issued = t;
        now = Math.max(now, t);
        return onLink;
    }

    /**
     * Start a request that arrives at the IOMMU's link at {@code arrivalCycle} whatever its device has in flight (an
     * open-loop request: co-simulation, single measurements).
     */
    public void begin(final DmaRequest request, final long arrivalCycle)
    {
        start(request);
        if (engine != null)
        {
            engine = null;
        }
        waitCauses = 0;
        earliest = arrivalCycle;
        issued = arrivalCycle;
        onLink = arrivalCycle;
        now = Math.max(now, arrivalCycle);
    }

    private void start(final DmaRequest request)
    {
        requesterId = request.requesterId();
        address = request.address();
        length = request.length();
        final AddressType requestType = request.addressType();
        if (type != requestType)
        {
            type = requestType;
        }
        hasPasid = request.hasPasid();
        posted = (request.access() & Permissions.READ) == 0 && requestType != AddressType.TRANSLATION_REQUEST;
        atcHit = false;
        atcMiss = false;
        if (eventCount != 0)
        {
            // Every fetch and probe is an event (or overflows MAX_EVENTS, which leaves eventCount there): without
            // one the request's counters are still 0.
            eventCount = 0;
            overflowCycles = 0;
            tableFetches = 0;
            walkCacheProbes = 0;
            rmpFetches = 0;
            llcHits = 0;
        }
        for (int i = 0; i < tracked.length; i++)
        {
            trackedLookups[i] = tracked[i].lookups();
        }
        active = true;
    }

    /**
     * Finish the request begun last, after the functional model handled it.
     *
     * @param outcome the functional outcome: its IOTLB hit (and, for ATS devices, its page size) matter.
     * @return the cycle its translation is complete and back at the device side of the link.
     */
    public long complete(final RequestOutcome outcome)
    {
        active = false;
        final long done;
        // The common case in a method of its own, small enough to inline: an untranslated request that hit the IOTLB
        // and read nothing from memory.
        if (eventCount == 0 && type == AddressType.UNTRANSLATED && !atcHit && !atcMiss && !microTlbOn && outcome.iotlbHit())
        {
            done = ordered(hit());
        }
        else
        {
            done = ordered(other(outcome));
            totalTableFetches += tableFetches;
            totalWalkCacheProbes += walkCacheProbes;
            totalRmpFetches += rmpFetches;
            totalLlcHits += llcHits;
        }
        release = release(done);
        if (done > lastCompletion)
        {
            lastCompletion = done;
        }
        if (release > lastRelease)
        {
            lastRelease = release;
        }
        return done;
    }

    /** An untranslated IOTLB hit without table or RMP fetches: the port, a slot, the IOTLB lookup, the link back. */
    private long hit()
    {
        final DeviceEngine e = engine;
        final long atIommu = portArrival(onLink) + toIommu;
        final boolean alone = alone(e);
        long t = slotFree(atIommu, e, alone);
        t = iotlbSlots.reserve(t, iotlbLatency) + iotlbLatency;
        if (pending.pendingAfter(requesterId, address, t))
        {
            t = pendingWalk(t);
        }
        t += fromIommu;
        slotsTaken(t, e, alone);
        return t;
    }

    /** Everything but {@link #hit()}: translated requests, ATS, the micro-TLB, misses, walks, RMP checks. */
    private long other(final RequestOutcome outcome)
    {
        final boolean iotlbHit = outcome.iotlbHit();
        if (type == AddressType.TRANSLATED || atcHit)
        {
            return checkOnly(onLink);
        }
        if (atcMiss)
        {
            // Translation Request, its completion back on the link, then the request itself, translated.
            final long translated = translate(onLink, iotlbHit, atsRoundTrip >>> 1, atsRoundTrip - (atsRoundTrip >>> 1), true);
            final DeviceEngine e = engine;
            final long answered = e.sendDownstream(translated, DeviceDmaParameters.COMPLETION_OVERHEAD_BYTES +
                DeviceDmaParameters.TRANSLATION_COMPLETION_BYTES);
            final long sent = e.sendUpstream(answered, DeviceDmaParameters.REQUEST_OVERHEAD_BYTES + (posted ? length : 0));
            if (outcome.isOk())
            {
                e.atcFill(address, outcome.pageSizeLg2());
            }
            translationRequests++;
            return checkOnly(sent);
        }
        if (type == AddressType.TRANSLATION_REQUEST)
        {
            translationRequests++;
            return translate(onLink, iotlbHit, atsRoundTrip >>> 1, atsRoundTrip - (atsRoundTrip >>> 1), false);
        }
        return translate(onLink, iotlbHit, toIommu, fromIommu, false);
    }

    /**
     * Whether the request's device is the only one whose requests the IOMMU has translated so far (and no open-loop
     * request came): then the IOMMU's translation slots would hold exactly the values of the device's own (see
     * {@link DeviceEngine#translations}), and only those are kept. The first request of another device, or one
     * without a device, makes the IOMMU's pool a copy of them, kept from then on.
     */
    private boolean alone(final DeviceEngine e)
    {
        if (!sharedSlots)
        {
            if (e != null && (soleEngine == null || soleEngine == e))
            {
                if (soleEngine == null)
                {
                    soleEngine = e;
                }
                return true;
            }
            if (soleEngine != null)
            {
                slots.copyLatest(soleEngine.translations);
            }
            sharedSlots = true;
        }
        return false;
    }

    /** Keep the IOMMU's translation slots from the first request on (tests compare the two ways). */
    void shareSlotsFromStart()
    {
        sharedSlots = true;
    }

    /** When a translation slot (the IOMMU's and the device's) is free for a request at the IOMMU at {@code atIommu}. */
    private long slotFree(final long atIommu, final DeviceEngine e, final boolean alone)
    {
        // Alone, the device's pool answers for the IOMMU's too (alone implies a device).
        long t = alone ? atIommu : Math.max(atIommu, slots.earliest());
        if (e != null)
        {
            t = Math.max(t, e.translations.at(e.limitOffset));
        }
        if (t > atIommu)
        {
            queuedForSlot++;
        }
        return t;
    }

    /** The request holds its translation slots until {@code t}. */
    private void slotsTaken(final long t, final DeviceEngine e, final boolean alone)
    {
        if (!alone)
        {
            slots.replaceEarliest(t);
        }
        if (e != null)
        {
            e.translations.replaceEarliest(t);
        }
    }

    /** A hit on a page whose walk is still in flight: wait for it (merging) or walk the page again. */
    private long pendingWalk(final long t)
    {
        if (mergeDuplicates)
        {
            mergedMisses++;
            return pending.filledAt() + iotlbLatency;
        }
        final long walkStart = Math.max(t, walkers.earliest());
        if (walkStart > t)
        {
            queuedForWalker++;
        }
        final long walked = walkStart + pending.walkCycles();
        walkers.replaceEarliest(walked);
        duplicateWalks++;
        totalWalks++;
        return walked;
    }

    /**
     * Drop the request begun last without pricing it in the IOMMU: it occupies no translation slot or walker and adds
     * nothing to the totals (a request the IOMMU model took for an interrupt request, which the timing model does not
     * price). What its device did to send it (engine, link) stays booked; it holds no tag or credit afterwards. Its
     * fetches, if any, stay in the recent-lines state: they did happen.
     */
    public void abandon()
    {
        active = false;
        release = onLink;
        // Its device still sent it, but the waits are counted for the requests the IOMMU prices (the summary's
        // "queued in the device" and its causes count DMA requests).
        final DeviceEngine e = engine;
        if (e != null && waitCauses != 0)
        {
            e.waitedForTag -= waitCauses & WAITED_FOR_TAG;
            e.waitedForCredit -= (waitCauses & WAITED_FOR_CREDIT) >> 1;
            e.waitedForLink -= (waitCauses & WAITED_FOR_LINK) >> 2;
            if ((waitCauses & WAITED) != 0)
            {
                e.waited--;
                deviceWaits--;
            }
            waitCauses = 0;
        }
    }

    /**
     * Finish the request begun last as if there were no IOMMU (the calibration's "IOMMU off" curves): it crosses the
     * link to the root complex and back, and nothing else.
     */
    public long completeUntranslated()
    {
        active = false;
        final long done = ordered(onLink + toIommu + fromIommu);
        release = release(done);
        lastCompletion = Math.max(lastCompletion, done);
        lastRelease = Math.max(lastRelease, release);
        return done;
    }

    /** Through the IOMMU's input port: the cycle a request fully on the link at {@code onLink} reaches the IOMMU. */
    private long portArrival(final long onLink)
    {
        final int beats = carriesPayload && posted ? Math.max(1, (length + portWidth - 1) >>> portWidthShift) : 1;
        return port.reserve(onLink, beats * serialization);
    }

    /**
     * The IOMMU's translation of the request: slots, the micro-TLB or IOTLB, hazards, the walk, the RMP check.
     *
     * @param to   cycles of the link crossing to the IOMMU (link.to-iommu; half the ATS round trip for a translation
     *             request).
     * @param from cycles of the crossing back.
     * @param forTranslationRequest the translation is a Translation Request an ATS device sent for this request: its
     *                              RMP fetches belong to the translated request that follows.
     * @return the cycle the answer is back at the device side of the link.
     */
    private long translate(final long onLink, final boolean iotlbHit, final int to, final int from,
        final boolean forTranslationRequest)
    {
        final long atIommu = portArrival(onLink) + to;
        final DeviceEngine e = engine;
        final boolean alone = alone(e);
        long t = slotFree(atIommu, e, alone);
        boolean looked = false;
        if (e != null && e.microTlb != null)
        {
            // gem5's micro-TLB in front of the IOTLB; its hit stands only where the IOTLB (the functional truth) hits.
            t = Math.max(t, e.microSlots.earliest());
            e.microSlots.replaceEarliest(t + microTlbLatency);
            t += microTlbLatency;
            if (iotlbHit && e.microTlbHolds(address))
            {
                e.microTlbHits++;
                looked = true;
            }
        }
        if (!looked)
        {
            t = iotlbSlots.reserve(t, iotlbLatency) + iotlbLatency;
        }
        final boolean walks = tableFetchEvents() > 0 || walkCacheProbes > 0;
        if (iotlbHit && !walks && pending.pendingAfter(requesterId, address, t))
        {
            // The page's walk, started by an earlier request, is still in flight.
            t = pendingWalk(t);
        }
        else if (walks)
        {
            t = walk(t);
        }
        if (!forTranslationRequest)
        {
            t = rmpCheck(t);
        }
        t += from;
        slotsTaken(t, e, alone);
        if (e != null && e.microTlb != null)
        {
            e.microTlbFill(address);
        }
        return t;
    }

    /** A request that needs no translation (a translated request, an ATC hit): the port, the RMP check, the link. */
    private long checkOnly(final long onLink)
    {
        long t = portArrival(onLink) + toIommu;
        if (tableFetchEvents() > 0)
        {
            // A translated request still looks up its device's entry (AMD-Vi checks DTE.I): fetches priced in order.
            for (int i = 0; i < eventCount; i++)
            {
                final int event = events[i];
                if (event >= 0 && (event & EVENT_RMP) == 0)
                {
                    t += beforeFetch + event + afterFetch;
                }
            }
        }
        t = rmpCheck(t);
        return t + fromIommu;
    }

    /** The walk from {@code t}: a walker, then each probe and fetch in order in its slots. */
    private long walk(final long t)
    {
        final long walkStart = Math.max(t, walkers.earliest());
        if (walkStart > t)
        {
            queuedForWalker++;
        }
        long w = walkStart;
        if (contextEnabled)
        {
            w = contextSlots.reserve(w, contextLatency) + contextLatency;
        }
        if (pasidEnabled && hasPasid)
        {
            w = pasidSlots.reserve(w, pasidLatency) + pasidLatency;
        }
        for (int i = 0; i < tracked.length; i++)
        {
            final long lookups = tracked[i].lookups() - trackedLookups[i];
            for (long k = 0; k < lookups; k++)
            {
                w = nestedSlots.reserve(w, nestedLatency) + nestedLatency;
            }
        }
        // Consecutive probes (deepest cached level first) hold one walk-cache slot for all their cycles: one booking.
        int probes = 0;
        for (int i = 0; i < eventCount; i++)
        {
            final int event = events[i];
            if (event == EVENT_PROBE)
            {
                probes++;
            }
            else if ((event & EVENT_RMP) == 0)
            {
                if (probes != 0)
                {
                    w = probe(w, probes);
                    probes = 0;
                }
                w += beforeFetch;
                w = pteRequests.reserve(w, 1);
                w += event + afterFetch;
            }
        }
        if (probes != 0)
        {
            w = probe(w, probes);
        }
        w += overflowCycles;
        walkers.replaceEarliest(w);
        totalWalks++;
        pending.walked(requesterId, address, w, w - walkStart);
        return w;
    }

    /** {@code probes} walk-cache probes from {@code w}, one after the other in one walk-cache slot. */
    private long probe(final long w, final int probes)
    {
        final int hold = probes * walkProbeLatency;
        return walkSlots.reserve(w, hold) + hold;
    }

    /** The RMP entry fetches of the request (through the PTE request port) and the check. */
    private long rmpCheck(final long t)
    {
        if (rmpFetches == 0)
        {
            return t;
        }
        long r = t;
        for (int i = 0; i < eventCount; i++)
        {
            final int event = events[i];
            if (event != EVENT_PROBE && (event & EVENT_RMP) != 0)
            {
                if (rmpThroughMemory)
                {
                    r = pteRequests.reserve(r, 1);
                }
                r += event & ~EVENT_RMP;
            }
        }
        return r + rmpCheckLatency;
    }

    private int tableFetchEvents()
    {
        return tableFetches;
    }

    /** PCIe ordering for one requester: a posted write is not passed on before an earlier one; a read not before either. */
    private long ordered(final long done)
    {
        final DeviceEngine e = engine;
        if (!orderSameId || e == null)
        {
            return done;
        }
        long t = done;
        if (e.lastPosted > t)
        {
            t = e.lastPosted;
            orderingWaits++;
        }
        if (posted)
        {
            e.lastPosted = t;
        }
        return t;
    }

    /** When the device has its tag or credit back: {@code done} for a write, the last completion for a read. */
    private long release(final long done)
    {
        final DeviceEngine e = engine;
        if (e == null)
        {
            return done;
        }
        final long released;
        if (posted)
        {
            released = done;
            if (e.postedCredits != null)
            {
                e.postedCredits.replaceEarliest(released);
            }
        }
        else
        {
            final boolean translationOnly = type == AddressType.TRANSLATION_REQUEST;
            final long ready = translationOnly ? done : done + e.readLatency;
            released = e.sendDownstream(ready, translationOnly ?
                DeviceDmaParameters.COMPLETION_OVERHEAD_BYTES + DeviceDmaParameters.TRANSLATION_COMPLETION_BYTES :
                e.completionBytes(length));
            if (e.tags != null)
            {
                e.tags.replaceEarliest(released);
            }
            if (e.completionUnits != null && !translationOnly)
            {
                e.completionUnits.replaceEarliest(released, DeviceEngine.completionUnits(length));
            }
        }
        e.lastRelease = Math.max(e.lastRelease, released);
        return released;
    }

    /** The ATC lookup of an ATS device before it sends an untranslated request; sets {@link #atcHit} or {@link #atcMiss}. */
    private long deviceTlbLookup(final DeviceEngine e, final long t)
    {
        final long start = Math.max(t, e.atcSlots.earliest());
        e.atcSlots.replaceEarliest(start + deviceTlbLatency);
        if (e.atcHolds(address))
        {
            atcHit = true;
            e.atcHits++;
        }
        else
        {
            atcMiss = true;
            e.atcMisses++;
        }
        return start + deviceTlbLatency;
    }

    /**
     * An ATS invalidation of {@code requesterId}'s ATC (the driver invalidated a range its domain maps): the Invalidate
     * Request crosses the link down, the device answers once what it has in flight is done, and the Invalidation
     * Completion crosses back; the ATC is emptied. Nothing happens for a device without ATS.
     *
     * @return the round trip in cycles, or 0 for a device without ATS.
     */
    public long atsInvalidation(final int requesterId)
    {
        final DeviceEngine e = engine(requesterId);
        if (!e.ats)
        {
            return 0;
        }
        final long start = now;
        final long delivered = e.sendDownstream(start, DeviceDmaParameters.REQUEST_OVERHEAD_BYTES +
            DeviceDmaParameters.INVALIDATE_REQUEST_BYTES);
        final long atDevice = Math.max(delivered + (atsRoundTrip >>> 1), e.lastRelease);
        final long done = e.sendUpstream(atDevice, DeviceDmaParameters.REQUEST_OVERHEAD_BYTES) + atsRoundTrip - (atsRoundTrip >>> 1);
        e.atcFlush();
        atsInvalidations++;
        atsInvalidationCycles += done - start;
        return done - start;
    }

    private DeviceEngine engine(final int requester)
    {
        final DeviceEngine last = lastEngine;
        if (last != null && last.requesterId == requester)
        {
            return last;
        }
        DeviceEngine e = engines.get(requester);
        if (e == null)
        {
            e = new DeviceEngine(requester, defaultDma, false, profile);
            engines.put(requester, e);
        }
        lastEngine = e;
        return e;
    }

    /** The cycle the request begun last started to leave its device ({@link #issue}) or arrived ({@link #begin}). */
    public long issued()
    {
        return issued;
    }

    /** Cycles the last request waited in its device before it could leave (tags, credits, engine, link). */
    public long waitCycles()
    {
        return issued - earliest;
    }

    /**
     * When the last request was done for its device: a write's credit returned, a read's (or translation request's)
     * last completion received.
     */
    public long releaseCycle()
    {
        return release;
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

    /** Walk-cache probes of the request just completed. */
    public int walkCacheProbes()
    {
        return walkCacheProbes;
    }

    public long totalTableFetches()
    {
        return totalTableFetches;
    }

    public long totalRmpFetches()
    {
        return totalRmpFetches;
    }

    /** Walk-cache probes of every request so far. */
    public long totalWalkCacheProbes()
    {
        return totalWalkCacheProbes;
    }

    /** Fetches (table and RMP) the memory model priced as LLC hits. */
    public long totalLlcHits()
    {
        return totalLlcHits;
    }

    /** Requests that walked (fetched table entries or probed a walk cache), duplicate walks included. */
    public long totalWalks()
    {
        return totalWalks;
    }

    /** Requests that waited for a translation slot (the IOMMU's or their device's). */
    public long queuedForSlot()
    {
        return queuedForSlot;
    }

    /** Requests that waited for a free walker. */
    public long queuedForWalker()
    {
        return queuedForWalker;
    }

    /** IOTLB hits that waited for a walk of their page still in flight (duplicate-miss merging). */
    public long mergedMisses()
    {
        return mergedMisses;
    }

    /** Requests that walked a page another request was walking (merging off). */
    public long duplicateWalks()
    {
        return duplicateWalks;
    }

    /** Requests held back by PCIe ordering behind an earlier posted write of their device. */
    public long orderingWaits()
    {
        return orderingWaits;
    }

    /** Requests that waited in their device before leaving (closed loop). */
    public long deviceWaits()
    {
        return deviceWaits;
    }

    /** Device waits by cause, summed over devices: {tag, posted credit, link}. */
    public long[] deviceWaitCauses()
    {
        final long[] causes = new long[3];
        for (final DeviceEngine e : engines.values())
        {
            causes[0] += e.waitedForTag;
            causes[1] += e.waitedForCredit;
            causes[2] += e.waitedForLink;
        }
        return causes;
    }

    /** ATC hits and misses of ATS devices, summed: {hits, misses}. */
    public long[] deviceTlbCounts()
    {
        final long[] counts = new long[2];
        for (final DeviceEngine e : engines.values())
        {
            counts[0] += e.atcHits;
            counts[1] += e.atcMisses;
        }
        return counts;
    }

    /** Micro-TLB hits, summed over devices. */
    public long microTlbHits()
    {
        long hits = 0;
        for (final DeviceEngine e : engines.values())
        {
            hits += e.microTlbHits;
        }
        return hits;
    }

    /** Translation Requests priced (from the trace, or sent by ATS devices on an ATC miss). */
    public long translationRequests()
    {
        return translationRequests;
    }

    public long atsInvalidations()
    {
        return atsInvalidations;
    }

    /** Cycles of all ATS invalidation round trips together. */
    public long atsInvalidationCycles()
    {
        return atsInvalidationCycles;
    }

    /** Bookings of a lookup, walk-cache, PTE-request or port slot that had to wait for a free one. */
    public long slotWaits()
    {
        long waits = iotlbSlots.waited() + walkSlots.waited() + pteRequests.waited() + port.waited();
        waits += contextSlots.waited() + pasidSlots.waited() + (nestedSlots == null ? 0 : nestedSlots.waited());
        return waits;
    }

    public long lastCompletion()
    {
        return lastCompletion;
    }

    /** The last release of any request (the end of the simulated DMA). */
    public long lastRelease()
    {
        return lastRelease;
    }

    /** A page-walk cache was probed for the request in progress. */
    @Override
    public void onWalkCacheProbe()
    {
        if (active)
        {
            walkCacheProbes++;
            event(EVENT_PROBE, walkProbeLatency);
        }
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
            event(EVENT_RMP | (rmpThroughMemory ? latency : rmpFixedLatency), rmpThroughMemory ? latency : rmpFixedLatency);
        }
        else
        {
            tableFetches++;
            event(latency, beforeFetch + latency + afterFetch);
        }
    }

    /** Record one event; beyond {@link #MAX_EVENTS} its cycles are added without slot bookings. */
    private void event(final int event, final int cycles)
    {
        if (eventCount < MAX_EVENTS)
        {
            events[eventCount++] = event;
        }
        else
        {
            overflowCycles += cycles;
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

    /**
     * LRU lookup-and-insert of a line in the recent-lines structure; true on a hit. Each set keeps its lines from the
     * most to the least recently used: a line found moves to the front, a new one goes in at the front and the least
     * recently used falls off the end.
     */
    private boolean touchLine(final long line)
    {
        final long[] tags = recentTags;
        final int set = (int)(mix(line) & recentSetMask) * RECENT_WAYS;
        final int end = set + RECENT_WAYS;
        int way = set;
        while (way < end && tags[way] != line)
        {
            way++;
        }
        final boolean hit = way < end;
        System.arraycopy(tags, set, tags, set + 1, (hit ? way : end - 1) - set);
        tags[set] = line;
        return hit;
    }

    private static long mix(final long line)
    {
        final long h = line * 0x9E37_79B9_7F4A_7C15L;
        return h ^ (h >>> 29);
    }
}
