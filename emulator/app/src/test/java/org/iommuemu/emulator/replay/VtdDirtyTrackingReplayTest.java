package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.iommuemu.emulator.replay.ScenarioErrors.assertError;
import static org.iommuemu.emulator.replay.ScenarioErrors.lineOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, dirty tracking in replay (seed 000): live migration with the IOMMU's dirty bits (SSADE, iommufd's
 * read-and-clear bitmap and the IOTLB flush after it) against KVM's dirty logging on a table shared with the IOMMU. The
 * bitmaps of the bundled seed000-iommu-dirty are checked against a brute-force set of the pages the devices wrote in
 * each round; without the flush, pages written through cached "already dirty" translations are lost.
 */
class VtdDirtyTrackingReplayTest
{
    private static final long[] ROUNDS = {50_000, 60_000, 70_000, 80_000, 90_000, Long.MAX_VALUE};

    /** The 4 KiB pages ok device writes touched, per round (between two bitmap reads). */
    private static List<Set<Long>> writtenPages(final List<Set<Long>> rounds, final ReplayRecord record)
    {
        if (record.trafficClass() == TrafficClass.DMA && record.request().isWrite() && record.outcome().isOk() &&
            record.index() >= ROUNDS[0])
        {
            int round = 0;
            while (record.index() >= ROUNDS[round + 1])
            {
                round++;
            }
            final long first = record.request().address() >>> 12;
            final long last = (record.request().address() + record.request().length() - 1) >>> 12;
            for (long page = first; page <= last; page++)
            {
                rounds.get(round).add(page);
            }
        }
        return rounds;
    }

    private static List<Set<Long>> emptyRounds()
    {
        final List<Set<Long>> rounds = new ArrayList<>();
        for (int i = 0; i < ROUNDS.length - 1; i++)
        {
            rounds.add(new HashSet<>());
        }
        return rounds;
    }

    private static List<PlatformEvent.DirtyBitmap> bitmaps(final ReplayResult result)
    {
        return result.events().stream().filter(PlatformEvent.DirtyBitmap.class::isInstance).map(PlatformEvent.DirtyBitmap.class::cast)
            .toList();
    }

    @Test
    void eachBitmapIsExactlyThePagesTheDevicesWroteSinceTheLastOneAndNoWriteFaults() throws IOException
    {
        final List<Set<Long>> rounds = emptyRounds();
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed000-iommu-dirty"),
            record -> writtenPages(rounds, record));
        assertEquals(0, result.statistics().faults(), "IOMMU dirty tracking never write-protects: device writes keep working");
        final List<PlatformEvent.DirtyBitmap> bitmaps = bitmaps(result);
        assertEquals(5, bitmaps.size());
        for (int i = 0; i < bitmaps.size(); i++)
        {
            final PlatformEvent.DirtyBitmap bitmap = bitmaps.get(i);
            assertTrue(bitmap.trackingOn() && bitmap.cleared() && bitmap.flushed(), bitmap.toString());
            assertTrue(rounds.get(i).size() > 100, "round " + i);
            assertEquals(rounds.get(i).size() * 4096L, bitmap.dirtyBytes(), "round " + i + ": every page written, nothing else");
            assertEquals(rounds.get(i).size(), bitmap.dirtyLeaves(), "4 KiB leaves: one per page");
        }
        final PlatformEvent.DirtyTracking enabled = result.events().stream().filter(PlatformEvent.DirtyTracking.class::isInstance)
            .map(PlatformEvent.DirtyTracking.class::cast).findFirst().orElseThrow();
        assertEquals(2, enabled.entriesRewritten(), "both devices' RID_PASID entries got SSADE");
        assertEquals(0, enabled.staleDirtyBytes(), "tracking was off: no D bit was set before");
        assertTrue(result.eventLines().contains("before TLP 50000: dirty tracking turned on for domain 1 (2 PASID entries with SSADE " +
            "set); stale dirty bits cleared over 0 KiB"), result.eventLines().toString());

        // The contrast: KVM's dirty logging on the table it shares with the IOMMU makes the device's writes fault.
        final ReplayResult shared = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed000-shared-ept"), ResultSink.NONE);
        assertTrue(shared.statistics().faultsByKind().get("WRITE") > 40_000, shared.statistics().faultsByKind().toString());
    }

    @Test
    void withoutTheFlushWritesThroughCachedDirtyTranslationsAreLost() throws IOException
    {
        final String yaml = TdxSeamcallReplayTest.bundledText("seed000-iommu-dirty").replace("domain: 1, iova: 0x100000000, size: 1G}",
            "domain: 1, iova: 0x100000000, size: 1G, flush: false}");
        final List<Set<Long>> rounds = emptyRounds();
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(yaml), "noflush.yaml", null),
            record -> writtenPages(rounds, record));
        final List<PlatformEvent.DirtyBitmap> bitmaps = bitmaps(result);
        assertEquals(rounds.get(0).size() * 4096L, bitmaps.get(0).dirtyBytes(), "the first round: every IOTLB entry was filled clean");
        long lost = 0;
        for (int i = 1; i < bitmaps.size(); i++)
        {
            assertFalse(bitmaps.get(i).flushed());
            final long reported = bitmaps.get(i).dirtyBytes() / 4096;
            assertTrue(reported <= rounds.get(i).size(), "never more than was written");
            lost += rounds.get(i).size() - reported;
        }
        assertTrue(lost > 0, "pages written through a translation cached as dirty before the clear are missing");
    }

    @Test
    void turningTrackingOffStopsMarking() throws IOException
    {
        final String yaml = TdxSeamcallReplayTest.bundledText("seed000-iommu-dirty").replace(
            "  - {at: 80000, action: read-dirty, domain: 1, iova: 0x100000000, size: 1G}\n",
            "  - {at: 80000, action: read-dirty, domain: 1, iova: 0x100000000, size: 1G}\n" +
            "  - {at: 80000, action: set-dirty-tracking, domain: 1, enable: false}\n");
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(yaml), "off.yaml", null),
            ResultSink.NONE);
        final List<PlatformEvent.DirtyBitmap> bitmaps = bitmaps(result);
        assertTrue(bitmaps.get(2).dirtyBytes() > 0 && bitmaps.get(2).trackingOn());
        assertEquals(0, bitmaps.get(3).dirtyBytes(), "SSADE clear: the walks mark nothing");
        assertFalse(bitmaps.get(3).trackingOn());
        assertEquals(0, result.statistics().faults());
    }

    @Test
    void badDirtyTrackingInputIsAScenarioError()
    {
        final String base = TdxSeamcallReplayTest.bundledText("seed000-iommu-dirty");
        assertError(base.replace("  mode: scalable\n", ""), "{at: 50000, action: set-dirty-tracking", "timeline[1].domain", "scalable");
        assertError(base.replace("{at: 60000, action: read-dirty, domain: 1, iova: 0x100000000, size: 1G}",
            "{at: 60000, action: read-dirty, domain: 1, iova: 0x100000800, size: 1G}"), "iova: 0x100000800", "timeline[2].size", "4 KiB");
        assertError(base.replace("{at: 60000, action: read-dirty, domain: 1,", "{at: 60000, action: read-dirty, domain: 2,"),
            "domain: 2,", "timeline[2].domain", "no domain with id 2");
        assertError(base.replace("    kvm-ept: separate\n", "    kvm-ept: separate\n    dirty-tracking: true\n")
                .replace("  mode: scalable\n", ""),
            "dirty-tracking: true", "domains[0].dirty-tracking", "scalable");
        // A range beyond the table's width is refused when the read runs, naming its line.
        final String wide = base.replace("{at: 60000, action: read-dirty, domain: 1, iova: 0x100000000, size: 1G}",
            "{at: 60000, action: read-dirty, domain: 1, iova: 0x1000000000000, size: 1G}");
        final Scenario scenario = ScenarioReader.parse(new StringReader(wide), "wide.yaml", null);
        final ScenarioException error = assertThrows(ScenarioException.class,
            () -> UntrustedDmaReplayTest.replay(scenario, ResultSink.NONE));
        assertTrue(error.getMessage().startsWith("wide.yaml:" + lineOf(wide, "iova: 0x1000000000000") + ": read-dirty: "),
            error.getMessage());
    }
}
