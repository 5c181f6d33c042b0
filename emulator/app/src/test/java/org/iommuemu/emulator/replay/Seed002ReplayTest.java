package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 002, both ways of mapping a guest's memory for DMA, on SNP and on TDX, request by request: with the mapping
 * pinned at VM creation, DMA to pages the guest converted to private (in place, TLP 3000 to 7000) is RMP_PAGE_FAULT
 * (SNP) or completes and poisons them (TDX), and the TD's read of such a line is a machine check; with the mapping
 * following conversions, the same requests, and only they, fail cleanly in the IOMMU's translation, nothing reaches a
 * private page, and the price is the unmaps, maps and invalidations the summary counts.
 */
class Seed002ReplayTest
{
    private static final long CONVERTED_GPA = 0x1_0020_0000L;
    private static final long CONVERTED_SIZE = 512 * 1024;

    /** Each DMA record's outcome by index: "ok", "ok POISONED_WRITE" or the fault's name. */
    private static Map<Long, String> outcomes(final String scenario, final ReplayResult[] result) throws IOException
    {
        final Map<Long, String> outcomes = new HashMap<>();
        result[0] = UntrustedDmaReplayTest.replay(ScenarioReader.bundled(scenario), r ->
        {
            if (r.trafficClass() == TrafficClass.DMA)
            {
                outcomes.put(r.index(), r.outcome().isOk() ? (r.outcome().effect() == null ? "ok" : "ok " +
                    r.outcome().effect().effectName()) : r.outcome().fault().faultName());
            }
        });
        return outcomes;
    }

    /** Whether request {@code index} to {@code address} (an IOVA whose low 4 GiB bits are the GPA's) hits a converted page then. */
    private static boolean converted(final long index, final long gpa)
    {
        return index >= 3000 && index < 7000 && gpa >= CONVERTED_GPA && gpa < CONVERTED_GPA + CONVERTED_SIZE;
    }

    @Test
    void snpPinnedMappingsMeetTheRmpFollowingOnesFailCleanly() throws IOException
    {
        final ReplayResult[] pin = new ReplayResult[1];
        final ReplayResult[] follow = new ReplayResult[1];
        final Map<Long, Long> gpas = new HashMap<>();
        UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed002-pin-snp"), r ->
        {
            if (r.trafficClass() == TrafficClass.DMA)
            {
                gpas.put(r.index(), r.request().address());
            }
        });
        final Map<Long, String> pinned = outcomes("seed002-pin-snp", pin);
        final Map<Long, String> following = outcomes("seed002-follow-snp", follow);
        assertEquals(pinned.keySet(), following.keySet());
        int hits = 0;
        for (final Map.Entry<Long, String> e : pinned.entrySet())
        {
            final boolean converted = converted(e.getKey(), gpas.get(e.getKey()));
            hits += converted ? 1 : 0;
            assertEquals(converted ? "RMP_PAGE_FAULT" : "ok", e.getValue(), "pinned, record " + e.getKey());
            assertEquals(converted ? "IO_PAGE_FAULT" : "ok", following.get(e.getKey()), "following, record " + e.getKey());
        }
        assertTrue(hits > 500, "DMA to the converted pages: " + hits);
        assertNull(follow[0].statistics().faultsByKind().get("RMP_PAGE_FAULT"));

        final Map<String, Long> pinCost = pin[0].statistics().platformCounters();
        final Map<String, Long> followCost = follow[0].statistics().platformCounters();
        assertEquals(1, pinCost.get("VMM IOMMU map calls"), "everything mapped once, at creation");
        assertEquals(1024, pinCost.get("VMM IOMMU pages mapped (4 KiB)"));
        assertNull(pinCost.get("VMM IOMMU unmap calls"));
        assertNull(pinCost.get("IOMMU invalidations (with completion wait)"));
        assertEquals(1 + 128, followCost.get("VMM IOMMU map calls"), "the shared pages at creation, then each page converted back");
        assertEquals(1024 + 128, followCost.get("VMM IOMMU pages mapped (4 KiB)"));
        assertEquals(128, followCost.get("VMM IOMMU unmap calls"), "each page before it becomes private");
        assertEquals(128, followCost.get("IOMMU invalidations (with completion wait)"));
        assertEquals(pinCost.get("RMPUPDATE"), followCost.get("RMPUPDATE"), "the same conversions");
        final PlatformEvent.PageStateChange change = (PlatformEvent.PageStateChange)follow[0].events().get(0);
        assertTrue(change.toPrivate() && change.completed());
        assertEquals(128, change.iommuPagesUnmapped());
        assertEquals(128, change.invalidations());
    }

    @Test
    void tdxPinnedMappingsPoisonAndMachineCheckFollowingOnesFailCleanly() throws IOException
    {
        final ReplayResult[] pin = new ReplayResult[1];
        final ReplayResult[] follow = new ReplayResult[1];
        final Map<Long, Long> iovas = new HashMap<>();
        UntrustedDmaReplayTest.replay(ScenarioReader.bundled("seed002-pin-tdx"), r ->
        {
            if (r.trafficClass() == TrafficClass.DMA)
            {
                iovas.put(r.index(), r.request().address());
            }
        });
        final Map<Long, String> pinned = outcomes("seed002-pin-tdx", pin);
        final Map<Long, String> following = outcomes("seed002-follow-tdx", follow);
        int hits = 0;
        for (final Map.Entry<Long, String> e : pinned.entrySet())
        {
            final long iova = iovas.get(e.getKey());
            final boolean converted = converted(e.getKey(), iova & ~(1L << 47));
            hits += converted ? 1 : 0;
            assertEquals(converted ? "ok POISONED_WRITE" : "ok", e.getValue(), "pinned, record " + e.getKey());
            assertEquals(converted ? "WRITE" : "ok", following.get(e.getKey()), "following, record " + e.getKey());
        }
        assertTrue(hits > 500, "DMA to the converted pages: " + hits);
        assertEquals(1, pin[0].machineChecks(), "the TD's read of a poisoned line");
        assertEquals(1, pin[0].statistics().tdAccessMachineChecks());
        assertEquals(0, follow[0].machineChecks());
        assertFalse(follow[0].statistics().effectsByKind().containsKey("POISONED_WRITE"));
        final PlatformEvent.TdAccess read = (PlatformEvent.TdAccess)follow[0].events().get(1);
        assertEquals(PlatformEvent.TdAccessResult.OK, read.result());
        final PlatformEvent.TdConversion toPrivate = (PlatformEvent.TdConversion)pin[0].events().get(0);
        assertTrue(toPrivate.completed() && toPrivate.toPrivate());
        // PAGE.AUG and ACCEPT per page, and SEPT.ADD for the levels the TD's private memory at GPA 0-4M did not have:
        // the page directory pointer table (level 2) and the page directory (level 1) of the 4 GiB region.
        assertEquals(256 + 2, toPrivate.seamcalls());
        final PlatformEvent.TdConversion toShared = (PlatformEvent.TdConversion)pin[0].events().get(2);
        assertEquals(128 + 1 + 128, toShared.seamcalls(), "BLOCK per page, one TRACK, REMOVE per page");
        assertEquals(128, follow[0].statistics().platformCounters().get("IOMMU invalidations (with completion wait)"));
        assertNull(pin[0].statistics().platformCounters().get("IOMMU invalidations (with completion wait)"));
    }
}
