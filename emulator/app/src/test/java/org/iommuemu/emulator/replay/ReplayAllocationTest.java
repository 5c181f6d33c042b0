package org.iommuemu.emulator.replay;

import java.io.StringReader;
import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.gen.TraceGenerator;
import org.iommuemu.tlp.gen.Workload;
import org.iommuemu.tlp.trace.TraceRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replay's per-TLP path ({@link Replay#step}) allocates nothing once warm: the closed-loop timing (device tags,
 * posted credits and links, lookup and PTE-request slots, duplicate-miss merging, PCIe ordering), the micro-TLB, the
 * ATS device TLB and its translation requests, and the statistics, under IOTLB misses and walks.
 */
class ReplayAllocationTest
{
    private static final int RECORDS = 4096;

    /**
     * @param platform {@code nic-4k}: two 200 Gb/s NICs at line rate over 1 GiB of 4 KiB pages (misses, walks, merged
     *                 misses, credits); {@code gem5}: the same under the gem5 profile (micro-TLB, a port that carries
     *                 payloads); {@code ats}: devices that use ATS (device-TLB hits and misses, translation requests).
     */
    @ParameterizedTest
    @ValueSource(strings = {"nic-4k", "gem5", "ats"})
    void theReplayOfATlpAllocatesNothing(final String platform)
    {
        final Object bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        final boolean ats = platform.equals("ats");
        final boolean gem5 = platform.equals("gem5");
        final String yaml = String.join("\n",
            "name: " + platform,
            "platform: {iommu: amdvi, profile: " + (gem5 ? "gem5-smmuv3" : "amd") + "}",
            "domains:",
            "  - {id: 1, levels: 4, policy: forced-4k, mappings: [{iova: 0x100000000, spa: 0x100000000, size: 1G}]}",
            "devices:",
            "  - {requester: \"10:00.0\", domain: 1, ats: " + ats + ", dma: nic-200g}",
            "  - {requester: \"11:00.0\", domain: 1, ats: " + ats + ", dma: {preset: nvme-gen4, outstanding-reads: 8, posted-credits: 4}}",
            "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), platform + ".yaml", null);
        final Replay replay = new Replay(Platform.build(scenario));
        final TraceRecord[] records = records(Workload.NIC_RX);

        final long thread = Thread.currentThread().getId();
        long index = 0;
        long sink = 0;
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < RECORDS; i++)
            {
                sink += replay.step(index++, records[i]).completionCycle();
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, least, "bytes allocated by " + RECORDS + " TLPs, least of six rounds (sink " + sink + ")");
        assertTrue(replay.timing().totalWalks() > 0, "the traffic walked");
        assertTrue(replay.statistics().deviceWaits() > 0, "and queued in its devices");
        if (ats)
        {
            assertTrue(replay.timing().translationRequests() > 0 && replay.timing().deviceTlbCounts()[0] > 0, "ATS misses and hits");
        }
        else
        {
            assertTrue(replay.timing().mergedMisses() > 0, "hits on pages being walked");
        }
        assertEquals(gem5, replay.timing().microTlbHits() > 0, "micro-TLB hits with the gem5 profile only");
    }

    /** Generated TLPs held in memory, decoded once (as the pipeline benchmark holds them). */
    private static TraceRecord[] records(final Workload workload)
    {
        final TraceGenerator generator = new TraceGenerator(new TraceGenerator.Config().workload(workload).devices(2)
            .footprint(1L << 30).seed(7).lineRateGbps(200));
        final TraceRecord[] records = new TraceRecord[RECORDS];
        final TraceRecord generated = new TraceRecord();
        for (int i = 0; i < RECORDS; i++)
        {
            generator.next(generated);
            final byte[] bytes = new byte[generated.capturedLength()];
            generated.buffer().getBytes(generated.tlpOffset(), bytes);
            records[i] = new TraceRecord().set(generated.timestamp(), generated.timestampExponent(), generated.direction(), 0)
                .ide(false, false, 0).tlpBytes(false, new UnsafeBuffer(bytes), 0, bytes.length, bytes.length);
            records[i].decode();
        }
        return records;
    }
}
