package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayTest
{
    @TempDir
    Path folder;

    @Test
    void seed001HugePagesFaultWhereForced4kDoesNot() throws IOException
    {
        final ReplayResult huge = replay(ScenarioReader.bundled("seed001-huge"), 20_000, ResultSink.NONE);
        final ReplayResult small = replay(ScenarioReader.bundled("seed001-4k"), 20_000, ResultSink.NONE);
        final long hugeFaults = huge.statistics().faultsByKind().getOrDefault("RMP_PAGE_FAULT", 0L);
        assertTrue(hugeFaults > 0, "a 2 MiB IOMMU leaf over the PSMASHed region faults");
        assertEquals(huge.statistics().faults(), hugeFaults, "and RMP_PAGE_FAULT is the only fault");
        assertEquals(0, small.statistics().faults(), "forced 4K: the NIC never touches the private page");
        assertEquals(huge.statistics().dmaRequests(), small.statistics().dmaRequests(), "same traffic");
        assertTrue(small.pageTableBytes() > huge.pageTableBytes(), "4 KiB leaves cost table pages");
        assertTrue(huge.statistics().count(TrafficClass.INTERRUPT) > 0, "MSI writes are counted, not translated");
    }

    @Test
    void deterministicForTheSameTraceAndProfile() throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled("nic-passthrough");
        final ReplayResult first = replay(scenario, 5_000, ResultSink.NONE);
        final ReplayResult second = replay(scenario, 5_000, ResultSink.NONE);
        assertEquals(first.statistics().simulatedCycles(), second.statistics().simulatedCycles());
        assertEquals(first.statistics().latency(), second.statistics().latency());
        assertEquals(first.statistics().tableFetches(), second.statistics().tableFetches());
    }

    @Test
    void csvAndBinaryResultsHaveOneRecordPerTlp() throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled("seed001-huge");
        final StringWriter csv = new StringWriter();
        final ReplayResult result;
        try (CsvResultSink sink = new CsvResultSink(csv))
        {
            result = replay(scenario, 3_000, sink);
        }
        final List<String> lines = csv.toString().lines().toList();
        assertEquals(CsvResultSink.HEADER, lines.get(0));
        assertEquals(3_000, lines.size() - 1, "one line per TLP");
        assertEquals(result.statistics().faults(), lines.stream().skip(1).filter(l -> l.contains(",fault,")).count());
        assertTrue(lines.stream().anyMatch(l -> l.contains(",fault,,,RMP_PAGE_FAULT,")), "fault lines name the fault");
        assertTrue(lines.stream().anyMatch(l -> l.contains(",ok,0x")), "ok lines carry the output address");
        assertTrue(lines.stream().anyMatch(l -> l.contains(",interrupt,")));

        final Path bin = folder.resolve("r.bin");
        try (BinaryResultSink sink = new BinaryResultSink(bin))
        {
            replay(scenario, 3_000, sink);
        }
        final ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(bin)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(BinaryResultSink.MAGIC, bytes.getLong(0));
        assertEquals(BinaryResultSink.END_MAGIC, bytes.getLong(bytes.limit() - 8));
        final long tableOffset = bytes.getLong(bytes.limit() - 16);
        assertEquals(3_000, (tableOffset - 16) / BinaryResultSink.RECORD_SIZE);
        assertEquals(2999, bytes.getLong(16 + 2999 * 64), "the last record's index");
        int faultRecords = 0;
        for (int i = 0; i < 3_000; i++)
        {
            faultRecords += bytes.getShort(16 + i * 64 + 50) != 0 ? 1 : 0;
        }
        assertEquals(result.statistics().faults(), faultRecords);
    }

    @Test
    void unmapWithoutInvalidationLeavesAStaleTranslationUntilInvalidated() throws IOException
    {
        // Device 0 of a strided workload reads the same pages over and over; unmapping them without an
        // invalidation keeps the IOTLB's entries usable (stale), the invalidation 200 TLPs later ends that.
        final String yaml = String.join("\n",
            "name: stale",
            "platform: {iommu: amdvi, profile: amd}",
            "domains:",
            "  - id: 1",
            "    mappings: [{iova: 0x100000000, spa: 0x100000000, size: 4M}]",
            "devices: [{requester: 0x1000, domain: 1}]",
            "timeline:",
            "  - {at: 1000, action: unmap, domain: 1, iova: 0x100000000, size: 4M, invalidate: false}",
            "  - {at: 1200, action: invalidate, domain: 1}",
            "traffic: {workload: strided, footprint: 4M, count: 2000}",
            "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "stale.yaml", null);
        final long[] faultsBefore = new long[3];
        final Replay replay = new Replay(Platform.build(scenario));
        final GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic());
        final ResultSink counter = record ->
        {
            if (record.trafficClass() == TrafficClass.DMA && !record.outcome().isOk())
            {
                faultsBefore[record.index() < 1000 ? 0 : record.index() < 1200 ? 1 : 2]++;
            }
        };
        replay.run(reader, counter, Replay.ProgressListener.NONE);
        assertEquals(0, faultsBefore[0], "mapped: no faults");
        assertTrue(faultsBefore[1] < 200, "unmapped but not invalidated: IOTLB hits still translate");
        assertTrue(faultsBefore[2] > 0, "after the invalidation every request faults");
        assertEquals(2, replay.statistics().timelineActions());
    }

    @Test
    void anRmpUpdateFlushesTheIotlbAndTakesEffectOnTheNextDma() throws IOException
    {
        // The NIC's traffic hits the IOTLB; converting a page of the second 2 MiB region to private mid-trace
        // flushes it (hardware's global flush on RMPUPDATE) and makes DMA through that 2 MiB leaf fault.
        final String yaml = String.join("\n",
            "platform: {iommu: amdvi, snp: true}",
            "rmp: {conversions: [{action: make-shared, spa: 0x8000000, size: 2M}, {action: make-shared, spa: 0x8200000, size: 2M}]}",
            "domains: [{id: 1, mappings: [{iova: 0x100000000, spa: 0x8000000, size: 4M}]}]",
            "devices: [{requester: 0x1000, domain: 1}]",
            "timeline: [{at: 3000, action: make-private, spa: 0x8000000, asid: 1}]",
            "traffic: {workload: nic-rx, footprint: 4M, count: 6000}", "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "rmp.yaml", null);
        final long[] misses = new long[2];
        final long[] faults = new long[2];
        final Replay replay = new Replay(Platform.build(scenario));
        replay.run(new GeneratedTraceReader(scenario.traffic()), record ->
        {
            if (record.trafficClass() == TrafficClass.DMA)
            {
                final int half = record.index() < 3000 ? 0 : 1;
                misses[half] += record.outcome().iotlbHit() ? 0 : 1;
                faults[half] += record.outcome().isOk() ? 0 : 1;
            }
        }, Replay.ProgressListener.NONE);
        assertEquals(0, faults[0]);
        assertTrue(faults[1] > 0, "the 2 MiB leaf over a mixed region faults after the conversion");
        assertTrue(misses[1] >= 1, "the flush makes the next DMA walk again");
    }

    @Test
    void reportFolderHasPlotsAndPage() throws IOException
    {
        final ReplayResult result = replay(ScenarioReader.bundled("seed001-huge"), 2_000, ResultSink.NONE);
        final Path html = ReportWriter.write(result, folder.resolve("report"), ReportWriter.ImageFormat.PNG);
        final String page = Files.readString(html);
        for (final String image : new String[] {"latency.png", "hit-rates.png", "walks.png", "faults.png", "throughput.png"})
        {
            assertTrue(Files.size(folder.resolve("report").resolve(image)) > 1000, image);
            assertTrue(page.contains(image), image);
        }
        assertTrue(page.contains("RMP_PAGE_FAULT"));
        assertTrue(Files.readString(folder.resolve("report/summary.txt")).contains("latency p99"));
        ReportWriter.write(result, folder.resolve("svg"), ReportWriter.ImageFormat.SVG);
        assertTrue(Files.readString(folder.resolve("svg/latency.svg")).contains("<svg"));
    }

    @Test
    void generatedReaderMatchesTheGenerator() throws IOException
    {
        final Scenario.TrafficSpec spec = new Scenario.TrafficSpec(null, Workload.NVME_READ, 2, 8L << 20, 0x1_0000_0000L, 100, 3, 4096, 0,
            0);
        final GeneratedTraceReader reader = new GeneratedTraceReader(spec);
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(Workload.NVME_READ).devices(2)
            .footprint(8L << 20).seed(3).transferSize(4096));
        final TraceRecord expected = new TraceRecord();
        int n = 0;
        while (reader.next())
        {
            generator.next(expected);
            assertEquals(expected.tlp().request().address(), reader.record().tlp().request().address());
            n++;
        }
        assertEquals(100, n);
        assertEquals(100, reader.summary().decoded());
    }

    private static ReplayResult replay(final Scenario scenario, final long count, final ResultSink sink) throws IOException
    {
        final Scenario.TrafficSpec t = scenario.traffic();
        final Scenario.TrafficSpec spec = t.withCount(count);
        try (GeneratedTraceReader reader = new GeneratedTraceReader(spec))
        {
            return new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
    }
}
