package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;

import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The device-wait distribution: its buckets, and what a throttled device shows in a replay. */
class DeviceWaitTest
{
    @Test
    void waitsAreCountedAtMostASixteenthBelowThemselves()
    {
        for (long value = 0; value < 1_000_000; value = value < 64 ? value + 1 : value * 21 / 20)
        {
            final int bucket = ReplayStatistics.waitBucket(value);
            final long low = ReplayStatistics.waitBucketValue(bucket);
            assertTrue(low <= value && value - low <= value / 16, value + " counted as " + low);
            assertEquals(bucket, ReplayStatistics.waitBucket(low), "a bucket's value is in the bucket");
        }
        final long max = ReplayStatistics.MAX_TRACKED_LATENCY;
        assertTrue(ReplayStatistics.waitBucketValue(ReplayStatistics.waitBucket(max)) <= max);
    }

    @Test
    void aDeviceWithFewTagsWaitsAndTheSummarySaysSo() throws IOException
    {
        // NVMe reads into 1 GiB of 4 KiB pages through a drive with 2 tags: it waits for its tags most of the time.
        final String yaml = String.join("\n",
            "name: few-tags",
            "platform: {iommu: amdvi, profile: amd}",
            "domains: [{id: 1, levels: 4, policy: forced-4k, mappings: [{iova: 0x100000000, size: 1G}]}]",
            "devices: [{requester: \"10:00.0\", domain: 1, dma: {preset: nvme-gen4, outstanding-reads: 2}}]",
            "traffic: {workload: nvme-write, footprint: 1G, count: 3000, seed: 4}",
            "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "few-tags.yaml", null);
        final ReplayResult result;
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            result = new Replay(Platform.build(scenario)).run(reader, ResultSink.NONE, Replay.ProgressListener.NONE);
        }
        final ReplayStatistics s = result.statistics();
        final Histogram wait = s.deviceWait();
        assertEquals(s.dmaRequests(), wait.getTotalCount(), "every DMA request has a wait, 0 included");
        assertTrue(s.deviceWaits() > s.dmaRequests() / 2, s.deviceWaits() + " of " + s.dmaRequests() + " waited");
        assertTrue(result.timing().waitedForTag() > 0);
        assertTrue(wait.getValueAtPercentile(90) > 100, "waits of a read round trip");
        assertTrue(result.throughputGBps() < result.offeredGBps() / 2, "the drive cannot keep up with its own trace");
        assertTrue(Summary.rows(result).stream().anyMatch(r -> r.metric().equals("queued in the device") && r.text().contains("tag ")));
    }
}
