package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Performance work must not change results: every per-TLP result (the CSV sink's line: outcome, output
 * address, latency, IOTLB hit, fetches) and every statistic (histograms, time series, cache counters, timing
 * totals) of several replays hash to the digests the straightforward implementation produced (recorded before
 * the replay pipeline's fast paths: last-hit memos, the fully associative IOTLB's index, the sorted ring of
 * free-at cycles, batched histogram updates, register copies).
 * <p>
 * A deliberate change of the model re-records them, with the reason here: re-recorded once when the AMD-Vi model
 * gained page-walk caches (fewer table fetches, so latencies and fetch counts change; every outcome, ok or fault,
 * stayed the same).
 */
class ReplayGoldenTest
{
    @Test
    void bundledScenariosGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"seed001-huge", "seed001-4k", "nic-passthrough", "nvme-passthrough"})
        {
            actual.put(name, digest(ScenarioReader.bundled(name), 20_000));
        }
        assertDigests(actual);
    }

    @Test
    void benchmarkPlatformsGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"hit", "miss4K", "snp"})
        {
            actual.put(name, digest(bench(name), 20_000));
        }
        assertDigests(actual);
    }

    /** The ReplayBenchmark's platforms, with its traffic. */
    private static Scenario bench(final String platform)
    {
        final boolean miss = platform.equals("miss4K");
        final boolean snp = platform.equals("snp");
        final String yaml = String.join("\n",
            "name: bench-" + platform,
            "platform: {iommu: amdvi, profile: amd, snp: " + snp + "}",
            snp ? "rmp: {base: 0x200000000, covers: 8G}" : "",
            "domains:",
            "  - id: 1",
            "    levels: 4",
            "    policy: " + (miss ? "forced-4k" : "huge"),
            "    mappings: [{iova: 0x100000000, spa: 0x100000000, size: " + (miss ? "1G" : "4M") + "}]",
            "devices: [{requester: 0x1000, domain: 1}]",
            "traffic: {workload: " + (miss ? "random" : "strided") + ", footprint: " + (miss ? "1G" : "4M") + ", seed: 7}",
            "");
        return ScenarioReader.parse(new StringReader(yaml), "bench.yaml", null);
    }

    private static void assertDigests(final Map<String, String> actual)
    {
        final Map<String, String> expected = new TreeMap<>();
        for (final String name : actual.keySet())
        {
            expected.put(name, EXPECTED.get(name));
        }
        assertEquals(expected, actual);
    }

    private static final Map<String, String> EXPECTED = Map.of(
        "seed001-huge",
            "2e58f14da93b4ca170938ae5a291a37bbabf76e848885a4be72a58c92bf2c89d",
        "seed001-4k",
            "a3c9d35f9782a7ef8c4838f6fea80d48b41392ef20fcbe6b51c545b43bfff3c4",
        "nic-passthrough",
            "880d326b38c9dc0f982a9c0035eab4057504e4413eba0836411d4bfd2514fda6",
        "nvme-passthrough",
            "34f7520d9da6b0af4f7740c131fbcba341b3d48a366bff389b34b3005ea365dc",
        "hit",
            "54d348a68e5256b70fb6c0208f8bc9b48f8385716c859eedce0fdf9adb24d6b5",
        "miss4K",
            "677d545db008cdaf5442036b0618f82d2d4db27007de55d6d10fe6d6fb7a532f",
        "snp",
            "c703163dffb3ee21318220a66804c45f52d6fd68200e3df914c4d1974e63fb58");

    private static String digest(final Scenario scenario, final long count) throws IOException
    {
        final Scenario.TrafficSpec t = scenario.traffic();
        final Scenario.TrafficSpec spec = new Scenario.TrafficSpec(null, t.workload(), t.devices(), t.footprint(), t.baseAddress(),
            count, t.seed(), t.transferSize(), t.pasidFraction(), t.teeFraction());
        final StringWriter text = new StringWriter();
        final ReplayResult result;
        try (GeneratedTraceReader reader = new GeneratedTraceReader(spec); CsvResultSink sink = new CsvResultSink(text))
        {
            result = new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
        final StringBuilder b = new StringBuilder(text.toString());
        final ReplayStatistics s = result.statistics();
        b.append("tlps=").append(s.tlps()).append(" dma=").append(s.dmaRequests()).append(" bytes=").append(s.dmaBytes())
            .append(" ok=").append(s.ok()).append(" faults=").append(s.faults()).append(' ').append(s.faultsByKind())
            .append(" hits=").append(s.iotlbHits()).append(" fetches=").append(s.tableFetches()).append('/').append(s.rmpFetches())
            .append(" cycles=").append(s.simulatedCycles()).append(" clamped=").append(s.clampedLatencies()).append('\n');
        for (final TrafficClass c : TrafficClass.values())
        {
            b.append(c).append('=').append(s.count(c)).append(' ');
        }
        histogram(b.append("\nall "), s.latency());
        for (final Map.Entry<String, Histogram> e : s.latencyByOutcome().entrySet())
        {
            histogram(b.append('\n').append(e.getKey()).append(' '), e.getValue());
        }
        final TimeSeries series = s.series();
        b.append("\nseries width=").append(series.width());
        for (int i = 0; i < series.buckets(); i++)
        {
            b.append('\n').append(series.firstIndex(i)).append(',').append(series.dma(i)).append(',').append(series.hits(i))
                .append(',').append(series.faults(i)).append(',').append(series.meanLatency(i)).append(',')
                .append(series.pageTableBytes(i)).append(',').append(series.endCycle(i));
        }
        b.append('\n').append(result.caches()).append(" pt=").append(result.pageTableBytes()).append('/')
            .append(result.peakPageTableBytes()).append(" walks=").append(result.walks()).append(" queued=")
            .append(result.queuedForSlot()).append('/').append(result.queuedForWalker()).append(" llc=").append(result.llcHits());
        try
        {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8)));
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static void histogram(final StringBuilder b, final Histogram h)
    {
        b.append(h.getTotalCount()).append(' ').append(h.getMinValue()).append(' ').append(h.getMaxValue()).append(' ')
            .append(h.getMean());
        for (final double p : new double[] {50, 90, 99, 99.9, 100})
        {
            b.append(' ').append(h.getValueAtPercentile(p));
        }
        b.append(' ').append(h.hashCode());
    }
}
