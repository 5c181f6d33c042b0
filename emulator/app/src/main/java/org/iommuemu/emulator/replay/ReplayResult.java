package org.iommuemu.emulator.replay;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.scenario.PlatformEvent;
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
 */
public record ReplayResult(String scenario, String iommu, String profile, ReplayStatistics statistics,
    List<CacheStats> caches, long pageTableBytes, long peakPageTableBytes, long walks, long queuedForSlot,
    long queuedForWalker, long llcHits, double frequencyGhz, TraceSummary trace, long wallNanos, List<PlatformEvent> events,
    long eventCount)
{
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

    /** Simulated time in nanoseconds. */
    public double simulatedNanos()
    {
        return statistics.simulatedCycles() / frequencyGhz;
    }

    /** TLPs replayed per second of wall-clock time. */
    public double replayRate()
    {
        return wallNanos == 0 ? 0 : statistics.tlps() * 1e9 / wallNanos;
    }
}
