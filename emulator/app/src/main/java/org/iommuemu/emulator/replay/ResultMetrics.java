package org.iommuemu.emulator.replay;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * The numbers of a replay as a flat list of named metrics, the one source of {@code summary.json} (which nests them
 * by their dots), {@code summary.csv} (one column each) and the gem5-style {@code stats.txt} (one line each).
 * <p>
 * Keys are stable and dotted ({@code caches.amdvi_iotlb.hits}); a key ends in its unit when the value is not a
 * plain count: {@code _cycles}, {@code _ns}, {@code _bytes}, {@code _ratio} (0 to 1), {@code _per_dma},
 * {@code _bytes_per_s}, {@code _ghz}, {@code _s}, {@code _per_s}. Every key listed in docs/results.md is always
 * present; keys named after what the run saw (a fault kind, an effect, a cache) appear when it saw them (caches:
 * always, every cache of the platform's IOMMU). A value is a long, a double, a boolean, a string, or null where a
 * ratio has no denominator.
 */
public final class ResultMetrics
{
    /** One metric: its key, its value, its unit (for stats.txt) and what it is. */
    public record Metric(String key, Object value, String unit, String description)
    {
        /** The value as CSV and stats.txt print it: integers plain, decimals without exponent, null empty. */
        public String text()
        {
            return format(value);
        }
    }

    /** The latency percentiles every summary gives, with their key suffixes. */
    static final double[] PERCENTILES = {50, 90, 99, 99.9};
    static final String[] PERCENTILE_KEYS = {"p50", "p90", "p99", "p99_9"};

    private final List<Metric> metrics = new ArrayList<>();

    private ResultMetrics()
    {
    }

    /** The metrics of one replay, in a fixed order. */
    public static List<Metric> of(final ReplayResult result)
    {
        final ResultMetrics m = new ResultMetrics();
        final ReplayStatistics s = result.statistics();
        m.add("run.scenario", result.scenario(), "", "scenario name");
        m.add("run.iommu", result.iommu(), "", "IOMMU model and mode");
        m.add("run.profile", result.profile(), "", "timing profile");
        m.add("run.clock_ghz", result.frequencyGhz(), "GHz", "IOMMU clock the cycles count");

        m.add("traffic.tlps", s.tlps(), "Count", "TLPs replayed, every class");
        m.add("traffic.dma_requests", s.dmaRequests(), "Count", "TLPs translated (upstream memory requests and ATS translation requests)");
        m.add("traffic.reserved_at", s.reservedAt(), "Count",
            "requests whose TLP carried the reserved AT value 11 (replayed as untranslated unless platform.reserved-at says unsupported)");
        m.add("traffic.reserved_at_not_translated", s.reservedAtRefused(), "Count",
            "of those, the ones not translated (platform.reserved-at: unsupported; counted as class other)");
        for (final TrafficClass trafficClass : TrafficClass.values())
        {
            if (trafficClass != TrafficClass.DMA)
            {
                m.add("traffic.not_translated." + key(trafficClass.label()), s.count(trafficClass), "Count",
                    "TLPs of class " + trafficClass.label() + ", counted and not translated");
            }
        }

        for (final MessageResult handled : MessageResult.values())
        {
            if (handled == MessageResult.NOT_HANDLED)
            {
                continue;   // counted as traffic.not_translated.message only
            }
            m.add("messages.handled." + key(handled.name()), s.messageResults[handled.ordinal()], "Count",
                "message TLPs the IOMMU handled with result " + handled.label());
        }
        final Platform.MessageCounts sent = s.messagesSent();
        m.add("messages.to_devices.ats_invalidate_requests", sent.atsInvalidateRequests(), "Count",
            "ATS Invalidate Requests the IOMMU sent devices (device-TLB invalidations)");
        m.add("messages.to_devices.prg_responses", sent.prgResponses(), "Count",
            "PRG Responses the IOMMU sent devices for software's page group responses");
        m.add("messages.to_devices.prg_responses_by_hardware", sent.prgResponsesByHardware(), "Count",
            "PRG Responses the IOMMU itself sent devices (page request queue overflow)");
        m.add("messages.page_requests.mapped_on_demand", sent.pagesFaultedIn(), "Count",
            "page requests the OS's handler answered by mapping a page");
        m.add("messages.page_requests.refused", sent.pageRequestsRefused(), "Count",
            "page requests the OS's handler answered Invalid Request");

        m.add("dma.bytes", s.dmaBytes(), "Byte", "bytes of the DMA requests");
        m.add("dma.ok", s.ok(), "Count", "DMA requests translated and allowed");
        m.add("dma.ok_bytes", s.okBytes(), "Byte", "bytes of the DMA requests that were allowed");
        m.add("dma.faults", s.faults(), "Count", "DMA requests that faulted");
        m.add("dma.fault_bytes", s.faultBytes(), "Byte", "bytes of the DMA requests that faulted");

        m.add("effects.total", s.effects(), "Count", "allowed DMA requests with an effect besides their access");
        for (final Map.Entry<String, Long> effect : s.effectsByKind().entrySet())
        {
            m.add("effects.by_kind." + effect.getKey(), effect.getValue(), "Count", "allowed DMA requests with effect " + effect.getKey());
        }
        m.add("faults.total", s.faults(), "Count", "faults, every architectural kind");
        for (final Map.Entry<String, Long> fault : s.faultsByKind().entrySet())
        {
            m.add("faults.by_kind." + fault.getKey(), fault.getValue(), "Count", "faults named " + fault.getKey());
        }
        m.add("machine_checks.total", s.machineChecks(), "Count", "machine checks raised on the platform, setup included");
        m.add("machine_checks.at_bind", s.bindMachineChecks(), "Count", "machine checks raised at TDI bind");
        m.add("machine_checks.by_dma", s.dmaMachineChecks(), "Count", "DMA requests whose fault is a machine check");
        m.add("machine_checks.by_td_access", s.tdAccessMachineChecks(), "Count", "machine checks raised by a TD's own accesses");
        if (s.guestAccesses() > 0)
        {
            m.add("guest_cpu.accesses", s.guestAccesses(), "Count", "guest CPU access records (through the NPT and the RMP check)");
            m.add("guest_cpu.ok", s.guestAccessesOk(), "Count", "guest CPU accesses that completed");
            for (final Map.Entry<String, Long> fault : s.guestAccessFaultsByKind().entrySet())
            {
                m.add("guest_cpu.faults." + key(fault.getKey()), fault.getValue(), "Count",
                    "guest CPU accesses that took " + fault.getKey());
            }
        }
        for (final Map.Entry<String, Long> counter : s.platformCounters().entrySet())
        {
            m.add("platform." + key(counter.getKey()), counter.getValue(), "Count", counter.getKey());
        }

        for (final ReplayResult.CacheStats cache : result.caches())
        {
            final String prefix = "caches." + key(cache.name()) + ".";
            m.add(prefix + "lookups", cache.lookups(), "Count", cache.name() + " lookups");
            m.add(prefix + "hits", cache.hits(), "Count", cache.name() + " hits");
            m.add(prefix + "misses", cache.misses(), "Count", cache.name() + " misses");
            m.add(prefix + "hit_ratio", cache.lookups() == 0 ? null : cache.hitRate(), "Ratio", cache.name() + " hits per lookup");
            m.add(prefix + "fills", cache.fills(), "Count", cache.name() + " entries filled");
            m.add(prefix + "evictions", cache.evictions(), "Count", cache.name() + " entries evicted to make room");
            m.add(prefix + "invalidated", cache.invalidated(), "Count", cache.name() + " entries dropped by invalidations");
            m.add(prefix + "entries", (long)cache.entries(), "Count", cache.name() + " capacity in entries");
            m.add(prefix + "ways", (long)cache.ways(), "Count", cache.name() + " ways per set (0: fully associative)");
        }

        final long dma = s.dmaRequests();
        m.add("walks.requests", result.walks(), "Count", "DMA requests that fetched table entries or probed the walk caches");
        m.add("walks.requests_per_dma", perDma(result.walks(), dma), "Ratio", "share of DMA requests that walked");
        m.add("walks.table_fetches", s.tableFetches(), "Count", "table entries (device, context, page tables) fetched from memory");
        m.add("walks.table_fetches_per_dma", perDma(s.tableFetches(), dma), "Count", "table entries fetched per DMA request");
        m.add("walks.rmp_fetches", s.rmpFetches(), "Count", "RMP entries fetched");
        m.add("walks.rmp_fetches_per_dma", perDma(s.rmpFetches(), dma), "Count", "RMP entries fetched per DMA request");
        m.add("walks.llc_hits", result.llcHits(), "Count", "table and RMP fetches priced as LLC hits");
        m.add("queues.waited_for_slot", result.queuedForSlot(), "Count", "DMA requests that waited for a translation slot");
        m.add("queues.waited_for_walker", result.queuedForWalker(), "Count", "DMA requests that waited for a page walker");
        final ReplayResult.TimingTotals t = result.timing();
        m.add("queues.waited_for_lookup_slot", t.slotWaits(), "Count", "DMA requests that waited for a cache lookup slot");
        m.add("queues.waited_in_device", s.deviceWaits(), "Count", "DMA requests that waited in their device before leaving it");
        m.add("queues.waited_for_tag", t.waitedForTag(), "Count", "DMA reads that waited for a free tag");
        m.add("queues.waited_for_posted_credit", t.waitedForCredit(), "Count", "DMA writes that waited for a posted credit");
        m.add("queues.waited_for_link", t.waitedForLink(), "Count", "DMA requests that waited for their device's engine or link");
        m.add("queues.merged_with_walk", t.mergedMisses(), "Count", "IOTLB hits on a page being walked that waited for the walk");
        m.add("queues.walked_again", t.duplicateWalks(), "Count", "IOTLB hits on a page being walked that walked again (merging off)");
        m.add("queues.held_by_ordering", t.orderingWaits(), "Count", "DMA requests held behind their device's earlier posted write");
        m.add("timing.micro_tlb_hits", t.microTlbHits(), "Count", "DMA requests that hit the micro-TLB");
        m.add("ats.device_tlb_hits", t.deviceTlbHits(), "Count", "ATS devices' requests that hit their device TLB");
        m.add("ats.device_tlb_misses", t.deviceTlbMisses(), "Count", "ATS devices' requests that missed their device TLB");
        final long atcLookups = t.deviceTlbHits() + t.deviceTlbMisses();
        m.add("ats.device_tlb_hit_ratio", atcLookups == 0 ? null : (double)t.deviceTlbHits() / atcLookups, "Ratio",
            "device TLB hits per lookup");
        m.add("ats.translation_requests", t.translationRequests(), "Count", "ATS translation requests sent");
        m.add("ats.invalidations", t.atsInvalidations(), "Count", "ATS invalidations sent to devices");
        m.add("ats.invalidation_round_trip_cycles", t.atsInvalidationCycles(), "Cycle",
            "ATS invalidations' round trips, summed");

        final double ghz = result.frequencyGhz();
        final Histogram latency = s.latency();
        for (int i = 0; i < PERCENTILES.length; i++)
        {
            final long value = dma == 0 ? 0 : latency.getValueAtPercentile(PERCENTILES[i]);
            m.add("latency." + PERCENTILE_KEYS[i] + "_cycles", value, "Cycle", "translation latency, percentile " + trim(PERCENTILES[i]));
            m.add("latency." + PERCENTILE_KEYS[i] + "_ns", value / ghz, "Nanosecond",
                "translation latency, percentile " + trim(PERCENTILES[i]));
        }
        m.add("latency.min_cycles", dma == 0 ? 0 : latency.getMinValue(), "Cycle", "shortest translation latency");
        m.add("latency.max_cycles", dma == 0 ? 0 : latency.getMaxValue(), "Cycle", "longest translation latency");
        m.add("latency.max_ns", (dma == 0 ? 0 : latency.getMaxValue()) / ghz, "Nanosecond", "longest translation latency");
        m.add("latency.mean_cycles", dma == 0 ? 0.0 : latency.getMean(), "Cycle", "mean translation latency");
        m.add("latency.clamped", s.clampedLatencies(), "Count", "latencies beyond the histogram's range, counted at its top");
        for (final Map.Entry<String, Histogram> outcome : s.latencyByOutcome().entrySet())
        {
            final Histogram h = outcome.getValue();
            final String prefix = "latency.by_outcome." + outcome.getKey() + ".";
            m.add(prefix + "count", h.getTotalCount(), "Count", "DMA requests with outcome " + outcome.getKey());
            for (int i = 0; i < PERCENTILES.length; i++)
            {
                m.add(prefix + PERCENTILE_KEYS[i] + "_cycles", h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(PERCENTILES[i]), "Cycle",
                    outcome.getKey() + " latency, percentile " + trim(PERCENTILES[i]));
            }
            m.add(prefix + "max_cycles", h.getTotalCount() == 0 ? 0 : h.getMaxValue(), "Cycle", outcome.getKey() + " longest latency");
        }

        final Histogram deviceWait = s.deviceWait();
        for (int i = 0; i < PERCENTILES.length; i++)
        {
            m.add("device_wait." + PERCENTILE_KEYS[i] + "_cycles", dma == 0 ? 0 : deviceWait.getValueAtPercentile(PERCENTILES[i]), "Cycle",
                "wait in the device before leaving it, percentile " + trim(PERCENTILES[i]));
        }
        m.add("device_wait.max_cycles", dma == 0 ? 0 : deviceWait.getMaxValue(), "Cycle", "longest wait in the device");
        m.add("device_wait.mean_cycles", dma == 0 ? 0.0 : deviceWait.getMean(), "Cycle", "mean wait in the device");

        m.add("time.simulated_cycles", s.simulatedCycles(), "Cycle", "simulated time from the first arrival to the last completion");
        m.add("time.simulated_ns", result.simulatedNanos(), "Nanosecond", "simulated time from the first arrival to the last completion");
        m.add("time.first_arrival_ns", s.firstArrivalCycle() < 0 ? null : s.firstArrivalCycle() / ghz, "Nanosecond",
            "the first DMA request's arrival on the replay's clock (the trace's timestamps)");
        final double throughput = result.simulatedNanos() <= 0 ? 0 : s.dmaBytes() / result.simulatedNanos() * 1e9;
        m.add("throughput.dma_bytes_per_s", throughput, "Byte/Second", "DMA bytes per second of simulated time");
        m.add("traffic.offered_bytes_per_s", result.offeredGBps() * 1e9, "Byte/Second",
            "DMA bytes per second of the trace's timestamps (0 without timestamps)");
        m.add("page_tables.bytes", result.pageTableBytes(), "Byte", "page-table memory at the end");
        m.add("page_tables.sept_bytes", s.septBytes(), "Byte", "the TDX module's Secure EPT pages at the end (0 without TDX Connect)");
        m.add("page_tables.peak_bytes", result.peakPageTableBytes(), "Byte", "the most page-table memory at any point");
        m.add("timeline.actions", s.timelineActions(), "Count", "timeline actions run");
        m.add("events.count", result.eventCount(), "Count", "platform events");
        m.add("events.kept", (long)result.events().size(), "Count", "platform events kept with their details (the first 1000)");

        final TraceSummary trace = result.trace();
        m.add("trace.records_read", trace.read(), "Count", "trace records read");
        m.add("trace.replayed", trace.decoded(), "Count", "trace records decoded and replayed");
        m.add("trace.skipped", trace.skipped(), "Count", "bad trace records skipped");
        m.add("trace.ignored", trace.ignored(), "Count", "records that are not TLPs, ignored");
        m.add("trace.stopped_early", trace.stoppedEarly(), "", "whether reading stopped before the end of the trace");
        m.add("wall.seconds", result.wallNanos() / 1e9, "Second", "wall-clock time of the replay on this machine");
        m.add("wall.tlps_per_s", result.replayRate(), "Count/Second", "TLPs replayed per second of wall-clock time");
        return List.copyOf(m.metrics);
    }

    private void add(final String key, final Object value, final String unit, final String description)
    {
        metrics.add(new Metric(key, value, unit, description));
    }

    private static Double perDma(final long count, final long dma)
    {
        return dma == 0 ? null : (double)count / dma;
    }

    private static String trim(final double percentile)
    {
        return format(percentile);
    }

    /** A name as a key segment: lower case, runs of other characters than letters and digits as one underscore. */
    public static String key(final String name)
    {
        final String lower = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_");
        return lower.replaceAll("^_+|_+$", "");
    }

    /** A value as text: integers plain, decimals without an exponent or trailing zeros, null as the empty string. */
    public static String format(final Object value)
    {
        if (value == null)
        {
            return "";
        }
        if (value instanceof Double d)
        {
            if (d.isNaN() || d.isInfinite())
            {
                return "";
            }
            if (d == Math.rint(d) && Math.abs(d) < 1e15)
            {
                return Long.toString(d.longValue());
            }
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        return value.toString();
    }
}
