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
 * stayed the same), and once when the timing model began charging each walk-cache probe its hit latency
 * ({@code caches.walk.hit-latency}, gem5's walk_lat): only the cycles of requests that walked change, by 4 cycles
 * per probe (checked row by row against the previous build's CSV results: every other column is identical); and, in
 * the same change, a walk resumed from a cached pointer now fills the walk caches of the levels it read, as a walk
 * from the root does (seed001-4k and miss4K: some later walks read one entry fewer; outcomes and output addresses
 * identical).
 * <p>
 * The VT-d digests ({@link #vtdScenariosGiveTheRecordedResults}: legacy and scalable mode, TDX Connect) were recorded
 * when the emulator module was split into models, app and cli, from the code before that split (the same results).
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

    /**
     * VT-d: the bundled VT-d scenarios (scalable mode with KVM's EPT shared or separate; legacy and scalable mode
     * with TDX Connect, T=0 and T=1 traffic, TDI bind and start, private MMIO) and a legacy and a scalable
     * platform under random 4 KiB traffic (IOTLB misses and walks).
     */
    @Test
    void vtdScenariosGiveTheRecordedResults() throws IOException
    {
        final Map<String, String> actual = new TreeMap<>();
        for (final String name : new String[] {"seed000-shared-ept", "seed000-separate-ept", "seed003-t-flip", "seed003-iova-split",
            "seed004-wrong-order", "seed004-right-order"})
        {
            actual.put(name, digest(ScenarioReader.bundled(name), 20_000));
        }
        for (final String mode : new String[] {"legacy", "scalable"})
        {
            actual.put("vtd-" + mode, digest(vtd(mode), 20_000));
        }
        assertDigests(actual);
    }

    /** A VT-d platform in {@code mode}, 1 GiB mapped with 4 KiB pages, random traffic. */
    private static Scenario vtd(final String mode)
    {
        final String yaml = String.join("\n",
            "name: vtd-" + mode,
            "platform: {iommu: vtd, mode: " + mode + ", profile: intel}",
            "domains:",
            "  - id: 1",
            "    levels: 4",
            "    policy: forced-4k",
            "    mappings: [{iova: 0x100000000, spa: 0x100000000, size: 1G}]",
            "devices: [{requester: 0x1000, domain: 1}]",
            "traffic: {workload: random, footprint: 1G, seed: 7}",
            "");
        return ScenarioReader.parse(new StringReader(yaml), "vtd.yaml", null);
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

    private static final Map<String, String> EXPECTED = Map.ofEntries(
        Map.entry("seed001-huge", "b383e19d4afa8d31ab92f692a1f245672f8abf9dd3fcecf718ca8884ee3031a4"),
        Map.entry("seed001-4k", "59142f652c23117791d4fd15620584446348375f2a5e74475d611d1f39a15b46"),
        Map.entry("nic-passthrough", "0597ba297ccb85110afded1dc52ca721d9152d9ae31a0c5194080123c103e91f"),
        Map.entry("nvme-passthrough", "1f1e162fb8c64a4d8ed4d674944733488f8dc959e373d0d0b0fe14bce67cd99a"),
        Map.entry("hit", "f029e076d71cb28f28a9c8512154600b12f75745b7eccd7e63ffbf004c8dc79c"),
        Map.entry("miss4K", "f72fd4e22d9ef34dd5925ebcd1f25de6ad4851dede1b391e749ee321311cc159"),
        Map.entry("snp", "eb064c5f976e743d3a25b716133adfdb28ace1d680ae055ded928b09ec6b2cdb"),
        Map.entry("seed000-shared-ept", "190645304d4bac85b67b3f44a09d64f9373c4b8bd9bc55034c1a5eccb216cf2a"),
        Map.entry("seed000-separate-ept", "31a580f3bd028159f7e4bcd3e762e16fef73df7a99093564c662dec6d69f42b6"),
        Map.entry("seed003-t-flip", "a665fa6204f83402cce0311d906efa8d15339700dab0febf601f0e28711258a9"),
        Map.entry("seed003-iova-split", "18e36f75559a445d8a89c8e56cc37386680a776bad028682c776424ceda04937"),
        Map.entry("seed004-wrong-order", "565187a2027ade2cbe05cfdb6dbcbaa4c16bf9cc46280030cf057a2f1b835189"),
        Map.entry("seed004-right-order", "b5aac4211ec6fbe57b4dcf5312d7d709a0ed709a60980ad0c331c8b35da81e01"),
        Map.entry("vtd-legacy", "73366702f0d1052a81cc60c7ee4fcec1315ee35f47d3e51399e016d15873749a"),
        Map.entry("vtd-scalable", "8ee366266f39263eea676597523c428616aace7955fbc3d2b3de5cd53f26d382"));

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
