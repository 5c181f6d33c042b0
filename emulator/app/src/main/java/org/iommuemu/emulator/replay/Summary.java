package org.iommuemu.emulator.replay;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.config.Printable;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * The replay summary as rows of (metric, value), printed as a table, written into the report, and set side by
 * side by {@code compare}. Each row keeps its number so a comparison can say which side is better.
 */
public final class Summary
{
    /** Whether a larger value of a row is better, worse, or neither. */
    public enum Direction
    {
        HIGHER_IS_BETTER,
        LOWER_IS_BETTER,
        NEUTRAL
    }

    /** One metric. */
    public record Row(String metric, String text, double value, Direction direction)
    {
    }

    private Summary()
    {
    }

    /** The rows for one replay. */
    public static List<Row> rows(final ReplayResult result)
    {
        final ReplayStatistics s = result.statistics();
        final List<Row> rows = new ArrayList<>();
        rows.add(new Row("scenario", result.scenario() + " (" + result.iommu() + ", profile " + result.profile() + ")", Double.NaN,
            Direction.NEUTRAL));
        rows.add(new Row("TLPs", Long.toString(s.tlps()), s.tlps(), Direction.NEUTRAL));
        rows.add(new Row("DMA requests", Long.toString(s.dmaRequests()), s.dmaRequests(), Direction.NEUTRAL));
        if (s.reservedAt() > 0)
        {
            rows.add(new Row("  with AT 11 (reserved)", s.reservedAtRefused() == 0 ? s.reservedAt() + ", replayed as untranslated" :
                s.reservedAt() + ", not translated (counted as other; platform.reserved-at)", s.reservedAt(), Direction.NEUTRAL));
        }
        for (final TrafficClass trafficClass : TrafficClass.values())
        {
            if (trafficClass != TrafficClass.DMA && s.count(trafficClass) > 0)
            {
                rows.add(new Row("  not translated: " + trafficClass.label(), Long.toString(s.count(trafficClass)),
                    s.count(trafficClass), Direction.NEUTRAL));
            }
        }
        for (final Map.Entry<String, Long> handled : s.messageResults().entrySet())
        {
            rows.add(new Row("  message: " + handled.getKey(), Long.toString(handled.getValue()), handled.getValue(), Direction.NEUTRAL));
        }
        final Platform.MessageCounts sent = s.messagesSent();
        if (sent.atsInvalidateRequests() + sent.prgResponses() + sent.prgResponsesByHardware() > 0)
        {
            rows.add(new Row("messages to devices", String.format(Locale.ROOT, "ATS invalidate requests %d, PRG responses %d (%d by the " +
                "hardware)", sent.atsInvalidateRequests(), sent.prgResponses() + sent.prgResponsesByHardware(),
                sent.prgResponsesByHardware()),
                sent.atsInvalidateRequests() + sent.prgResponses() + sent.prgResponsesByHardware(), Direction.NEUTRAL));
        }
        if (sent.pagesFaultedIn() + sent.pageRequestsRefused() > 0)
        {
            rows.add(new Row("page requests answered", String.format(Locale.ROOT, "%d pages mapped on demand, %d refused",
                sent.pagesFaultedIn(), sent.pageRequestsRefused()), sent.pagesFaultedIn(), Direction.NEUTRAL));
        }
        rows.add(new Row("DMA bytes", bytes(s.dmaBytes()), s.dmaBytes(), Direction.NEUTRAL));
        rows.add(new Row("ok", count(s.ok(), s.dmaRequests()), s.ok(), Direction.HIGHER_IS_BETTER));
        for (final Map.Entry<String, Long> effect : s.effectsByKind().entrySet())
        {
            rows.add(new Row("  ok with " + effect.getKey(), count(effect.getValue(), s.dmaRequests()), effect.getValue(),
                Direction.LOWER_IS_BETTER));
        }
        rows.add(new Row("faults", count(s.faults(), s.dmaRequests()), s.faults(), Direction.LOWER_IS_BETTER));
        for (final Map.Entry<String, Long> fault : s.faultsByKind().entrySet())
        {
            rows.add(new Row("  " + fault.getKey(), count(fault.getValue(), s.dmaRequests()), fault.getValue(), Direction.LOWER_IS_BETTER));
        }
        rows.add(new Row("machine checks", String.format(Locale.ROOT, "%d (at bind %d, by DMA %d, by TD access %d)", s.machineChecks(),
            s.bindMachineChecks(), s.dmaMachineChecks(), s.tdAccessMachineChecks()), s.machineChecks(), Direction.LOWER_IS_BETTER));
        if (s.guestAccesses() > 0)
        {
            rows.add(new Row("guest CPU accesses", s.guestAccesses() + " (ok " + s.guestAccessesOk() + ")", s.guestAccesses(),
                Direction.NEUTRAL));
            for (final Map.Entry<String, Long> fault : s.guestAccessFaultsByKind().entrySet())
            {
                rows.add(new Row("  " + fault.getKey(), count(fault.getValue(), s.guestAccesses()), fault.getValue(),
                    Direction.LOWER_IS_BETTER));
            }
        }
        for (final Map.Entry<String, Long> counter : s.platformCounters().entrySet())
        {
            if (counter.getValue() != 0)
            {
                rows.add(new Row(counter.getKey(), Long.toString(counter.getValue()), counter.getValue(), Direction.LOWER_IS_BETTER));
            }
        }
        for (final ReplayResult.CacheStats cache : result.caches())
        {
            if (cache.lookups() == 0)
            {
                continue; // a cache the traffic never consulted (guest tables without PASID traffic, device TLBs without ATS)
            }
            rows.add(new Row("hit rate " + cache.name(), String.format(Locale.ROOT, "%.2f%% of %d lookups (%d entries)",
                cache.hitRate() * 100, cache.lookups(), cache.entries()), cache.hitRate() * 100, Direction.HIGHER_IS_BETTER));
        }
        final double dma = Math.max(1, s.dmaRequests());
        rows.add(new Row("DMA fetching tables", String.format(Locale.ROOT, "%.3f of DMA", result.walks() / dma), result.walks() / dma,
            Direction.LOWER_IS_BETTER));
        rows.add(new Row("table fetches per DMA", String.format(Locale.ROOT, "%.3f", s.tableFetches() / dma), s.tableFetches() / dma,
            Direction.LOWER_IS_BETTER));
        if (s.rmpFetches() > 0)
        {
            rows.add(new Row("RMP fetches per DMA", String.format(Locale.ROOT, "%.3f", s.rmpFetches() / dma), s.rmpFetches() / dma,
                Direction.LOWER_IS_BETTER));
        }
        final Histogram latency = s.latency();
        for (final double percentile : new double[] {50, 90, 99})
        {
            final long value = s.dmaRequests() == 0 ? 0 : latency.getValueAtPercentile(percentile);
            rows.add(new Row(String.format(Locale.ROOT, "latency p%.0f", percentile), cycles(value, result.frequencyGhz()), value,
                Direction.LOWER_IS_BETTER));
        }
        final long max = s.dmaRequests() == 0 ? 0 : latency.getMaxValue();
        rows.add(new Row("latency max", cycles(max, result.frequencyGhz()), max, Direction.LOWER_IS_BETTER));
        rows.add(new Row("queued for a translation slot", count(result.queuedForSlot(), s.dmaRequests()), result.queuedForSlot(),
            Direction.LOWER_IS_BETTER));
        rows.add(new Row("queued for a walker", count(result.queuedForWalker(), s.dmaRequests()), result.queuedForWalker(),
            Direction.LOWER_IS_BETTER));
        timingRows(result, rows);
        rows.add(new Row("simulated time", String.format(Locale.ROOT, "%.3f us", result.simulatedNanos() / 1000), result.simulatedNanos(),
            Direction.LOWER_IS_BETTER));
        final double throughput = result.throughputGBps();
        rows.add(new Row("DMA throughput", String.format(Locale.ROOT, "%.3f GB/s (%.1f Gb/s)", throughput, throughput * 8), throughput,
            Direction.HIGHER_IS_BETTER));
        if (result.offeredGBps() > 0)
        {
            rows.add(new Row("offered by the trace", String.format(Locale.ROOT, "%.3f GB/s (%.0f%% achieved)", result.offeredGBps(),
                Math.min(100, throughput * 100 / result.offeredGBps())), result.offeredGBps(), Direction.NEUTRAL));
        }
        rows.add(new Row("page-table memory", bytes(result.pageTableBytes()) + " (peak " + bytes(result.peakPageTableBytes()) + ")",
            result.pageTableBytes(), Direction.LOWER_IS_BETTER));
        if (s.septBytes() > 0)
        {
            rows.add(new Row("S-EPT memory", bytes(s.septBytes()) + " (the TDX module's, at the end)", s.septBytes(),
                Direction.LOWER_IS_BETTER));
        }
        int shown = 0;
        for (final String event : result.eventLines())
        {
            if (shown++ == 8)
            {
                rows.add(new Row("  ...", (result.eventCount() - 8) + " more platform events", Double.NaN, Direction.NEUTRAL));
                break;
            }
            rows.add(new Row("event " + shown, event, Double.NaN, Direction.NEUTRAL));
        }
        if (s.timelineActions() > 0)
        {
            rows.add(new Row("timeline actions", Long.toString(s.timelineActions()), s.timelineActions(), Direction.NEUTRAL));
        }
        final TraceSummary trace = result.trace();
        rows.add(new Row("trace records read", trace.read() + " (replayed " + trace.decoded() + ", skipped " + trace.skipped() +
            ")" + (trace.stoppedEarly() ? ", stopped early" : ""), trace.read(), Direction.NEUTRAL));
        if (trace.skipped() > 0)
        {
            rows.add(new Row("bad trace records skipped", Long.toString(trace.skipped()), trace.skipped(), Direction.LOWER_IS_BETTER));
            int number = 0;
            for (final TraceFormatException error : trace.firstErrors())
            {
                rows.add(new Row("  skipped " + ++number, error.getMessage(), Double.NaN, Direction.NEUTRAL));
            }
        }
        if (trace.ignored() > 0)
        {
            rows.add(new Row("not TLP records, ignored", Long.toString(trace.ignored()), trace.ignored(), Direction.NEUTRAL));
            int number = 0;
            for (final String reason : trace.firstIgnoredReasons())
            {
                rows.add(new Row("  ignored " + ++number, reason, Double.NaN, Direction.NEUTRAL));
            }
        }
        rows.add(new Row("replay rate", String.format(Locale.ROOT, "%.2f M TLPs/s (%.2f s)", result.replayRate() / 1e6,
            result.wallNanos() / 1e9), Double.NaN, Direction.NEUTRAL));
        return rows;
    }

    /** The closed-loop rows: queueing in the devices, hazards, ATS (docs/timing.md). */
    private static void timingRows(final ReplayResult result, final List<Row> rows)
    {
        final ReplayStatistics s = result.statistics();
        final ReplayResult.TimingTotals t = result.timing();
        final long dma = s.dmaRequests();
        rows.add(new Row("queued in the device", count(s.deviceWaits(), dma) + String.format(Locale.ROOT,
            " (tag %d, posted credit %d, link %d)", t.waitedForTag(), t.waitedForCredit(), t.waitedForLink()), s.deviceWaits(),
            Direction.LOWER_IS_BETTER));
        final Histogram wait = s.deviceWait();
        for (final double percentile : new double[] {50, 99})
        {
            final long value = dma == 0 ? 0 : wait.getValueAtPercentile(percentile);
            rows.add(new Row(String.format(Locale.ROOT, "device wait p%.0f", percentile), cycles(value, result.frequencyGhz()), value,
                Direction.LOWER_IS_BETTER));
        }
        if (t.mergedMisses() > 0 || t.duplicateWalks() > 0)
        {
            rows.add(new Row("hits on a page being walked", count(t.mergedMisses() + t.duplicateWalks(), dma) +
                (t.duplicateWalks() > 0 ? " (walked again: merging off)" : " (merged with its walk)"),
                t.mergedMisses() + t.duplicateWalks(), Direction.LOWER_IS_BETTER));
        }
        if (t.orderingWaits() > 0)
        {
            rows.add(new Row("held by PCIe ordering", count(t.orderingWaits(), dma), t.orderingWaits(), Direction.LOWER_IS_BETTER));
        }
        if (t.microTlbHits() > 0)
        {
            rows.add(new Row("micro-TLB hits", count(t.microTlbHits(), dma), t.microTlbHits(), Direction.HIGHER_IS_BETTER));
        }
        if (t.deviceTlbHits() + t.deviceTlbMisses() > 0)
        {
            final long lookups = t.deviceTlbHits() + t.deviceTlbMisses();
            rows.add(new Row("hit rate device TLB (ATS)", String.format(Locale.ROOT, "%.2f%% of %d lookups", t.deviceTlbHits() * 100.0 /
                lookups, lookups), t.deviceTlbHits() * 100.0 / lookups, Direction.HIGHER_IS_BETTER));
        }
        if (t.translationRequests() > 0)
        {
            rows.add(new Row("ATS translation requests", Long.toString(t.translationRequests()), t.translationRequests(),
                Direction.LOWER_IS_BETTER));
        }
        if (t.atsInvalidations() > 0)
        {
            final double mean = (double)t.atsInvalidationCycles() / t.atsInvalidations();
            rows.add(new Row("ATS invalidations", String.format(Locale.ROOT, "%d, round trip %.0f cycles on average",
                t.atsInvalidations(), mean), t.atsInvalidations(), Direction.LOWER_IS_BETTER));
        }
    }

    /** Print rows as a two-column table. */
    public static void print(final List<Row> rows, final PrintWriter out)
    {
        int width = 0;
        for (final Row row : rows)
        {
            width = Math.max(width, row.metric().length());
        }
        for (final Row row : rows)
        {
            // Row texts quote the trace (its skipped records' errors): control characters are shown escaped.
            out.printf("  %-" + width + "s  %s%n", row.metric(), Printable.controls(row.text()));
        }
        out.flush();
    }

    /**
     * Print two summaries side by side. The mark column ({@link Comparison.Verdict}): {@code <} or {@code >} points at
     * the better side where the values differ by more than 1% and the metric has a better side, {@code *} marks a
     * difference in a metric that has none, {@code =} values within 1% (0 and 0 included); blank where a side has no
     * number. A difference column gives the ratio right / left.
     */
    public static void printComparison(final String leftName, final List<Row> left, final String rightName,
        final List<Row> right, final PrintWriter out)
    {
        final List<String> metrics = new ArrayList<>();
        for (final Row row : left)
        {
            metrics.add(row.metric());
        }
        for (final Row row : right)
        {
            if (!metrics.contains(row.metric()))
            {
                metrics.add(row.metric());
            }
        }
        int metricWidth = 6;
        int leftWidth = leftName.length();
        for (final String metric : metrics)
        {
            metricWidth = Math.max(metricWidth, metric.length());
            final Row row = find(left, metric);
            leftWidth = Math.max(leftWidth, row == null ? 1 : row.text().length());
        }
        leftWidth = Math.min(leftWidth, 48);
        out.printf("  %-" + metricWidth + "s   %-" + leftWidth + "s   %s%n", "metric", leftName, rightName);
        for (final String metric : metrics)
        {
            final Row a = find(left, metric);
            final Row b = find(right, metric);
            final String leftText = a == null ? "-" : Printable.controls(a.text());
            final String rightText = b == null ? "-" : Printable.controls(b.text());
            final Comparison.Verdict verdict = verdict(a, b);
            String difference = "";
            if (verdict == Comparison.Verdict.LEFT_BETTER || verdict == Comparison.Verdict.RIGHT_BETTER ||
                verdict == Comparison.Verdict.DIFFERENT)
            {
                difference = a.value() == 0 ? "  (from 0)" : String.format(Locale.ROOT, "  (x%.3g)", b.value() / a.value());
            }
            final String mark = verdict.mark();
            out.printf("%s %-" + metricWidth + "s   %-" + leftWidth + "s %s %s%s%n", mark, metric, leftText, mark, rightText, difference);
        }
        out.println("  < or > points at the better side where the values differ by more than 1%; * marks a difference in a");
        out.println("  metric with no better side; = marks values within 1% (0 and 0 included).");
        out.flush();
    }

    /** The verdict on one row of both summaries; {@link Comparison.Verdict#NOT_COMPARABLE} when a side has no number. */
    static Comparison.Verdict verdict(final Row a, final Row b)
    {
        if (a == null || b == null || Double.isNaN(a.value()) || Double.isNaN(b.value()))
        {
            return Comparison.Verdict.NOT_COMPARABLE;
        }
        return Comparison.verdict(a.direction(), a.value(), b.value());
    }

    private static Row find(final List<Row> rows, final String metric)
    {
        for (final Row row : rows)
        {
            if (row.metric().equals(metric))
            {
                return row;
            }
        }
        return null;
    }

    private static String count(final long value, final long total)
    {
        return total == 0 ? Long.toString(value) : String.format(Locale.ROOT, "%d (%.2f%%)", value, value * 100.0 / total);
    }

    private static String cycles(final long cycles, final double ghz)
    {
        return String.format(Locale.ROOT, "%d cycles (%.1f ns)", cycles, cycles / ghz);
    }

    /** Bytes with a binary unit. */
    public static String bytes(final long bytes)
    {
        if (bytes < 1024)
        {
            return bytes + " B";
        }
        final String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1)
        {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.2f %s", value, units[unit]);
    }
}
