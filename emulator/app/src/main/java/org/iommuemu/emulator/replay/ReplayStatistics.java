package org.iommuemu.emulator.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.platform.AccessEffect;
import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * Everything a replay counts: TLPs by class, DMA requests and bytes, outcomes, faults by kind and the effects of
 * requests that succeeded ({@link AccessEffect}: poisoned writes, zero reads), machine checks, IOTLB hits, table
 * and RMP fetches, and latency distributions (HdrHistogram, 3 significant digits) overall and per outcome kind,
 * plus a {@link TimeSeries}. Constant memory; nothing allocates per TLP once every fault and effect kind has been
 * seen once.
 * <p>
 * <b>Machine checks</b> ({@link #machineChecks()}) have one definition: every machine check raised on the platform
 * from its setup to the end of the replay, whatever raised it: a TDI bind ({@link #bindMachineChecks()}), a DMA
 * ({@link #dmaMachineChecks()}: requests whose fault {@link FaultKind#isMachineCheck() is a machine check}; they are
 * also counted among the faults), a TD's own access ({@link #tdAccessMachineChecks()}). The summary, its CSV and the
 * report print this number (docs/replay.md).
 */
public final class ReplayStatistics
{
    /** Highest latency the histograms track, in cycles (larger values are clamped and counted). */
    public static final long MAX_TRACKED_LATENCY = 1L << 40;

    final long[] byClass = new long[TrafficClass.values().length];
    long tlps;
    long dmaRequests;
    long dmaBytes;
    long okBytes;
    long faultBytes;
    long ok;
    long faults;
    long iotlbHits;
    long tableFetches;
    long rmpFetches;
    long clampedLatencies;
    long reservedAt;
    long reservedAtRefused;
    long septBytes;
    long firstArrival = -1;
    long lastCompletion;
    long lastEarliest;
    long deviceWaits;
    long actions;
    long dmaMachineChecks;
    long bindMachineChecks;
    long tdAccessMachineChecks;
    long effects;
    final Histogram latency = new Histogram(MAX_TRACKED_LATENCY, 3);
    /**
     * Cycles requests waited in their device before leaving (closed-loop timing), counted per log-linear bucket: 16
     * buckets per power of two (a value is counted at most 1/16 below its own), since in a saturated replay every
     * wait differs and a histogram update per request costs more than the rest of the timing. Waits of 0 are
     * bucket 0. {@link #deviceWait()} turns the counts into a histogram.
     */
    private final long[] waitBuckets = new long[64 * WAIT_SUB_BUCKETS];
    private static final int WAIT_SUB_BUCKETS = 16;
    private static final int WAIT_SUB_BITS = 4;
    final Histogram okLatency = new Histogram(MAX_TRACKED_LATENCY, 3);
    /**
     * Run-length batching of the two histograms' updates: consecutive equal latencies (every IOTLB hit of a
     * quiet link costs the same) are counted here and recorded with one {@code recordValueWithCount} when the
     * value changes or a histogram is read, which leaves the histograms exactly as one {@code recordValue} per
     * request would. {@code pendingCount} and {@code pendingOkCount} are 0 when nothing is pending.
     */
    private long pendingValue;
    private long pendingCount;
    private long pendingOkValue;
    private long pendingOkCount;
    private final Map<FaultKind, long[]> faultCounts = new IdentityHashMap<>();
    private final Map<FaultKind, Histogram> faultLatency = new IdentityHashMap<>();
    private final List<FaultKind> faultOrder = new ArrayList<>();
    private final Map<AccessEffect, long[]> effectCounts = new IdentityHashMap<>();
    private final List<AccessEffect> effectOrder = new ArrayList<>();
    final TimeSeries series = new TimeSeries(512);
    long guestAccesses;
    long guestAccessesOk;
    private final Map<FaultKind, long[]> guestFaultCounts = new IdentityHashMap<>();
    private final List<FaultKind> guestFaultOrder = new ArrayList<>();
    private Map<String, Long> platformCounters = Map.of();
    private final List<ActionMark> actionMarks = new ArrayList<>();
    private long[] eventCycles = minusOnes(16);
    private int eventCycleCount;

    /** Message TLPs the IOMMU handled, by {@link org.iommuemu.emulator.platform.MessageResult} ordinal. */
    final long[] messageResults = new long[MessageResult.values().length];
    /** The messages the platform's IOMMU sent devices and the page requests its OS answered (set at the end). */
    Platform.MessageCounts messagesSent =
        new Platform.MessageCounts(0, 0, 0, 0, 0);

    void record(final ReplayRecord record, final long pageTableBytes)
    {
        tlps++;
        byClass[record.trafficClass.ordinal()]++;
        if (record.trafficClass != TrafficClass.DMA)
        {
            if (record.trafficClass == TrafficClass.GUEST_ACCESS)
            {
                recordGuestAccess(record);
            }
            if (record.messageResult != null)
            {
                messageResults[record.messageResult.ordinal()]++;
            }
            recordOther(record.index, pageTableBytes);
            return;
        }
        dmaRequests++;
        if (record.request.reservedAt())
        {
            reservedAt++;
        }
        dmaBytes += record.request.length();
        tableFetches += record.tableFetches;
        rmpFetches += record.rmpFetches;
        if (firstArrival < 0 || record.earliestCycle < firstArrival)
        {
            firstArrival = record.earliestCycle;
        }
        lastEarliest = Math.max(lastEarliest, record.earliestCycle);
        lastCompletion = Math.max(lastCompletion, Math.max(record.completionCycle, record.releaseCycle));
        final long wait = record.waitCycles;
        if (wait == 0)
        {
            waitBuckets[0]++;
        }
        else
        {
            waited(wait);
        }
        final long value = clamped(record.latencyCycles());
        if (value != pendingValue)
        {
            latencyChanged(value);
        }
        pendingCount++;
        final boolean hit = record.outcome.iotlbHit();
        iotlbHits += hit ? 1 : 0;
        final boolean isOk = record.outcome.isOk();
        final int faultKind;
        if (isOk)
        {
            ok++;
            okBytes += record.request.length();
            if (value != pendingOkValue)
            {
                okLatencyChanged(value);
            }
            pendingOkCount++;
            final AccessEffect effect = record.outcome.effect();
            if (effect != null)
            {
                recordEffect(effect);
            }
            faultKind = -1;
        }
        else
        {
            faultBytes += record.request.length();
            faultKind = recordFault(record.outcome.fault(), value);
        }
        series.record(record.index, true, hit, faultKind, value, pageTableBytes, record.completionCycle, record.walked,
            record.request.length());
    }

    void messagesSent(final Platform.MessageCounts counts)
    {
        messagesSent = counts;
    }

    void septBytes(final long bytes)
    {
        septBytes = bytes;
    }

    /** Memory in the TDX module's Secure EPT pages at the end (0 without TDX Connect; not in the page-table figure). */
    public long septBytes()
    {
        return septBytes;
    }

    /** The message TLPs the IOMMU handled (page requests, Invalidate Completions) by what it did, in declaration order. */
    public Map<String, Long> messageResults()
    {
        final Map<String, Long> counts = new LinkedHashMap<>();
        for (final MessageResult result : MessageResult.values())
        {
            if (messageResults[result.ordinal()] > 0)
            {
                counts.put(result.label(), messageResults[result.ordinal()]);
            }
        }
        return counts;
    }

    /** What the platform's IOMMU sent devices and how its OS answered page requests. */
    public Platform.MessageCounts messagesSent()
    {
        return messagesSent;
    }

    // The rarer paths of record() in methods of their own keep it small enough for the JIT to inline.

    private long clamped(final long value)
    {
        if (value < 0 || value > MAX_TRACKED_LATENCY)
        {
            if (value < 0)
            {
                throw new IllegalStateException("negative latency " + value + " cycles: completion before arrival");
            }
            clampedLatencies++;
            return MAX_TRACKED_LATENCY;
        }
        return value;
    }

    private void waited(final long cycles)
    {
        deviceWaits++;
        waitBuckets[waitBucket(Math.min(cycles, MAX_TRACKED_LATENCY))]++;
    }

    /** The bucket of a wait of {@code value} cycles: exact below 16, then 16 per power of two. */
    static int waitBucket(final long value)
    {
        if (value < WAIT_SUB_BUCKETS)
        {
            return (int)value;
        }
        final int exponent = 63 - Long.numberOfLeadingZeros(value);
        return (exponent - WAIT_SUB_BITS + 1) * WAIT_SUB_BUCKETS + (int)((value >>> (exponent - WAIT_SUB_BITS)) & (WAIT_SUB_BUCKETS - 1));
    }

    /** The smallest wait counted in {@code bucket}. */
    static long waitBucketValue(final int bucket)
    {
        if (bucket < WAIT_SUB_BUCKETS)
        {
            return bucket;
        }
        final int exponent = bucket / WAIT_SUB_BUCKETS + WAIT_SUB_BITS - 1;
        return (1L << exponent) | ((long)(bucket % WAIT_SUB_BUCKETS) << (exponent - WAIT_SUB_BITS));
    }

    private void recordOther(final long index, final long pageTableBytes)
    {
        series.record(index, false, false, -1, 0, pageTableBytes, lastCompletion, false, 0);
    }

    private void recordGuestAccess(final ReplayRecord record)
    {
        guestAccesses++;
        if (record.outcome.isOk())
        {
            guestAccessesOk++;
            return;
        }
        final FaultKind kind = record.outcome.fault();
        long[] count = guestFaultCounts.get(kind);
        if (count == null)
        {
            count = new long[1];
            guestFaultCounts.put(kind, count);
            guestFaultOrder.add(kind);
        }
        count[0]++;
    }

    private void latencyChanged(final long value)
    {
        if (pendingCount != 0)
        {
            latency.recordValueWithCount(pendingValue, pendingCount);
            pendingCount = 0;
        }
        pendingValue = value;
    }

    private void okLatencyChanged(final long value)
    {
        if (pendingOkCount != 0)
        {
            okLatency.recordValueWithCount(pendingOkValue, pendingOkCount);
            pendingOkCount = 0;
        }
        pendingOkValue = value;
    }

    private void recordEffect(final AccessEffect effect)
    {
        effects++;
        long[] count = effectCounts.get(effect);
        if (count == null)
        {
            count = new long[1];
            effectCounts.put(effect, count);
            effectOrder.add(effect);
        }
        count[0]++;
    }

    /** Count a fault; returns its kind's index in order of first appearance ({@link #faultKinds()}). */
    private int recordFault(final FaultKind kind, final long value)
    {
        faults++;
        if (kind.isMachineCheck())
        {
            dmaMachineChecks++;
        }
        long[] count = faultCounts.get(kind);
        if (count == null)
        {
            count = new long[] {0, faultOrder.size()};
            faultCounts.put(kind, count);
            faultLatency.put(kind, new Histogram(MAX_TRACKED_LATENCY, 3));
            faultOrder.add(kind);
        }
        count[0]++;
        faultLatency.get(kind).recordValue(value);
        return (int)count[1];
    }

    /** Record the batched latencies; called before a histogram leaves this object. */
    private void flush()
    {
        if (pendingCount != 0)
        {
            latency.recordValueWithCount(pendingValue, pendingCount);
            pendingCount = 0;
        }
        if (pendingOkCount != 0)
        {
            okLatency.recordValueWithCount(pendingOkValue, pendingOkCount);
            pendingOkCount = 0;
        }
    }

    /**
     * The accounting a replay must balance, checked at its end: every record the reader read is a TLP replayed or
     * a record skipped ({@code read = decoded + skipped}, {@code decoded = TLPs replayed = results delivered});
     * the TLPs by class add up to the TLPs; ok plus faulted requests are the DMA requests; the faults by kind add up
     * to the faults; the bytes of ok and of faulted requests add up to the DMA bytes.
     *
     * @param trace     the reader's counts.
     * @param delivered results handed to the sink.
     * @return what does not add up; empty when everything does.
     */
    public List<String> accountingErrors(final TraceSummary trace, final long delivered)
    {
        final List<String> errors = new ArrayList<>();
        if (!trace.balanced())
        {
            errors.add("records read " + trace.read() + " != decoded " + trace.decoded() + " + skipped " + trace.skipped());
        }
        if (trace.decoded() != tlps)
        {
            errors.add("records decoded " + trace.decoded() + " != TLPs replayed " + tlps);
        }
        if (delivered != tlps)
        {
            errors.add("results delivered " + delivered + " != TLPs replayed " + tlps);
        }
        long byClassSum = 0;
        for (final long count : byClass)
        {
            byClassSum += count;
        }
        if (byClassSum != tlps)
        {
            errors.add("TLPs by class " + byClassSum + " != TLPs " + tlps);
        }
        if (ok + faults != dmaRequests)
        {
            errors.add("ok " + ok + " + faults " + faults + " != DMA requests " + dmaRequests);
        }
        long byKind = 0;
        for (final long count : faultsByKind().values())
        {
            byKind += count;
        }
        if (byKind != faults)
        {
            errors.add("faults by kind " + byKind + " != faults " + faults);
        }
        if (okBytes + faultBytes != dmaBytes)
        {
            errors.add("bytes of ok " + okBytes + " + faulted " + faultBytes + " requests != DMA bytes " + dmaBytes);
        }
        long guestFaults = 0;
        for (final long count : guestAccessFaultsByKind().values())
        {
            guestFaults += count;
        }
        if (guestAccessesOk + guestFaults != guestAccesses || guestAccesses != count(TrafficClass.GUEST_ACCESS))
        {
            errors.add("guest CPU accesses ok " + guestAccessesOk + " + faulted " + guestFaults + " != guest CPU accesses " +
                guestAccesses + " (records of that class " + count(TrafficClass.GUEST_ACCESS) + ")");
        }
        return errors;
    }

    /** Bytes of the DMA requests that were translated. */
    public long okBytes()
    {
        return okBytes;
    }

    /** Bytes of the DMA requests that faulted. */
    public long faultBytes()
    {
        return faultBytes;
    }

    public long tlps()
    {
        return tlps;
    }

    public long count(final TrafficClass trafficClass)
    {
        return byClass[trafficClass.ordinal()];
    }

    public long dmaRequests()
    {
        return dmaRequests;
    }

    public long dmaBytes()
    {
        return dmaBytes;
    }

    public long ok()
    {
        return ok;
    }

    public long faults()
    {
        return faults;
    }

    /** Faults by architectural name, in order of first appearance. */
    public Map<String, Long> faultsByKind()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        for (final FaultKind kind : faultOrder)
        {
            result.merge(kind.faultName(), faultCounts.get(kind)[0], Long::sum);
        }
        return result;
    }

    /** The fault kinds seen, in order of first appearance (the kind indexes of {@link TimeSeries#faults(int, int)}). */
    public List<FaultKind> faultKinds()
    {
        return List.copyOf(faultOrder);
    }

    /** Requests that succeeded with an {@link AccessEffect} (they are also counted in {@link #ok()}). */
    public long effects()
    {
        return effects;
    }

    /** Effects of successful requests by name, in order of first appearance. */
    public Map<String, Long> effectsByKind()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        for (final AccessEffect effect : effectOrder)
        {
            result.merge(effect.effectName(), effectCounts.get(effect)[0], Long::sum);
        }
        return result;
    }

    /**
     * Every machine check raised on the platform, its setup included: {@link #bindMachineChecks()} +
     * {@link #dmaMachineChecks()} + {@link #tdAccessMachineChecks()}. The one count the summary, its CSV and the
     * report print.
     */
    public long machineChecks()
    {
        return bindMachineChecks + dmaMachineChecks + tdAccessMachineChecks;
    }

    /** Machine checks raised at TDI bind (a hypervisor mapping or cached translation of private MMIO). */
    public long bindMachineChecks()
    {
        return bindMachineChecks;
    }

    /** DMA requests whose fault is a machine check ({@link FaultKind#isMachineCheck()}). */
    public long dmaMachineChecks()
    {
        return dmaMachineChecks;
    }

    /** Machine checks raised by a TD's own accesses ({@code td-read} timeline actions). */
    public long tdAccessMachineChecks()
    {
        return tdAccessMachineChecks;
    }

    /** The platform's own machine-check counts so far (the replay copies them after setup and every action). */
    void platformMachineChecks(final long atBind, final long byTdAccess)
    {
        this.bindMachineChecks = atBind;
        this.tdAccessMachineChecks = byTdAccess;
    }

    /** Guest CPU access records replayed (not DMA; see {@link TrafficClass#GUEST_ACCESS}). */
    public long guestAccesses()
    {
        return guestAccesses;
    }

    /** Guest CPU accesses that completed. */
    public long guestAccessesOk()
    {
        return guestAccessesOk;
    }

    /** Guest CPU accesses that did not, by the #NPF / #VC they took, in order of first appearance. */
    public Map<String, Long> guestAccessFaultsByKind()
    {
        final Map<String, Long> result = new LinkedHashMap<>();
        for (final FaultKind kind : guestFaultOrder)
        {
            result.merge(kind.faultName(), guestFaultCounts.get(kind)[0], Long::sum);
        }
        return result;
    }

    /**
     * What the platform did outside the DMA stream, by name (VMM IOMMU map and unmap calls and their pages, IOMMU
     * invalidations, RMP instructions of guest conversions), as the replay copied it at its end.
     */
    public Map<String, Long> platformCounters()
    {
        return platformCounters;
    }

    void platformCounters(final Map<String, Long> counters)
    {
        platformCounters = counters.isEmpty() ? Map.of() : new LinkedHashMap<>(counters);
    }

    /** Latency histograms by outcome kind: "ok" and each fault name. */
    public Map<String, Histogram> latencyByOutcome()
    {
        flush();
        final Map<String, Histogram> result = new LinkedHashMap<>();
        result.put("ok", okLatency);
        for (final FaultKind kind : faultOrder)
        {
            result.put(kind.faultName(), faultLatency.get(kind));
        }
        return result;
    }

    public long iotlbHits()
    {
        return iotlbHits;
    }

    public long tableFetches()
    {
        return tableFetches;
    }

    public long rmpFetches()
    {
        return rmpFetches;
    }

    public Histogram latency()
    {
        flush();
        return latency;
    }

    /**
     * Simulated time in cycles from the first request's timestamp (the earliest it could be issued) to the end of the
     * last transfer (a write passed on, a read's data received).
     */
    public long simulatedCycles()
    {
        return firstArrival < 0 ? 0 : lastCompletion - firstArrival;
    }

    /** Cycles from the first to the last request's timestamp: the time over which the trace offered its bytes. */
    public long offeredCycles()
    {
        return firstArrival < 0 ? 0 : lastEarliest - firstArrival;
    }

    /** DMA requests that waited in their device before leaving (for a tag, a credit, the engine or the link). */
    public long deviceWaits()
    {
        return deviceWaits;
    }

    /**
     * How long requests waited in their device before leaving, in cycles (every DMA request, waits of 0 included), each
     * wait at the lowest value of its bucket (at most 1/16 below it).
     */
    public Histogram deviceWait()
    {
        final Histogram histogram = new Histogram(MAX_TRACKED_LATENCY, 3);
        for (int bucket = 0; bucket < waitBuckets.length; bucket++)
        {
            if (waitBuckets[bucket] != 0)
            {
                histogram.recordValueWithCount(waitBucketValue(bucket), waitBuckets[bucket]);
            }
        }
        return histogram;
    }

    public long timelineActions()
    {
        return actions;
    }

    public long clampedLatencies()
    {
        return clampedLatencies;
    }

    /** Requests whose TLP carried the reserved AT value 11: replayed as untranslated, or not (see {@link #reservedAtRefused}). */
    public long reservedAt()
    {
        return reservedAt;
    }

    /** Of {@link #reservedAt}, those not translated ({@code platform.reserved-at: unsupported}; counted as class other). */
    public long reservedAtRefused()
    {
        return reservedAtRefused;
    }

    /** A request with the reserved AT value was not translated (the replay counts its TLP as class other). */
    void refusedReservedAt()
    {
        reservedAt++;
        reservedAtRefused++;
    }

    public TimeSeries series()
    {
        return series;
    }

    /** The first DMA request's arrival cycle, or -1 before any. */
    public long firstArrivalCycle()
    {
        return firstArrival;
    }

    /** The last completion cycle so far. */
    public long lastCompletionCycle()
    {
        return lastCompletion;
    }

    /** A timeline action as it ran: before which TLP, at which cycle of the replay's clock, what it was. */
    public record ActionMark(long beforeTlp, long cycle, String description, int line)
    {
    }

    /** The timeline actions in the order they ran. */
    public List<ActionMark> actionMarks()
    {
        return List.copyOf(actionMarks);
    }

    /**
     * The replay-clock cycle at which the platform's event {@code index} ({@code Platform.events()} order) happened:
     * the arrival cycle of the TLP it came before, or -1 for an event of the platform's setup.
     */
    public long eventCycle(final int index)
    {
        return index < eventCycleCount ? eventCycles[index] : -1;
    }

    private static long[] minusOnes(final int length)
    {
        final long[] values = new long[length];
        Arrays.fill(values, -1);
        return values;
    }

    void action(final ActionMark mark)
    {
        actionMarks.add(mark);
    }

    /** Events {@code from} to {@code to - 1} (platform order) happened at {@code cycle}. */
    void eventsAt(final int from, final int to, final long cycle)
    {
        if (to > eventCycles.length)
        {
            final long[] grown = minusOnes(Math.max(to, eventCycles.length * 2));
            System.arraycopy(eventCycles, 0, grown, 0, eventCycles.length);
            eventCycles = grown;
        }
        for (int i = Math.max(from, 0); i < to; i++)
        {
            eventCycles[i] = cycle;
        }
        eventCycleCount = Math.max(eventCycleCount, to);
    }
}
