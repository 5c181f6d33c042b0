package org.iommuemu.emulator.replay;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.platform.FaultKind;

/**
 * Everything a replay counts: TLPs by class, DMA requests and bytes, outcomes and faults by kind, IOTLB hits,
 * table and RMP fetches, and latency distributions (HdrHistogram, 3 significant digits) overall and per outcome
 * kind, plus a {@link TimeSeries}. Constant memory; nothing allocates per TLP once every fault kind has been
 * seen once.
 */
public final class ReplayStatistics
{
    /** Highest latency the histograms track, in cycles (larger values are clamped and counted). */
    public static final long MAX_TRACKED_LATENCY = 1L << 40;

    final long[] byClass = new long[TrafficClass.values().length];
    long tlps;
    long dmaRequests;
    long dmaBytes;
    long ok;
    long faults;
    long iotlbHits;
    long tableFetches;
    long rmpFetches;
    long clampedLatencies;
    long firstArrival = -1;
    long lastCompletion;
    long lastEarliest;
    long deviceWaits;
    long actions;
    final Histogram latency = new Histogram(MAX_TRACKED_LATENCY, 3);
    /** Cycles requests waited in their device before leaving (closed-loop timing), waits of 0 included. */
    final Histogram deviceWait = new Histogram(MAX_TRACKED_LATENCY, 3);
    private long pendingWait;
    private long pendingWaitCount;
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
    final TimeSeries series = new TimeSeries(512);

    void record(final ReplayRecord record, final long pageTableBytes)
    {
        tlps++;
        byClass[record.trafficClass.ordinal()]++;
        if (record.trafficClass != TrafficClass.DMA)
        {
            recordOther(record.index, pageTableBytes);
            return;
        }
        dmaRequests++;
        dmaBytes += record.request.length();
        tableFetches += record.tableFetches;
        rmpFetches += record.rmpFetches;
        if (firstArrival < 0 || record.earliestCycle < firstArrival)
        {
            firstArrival = record.earliestCycle;
        }
        lastEarliest = Math.max(lastEarliest, record.earliestCycle);
        lastCompletion = Math.max(lastCompletion, Math.max(record.completionCycle, record.releaseCycle));
        final long wait = clampedWait(record.arrivalCycle - record.earliestCycle);
        if (wait != pendingWait)
        {
            waitChanged(wait);
        }
        pendingWaitCount++;
        final long value = clamped(record.latencyCycles());
        if (value != pendingValue)
        {
            latencyChanged(value);
        }
        pendingCount++;
        final boolean hit = record.outcome.iotlbHit();
        iotlbHits += hit ? 1 : 0;
        final boolean isOk = record.outcome.isOk();
        if (isOk)
        {
            ok++;
            if (value != pendingOkValue)
            {
                okLatencyChanged(value);
            }
            pendingOkCount++;
        }
        else
        {
            recordFault(record.outcome.fault(), value);
        }
        series.record(record.index, true, hit, !isOk, value, pageTableBytes, record.completionCycle);
    }

    // The rarer paths of record() in methods of their own keep it small enough for the JIT to inline.

    private long clamped(final long value)
    {
        if (value > MAX_TRACKED_LATENCY)
        {
            clampedLatencies++;
            return MAX_TRACKED_LATENCY;
        }
        return value;
    }

    private long clampedWait(final long value)
    {
        if (value > 0)
        {
            deviceWaits++;
        }
        return Math.min(value, MAX_TRACKED_LATENCY);
    }

    private void waitChanged(final long value)
    {
        if (pendingWaitCount != 0)
        {
            deviceWait.recordValueWithCount(pendingWait, pendingWaitCount);
            pendingWaitCount = 0;
        }
        pendingWait = value;
    }

    private void recordOther(final long index, final long pageTableBytes)
    {
        series.record(index, false, false, false, 0, pageTableBytes, lastCompletion);
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

    private void recordFault(final FaultKind kind, final long value)
    {
        faults++;
        long[] count = faultCounts.get(kind);
        if (count == null)
        {
            count = new long[1];
            faultCounts.put(kind, count);
            faultLatency.put(kind, new Histogram(MAX_TRACKED_LATENCY, 3));
            faultOrder.add(kind);
        }
        count[0]++;
        faultLatency.get(kind).recordValue(value);
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
        if (pendingWaitCount != 0)
        {
            deviceWait.recordValueWithCount(pendingWait, pendingWaitCount);
            pendingWaitCount = 0;
        }
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

    /** How long requests waited in their device before leaving, in cycles (every DMA request, waits of 0 included). */
    public Histogram deviceWait()
    {
        flush();
        return deviceWait;
    }

    public long timelineActions()
    {
        return actions;
    }

    public long clampedLatencies()
    {
        return clampedLatencies;
    }

    public TimeSeries series()
    {
        return series;
    }
}
