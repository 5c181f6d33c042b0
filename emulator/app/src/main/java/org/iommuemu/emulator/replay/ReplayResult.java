package org.iommuemu.emulator.replay;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.timing.TimingModel;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * What a replay produced, for the summary table, the report and {@code compare}.
 *
 * @param pageTableBytes     page-table memory at the end.
 * @param peakPageTableBytes the most page-table memory at any point.
 * @param walks              requests that fetched table entries.
 * @param queuedForSlot      requests that waited for a translation slot.
 * @param queuedForWalker    requests that waited for a walker.
 * @param llcHits            table and RMP fetches priced as LLC hits.
 * @param wallNanos          how long the replay took on this machine.
 * @param events             platform events (machine checks at bind and at TD accesses, TDISP transitions), the first
 *                           1000, each with the TLP index it came before ({@link PlatformEventText} prints them).
 * @param timing             the timing model's other totals (device queueing, hazards, ATS).
 */
public record ReplayResult(String scenario, String iommu, String profile, ReplayStatistics statistics,
    List<CacheStats> caches, long pageTableBytes, long peakPageTableBytes, long walks, long queuedForSlot,
    long queuedForWalker, long llcHits, double frequencyGhz, TraceSummary trace, long wallNanos, List<PlatformEvent> events,
    long eventCount, TimingTotals timing)
{
    /**
     * What the timing model counted besides walks and queues (docs/timing.md).
     *
     * @param deviceWaits           requests that waited in their device before leaving.
     * @param waitedForTag          of those, waits for a free tag (outstanding reads).
     * @param waitedForCredit       waits for a posted credit.
     * @param waitedForLink         waits for the device's link.
     * @param mergedMisses          IOTLB hits that waited for their page's walk in flight.
     * @param duplicateWalks        requests that walked a page already being walked (merging off).
     * @param orderingWaits         requests held back behind an earlier posted write of their device.
     * @param slotWaits             lookups, walk-cache probes, PTE requests and port beats that waited for a slot.
     * @param microTlbHits          micro-TLB hits.
     * @param deviceTlbHits         ATC hits of ATS devices (their requests skipped the IOMMU's translation).
     * @param deviceTlbMisses       ATC misses (each sent a Translation Request first).
     * @param translationRequests   Translation Requests priced.
     * @param atsInvalidations      ATS invalidation round trips.
     * @param atsInvalidationCycles their cycles together.
     */
    public record TimingTotals(long deviceWaits, long waitedForTag, long waitedForCredit, long waitedForLink,
        long mergedMisses, long duplicateWalks, long orderingWaits, long slotWaits, long microTlbHits, long deviceTlbHits,
        long deviceTlbMisses, long translationRequests, long atsInvalidations, long atsInvalidationCycles)
    {
        /** Nothing counted. */
        public static final TimingTotals NONE = new TimingTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        /** The totals of a timing model now. */
        public static TimingTotals of(final TimingModel timing)
        {
            final long[] causes = timing.deviceWaitCauses();
            final long[] atc = timing.deviceTlbCounts();
            return new TimingTotals(timing.deviceWaits(), causes[0], causes[1], causes[2], timing.mergedMisses(),
                timing.duplicateWalks(), timing.orderingWaits(), timing.slotWaits(), timing.microTlbHits(), atc[0], atc[1],
                timing.translationRequests(), timing.atsInvalidations(), timing.atsInvalidationCycles());
        }
    }

    /** A result without the timing model's other totals. */
    public ReplayResult(final String scenario, final String iommu, final String profile, final ReplayStatistics statistics,
        final List<CacheStats> caches, final long pageTableBytes, final long peakPageTableBytes, final long walks,
        final long queuedForSlot, final long queuedForWalker, final long llcHits, final double frequencyGhz,
        final TraceSummary trace, final long wallNanos, final List<PlatformEvent> events, final long eventCount)
    {
        this(scenario, iommu, profile, statistics, caches, pageTableBytes, peakPageTableBytes, walks, queuedForSlot,
            queuedForWalker, llcHits, frequencyGhz, trace, wallNanos, events, eventCount, TimingTotals.NONE);
    }

    /** Every machine check raised, at bind, by a DMA or by a TD access: {@link ReplayStatistics#machineChecks()}. */
    public long machineChecks()
    {
        return statistics.machineChecks();
    }

    /** The events as the summary prints them, one line each ({@link PlatformEventText#line}). */
    public List<String> eventLines()
    {
        final List<String> lines = new ArrayList<>(events.size());
        for (final PlatformEvent event : events)
        {
            lines.add(PlatformEventText.line(event));
        }
        return lines;
    }

    /**
     * One cache's counters at the end of the replay: lookups, hits, misses, entries filled, evicted to make room and
     * dropped by invalidations, and its geometry.
     */
    public record CacheStats(String name, long lookups, long hits, int entries, int ways, long misses, long fills, long evictions,
        long invalidated)
    {
        public double hitRate()
        {
            return lookups == 0 ? 0 : (double)hits / lookups;
        }
    }

    /** Simulated time in nanoseconds: from the first request's timestamp to the end of the last transfer. */
    public double simulatedNanos()
    {
        return statistics.simulatedCycles() / frequencyGhz;
    }

    /** The DMA throughput the replay achieved, GB/s: bytes over simulated time. */
    public double throughputGBps()
    {
        final double nanos = simulatedNanos();
        return nanos <= 0 ? 0 : statistics.dmaBytes() / nanos;
    }

    /** The throughput the trace asked for, GB/s: bytes over the span of its timestamps (0 without timestamps). */
    public double offeredGBps()
    {
        final double nanos = statistics.offeredCycles() / frequencyGhz;
        return nanos <= 0 ? 0 : statistics.dmaBytes() / nanos;
    }

    /** TLPs replayed per second of wall-clock time. */
    public double replayRate()
    {
        return wallNanos == 0 ? 0 : statistics.tlps() * 1e9 / wallNanos;
    }
}
