package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.vtd.TrustedDmaFault;
import org.iommuemu.tdx.TdxStatus;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, TDX in replay: the memory SEAMCALLs and the TDISP transitions as timeline actions during T=1 traffic.
 * The bundled tdx-block-track, tdx-relocate, tdx-demote-live and tdx-tdi-error are checked request by request against what each
 * window of the timeline must give (a stale trusted IOTLB hit between BLOCK and TRACK, TDX_BLOCKED after TRACK, the new
 * host page after REMOVE and AUG, 4 KiB translations after DEMOTE, the TDISP refusals), and the SEAMCALLs' answers,
 * error codes included, are platform events.
 */
class TdxSeamcallReplayTest
{
    private static final long PRIVATE_HPA = 0x4000_0000L;
    private static final long MOVED_HPA = 0x4800_0000L;
    private static final long RING_END = 0x1000;

    /** Counts of what the windows of a replay gave. */
    private static final class Counts
    {
        long staleHits;
        long blocked;
        long moved;
        long ok;
        long twoMeg;
        long fourK;
        long notRun;
        long noTdi;
        long hitsAfterRecovery;
    }

    @Test
    void theSummaryGivesTheSecureEptsMemoryWhichThePageTableFigureLeavesOut() throws IOException
    {
        // tdx-block-track maps TD 1's GPA 0-4M with 4 KiB pages in a 4-level S-EPT: two leaf tables, one directory,
        // one directory-pointer table and the root, five pages (REMOVE and AUG at TLP 8000 reuse the same tables).
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("tdx-block-track"), ResultSink.NONE);
        assertEquals(5 * 4096, result.statistics().septBytes());
        assertEquals(0, result.pageTableBytes(), "no IOMMU domain: the page-table figure is the IOMMU's tables only");
        assertTrue(Summary.rows(result).stream().anyMatch(r -> r.metric().equals("S-EPT memory") && r.value() == 5 * 4096));
        assertTrue(ResultMetrics.of(result).stream().anyMatch(m -> m.key().equals("page_tables.sept_bytes") &&
            m.value().equals(5L * 4096)));
        final ReplayResult plain = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("nic-passthrough"), ResultSink.NONE);
        assertEquals(0, plain.statistics().septBytes());
        assertTrue(Summary.rows(plain).stream().noneMatch(r -> r.metric().equals("S-EPT memory")));
    }

    @Test
    void blockLeavesAStaleTrustedEntryUntilTrackAndRemoveAndAugMoveThePage() throws IOException
    {
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.bundled("tdx-block-track"), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long i = record.index();
            final long address = record.request().address();
            final RequestOutcome outcome = record.outcome();
            assertTrue(record.request().trusted(), "the TDI is in RUN: T=1");
            if (address >= RING_END)
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": only the ring page is blocked, " + outcome);
                assertEquals(PRIVATE_HPA + address, outcome.outputAddress());
                return;
            }
            if (i < 3000 || (i >= 5000 && i < 7000))
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
                assertEquals(PRIVATE_HPA + address, outcome.outputAddress());
            }
            else if (i < 4000)
            {
                // Blocked in the S-EPT, not yet tracked: a cached translation still serves (the stale hit); a miss walks
                // and is refused.
                if (outcome.isOk())
                {
                    assertTrue(outcome.iotlbHit(), () -> "TLP " + i + ": only a cached translation reaches a blocked page");
                    assertEquals(PRIVATE_HPA + address, outcome.outputAddress());
                    counts.staleHits++;
                }
                else
                {
                    assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
                }
            }
            else if (i < 5000 || (i >= 7000 && i < 8000))
            {
                assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault(), () -> "TLP " + i + ": tracked, " + outcome);
                counts.blocked++;
            }
            else
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
                assertEquals(MOVED_HPA + address, outcome.outputAddress(), "REMOVE and AUG moved the ring to another page");
                counts.moved++;
            }
        });
        assertTrue(counts.staleHits > 50, "stale hits between BLOCK and TRACK: " + counts.staleHits);
        assertTrue(counts.blocked > 100 && counts.moved > 100, counts.blocked + " " + counts.moved);
        assertEquals(result.statistics().faults(), result.statistics().faultsByKind().get("TDX_BLOCKED"), "every fault is TDX_BLOCKED");

        final List<PlatformEvent.Seamcall> calls = seamcalls(result);
        assertEquals(List.of("TDH.MEM.RANGE.BLOCK", "TDH.MEM.TRACK", "TDH.MEM.RANGE.UNBLOCK", "TDH.MEM.RANGE.BLOCK", "TDH.MEM.TRACK",
            "TDH.MEM.PAGE.REMOVE", "TDH.MEM.PAGE.AUG", "TDG.MEM.PAGE.ACCEPT"), calls.stream().map(PlatformEvent.Seamcall::leaf).toList());
        calls.forEach(c -> assertEquals(TdxStatus.SUCCESS, c.status(), c.toString()));
        assertEquals(0, calls.get(0).trustedIotlbDropped(), "BLOCK drops nothing under trusted-invalidation: track");
        assertTrue(calls.get(1).trustedIotlbDropped() > 0, "TRACK drops the TD's trusted entries");
        assertEquals(PRIVATE_HPA, calls.get(5).rcx() & 0x000F_FFFF_FFFF_F000L, "REMOVE returns the removed entry");
        assertTrue(result.eventLines().contains("before TLP 4000: TD 1 TDH.MEM.TRACK: TDX_SUCCESS (epoch 1); " +
            calls.get(1).trustedIotlbDropped() + " trusted IOTLB entries dropped"), result.eventLines().toString());
    }

    @Test
    void relocateIsRefusedUntilTheBlockIsTrackedThenMovesThePageUnderLiveDma() throws IOException
    {
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.bundled("tdx-relocate"), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long i = record.index();
            final long address = record.request().address();
            final RequestOutcome outcome = record.outcome();
            if (address >= RING_END || i < 3000)
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
                assertEquals(PRIVATE_HPA + address, outcome.outputAddress());
            }
            else if (i < 4000)
            {
                if (outcome.isOk())
                {
                    assertTrue(outcome.iotlbHit(), () -> "TLP " + i + ": only a cached translation reaches a blocked page");
                    assertEquals(PRIVATE_HPA + address, outcome.outputAddress(), "the stale translation: the old page");
                    counts.staleHits++;
                }
                else
                {
                    assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
                }
            }
            else if (i < 5000)
            {
                assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault(), () -> "TLP " + i + ": tracked, " + outcome);
                counts.blocked++;
            }
            else
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": relocated and MAPPED, no accept needed: " + outcome);
                assertEquals(MOVED_HPA + address, outcome.outputAddress(), "RELOCATE moved the ring");
                counts.moved++;
            }
        });
        assertTrue(counts.staleHits > 50 && counts.blocked > 100 && counts.moved > 100,
            counts.staleHits + " " + counts.blocked + " " + counts.moved);
        final List<PlatformEvent.Seamcall> calls = seamcalls(result);
        assertEquals(List.of("TDH.MEM.RANGE.BLOCK", "TDH.MEM.PAGE.RELOCATE", "TDH.MEM.TRACK", "TDH.MEM.PAGE.RELOCATE"),
            calls.stream().map(PlatformEvent.Seamcall::leaf).toList());
        assertEquals(TdxStatus.TLB_TRACKING_NOT_DONE, TdxStatus.code(calls.get(1).status()), "not tracked yet");
        assertEquals(TdxStatus.SUCCESS, calls.get(3).status());
        assertEquals(PRIVATE_HPA, calls.get(3).rcx(), "RELOCATE returns the old page's HPA (tdh_mem_page_relocate)");
        assertTrue(result.eventLines().stream().anyMatch(l -> l.startsWith("before TLP 3000: TD 1 TDH.MEM.PAGE.RELOCATE gpa 0x0 4K: " +
            "TDX_TLB_TRACKING_NOT_DONE")), result.eventLines().toString());
    }

    /** The UNVERIFIED switch: with tdx.relocate: blocked the moved leaf stays BLOCKED until the VMM's UNBLOCK. */
    @Test
    void withRelocateBlockedTheMovedPageWaitsForUnblock() throws IOException
    {
        final String yaml = bundledText("tdx-relocate")
            .replace("      t-from-state: true", "      t-from-state: true\n  relocate: blocked")
            .replace("traffic:\n", "  - {at: 6000, action: seamcall, call: unblock, td: 1, gpa: 0x0}\ntraffic:\n");
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.parse(new StringReader(yaml), "blocked.yaml", null), record ->
        {
            final long i = record.index();
            if (record.trafficClass() != TrafficClass.DMA || record.request().address() >= RING_END || i < 5000)
            {
                return;
            }
            final RequestOutcome outcome = record.outcome();
            if (i < 6000)
            {
                assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault(), () -> "TLP " + i + ": relocated, still BLOCKED");
                counts.blocked++;
            }
            else
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
                assertEquals(MOVED_HPA + record.request().address(), outcome.outputAddress());
                counts.moved++;
            }
        });
        assertTrue(counts.blocked > 100 && counts.moved > 100, counts.blocked + " " + counts.moved);
        final List<PlatformEvent.Seamcall> calls = seamcalls(result);
        assertEquals("TDH.MEM.RANGE.UNBLOCK", calls.get(4).leaf());
        assertEquals(TdxStatus.SUCCESS, calls.get(4).status(), "the block's epoch moved with the page: no second TRACK");

        final String bad = bundledText("tdx-relocate").replace("      t-from-state: true", "      t-from-state: true\n  relocate: maybe");
        final ScenarioException error = assertThrows(ScenarioException.class,
            () -> ScenarioReader.parse(new StringReader(bad), "bad.yaml", null));
        assertEquals("tdx.relocate", error.fieldPath(), error.getMessage());
        assertEquals((int)bad.lines().takeWhile(l -> !l.contains("relocate: maybe")).count() + 1, error.line(), error.getMessage());
    }

    @Test
    void withInvalidationAtBlockThereIsNoStaleHit() throws IOException
    {
        final String yaml = bundledText("tdx-block-track").replace("  tdx-connect: true\n",
            "  tdx-connect: true\n  trusted-invalidation: block\n");
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.parse(new StringReader(yaml), "block.yaml", null), record ->
        {
            final long i = record.index();
            if (record.trafficClass() == TrafficClass.DMA && record.request().address() < RING_END && i >= 3000 && i < 5000)
            {
                assertEquals(TrustedDmaFault.TDX_BLOCKED, record.outcome().fault(), () -> "TLP " + i + " " + record.outcome());
                counts.blocked++;
            }
        });
        assertTrue(counts.blocked > 200, "refused from BLOCK on: " + counts.blocked);
        assertTrue(seamcalls(result).get(0).trustedIotlbDropped() > 0, "BLOCK drops the blocked page's trusted entry");
    }

    @Test
    void demoteUnderLiveDmaGivesABlockedWindowThenFourKTranslationsAndPromoteGivesTwoMegBack() throws IOException
    {
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.bundled("tdx-demote-live"), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long i = record.index();
            final long address = record.request().address();
            final RequestOutcome outcome = record.outcome();
            final boolean secondPage = address >= 0x20_0000L;
            if (secondPage && ((i >= 3000 && i < 3200) || (i >= 8000 && i < 8200)))
            {
                assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault(), () -> "TLP " + i + ": between BLOCK+TRACK and the split");
                counts.blocked++;
                return;
            }
            assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
            assertEquals(PRIVATE_HPA + address, outcome.outputAddress(), "the split keeps every address");
            if (secondPage && i >= 3200 && i < 8000)
            {
                assertEquals(12, outcome.pageSizeLg2(), () -> "TLP " + i + ": demoted to 4 KiB");
                counts.fourK++;
            }
            else
            {
                assertEquals(21, outcome.pageSizeLg2(), () -> "TLP " + i + ": a 2 MiB translation");
                counts.twoMeg++;
            }
        });
        assertTrue(counts.blocked > 20 && counts.fourK > 1000 && counts.twoMeg > 1000,
            counts.blocked + " " + counts.fourK + " " + counts.twoMeg);
        assertEquals(counts.blocked, result.statistics().faults());
        final List<PlatformEvent.Seamcall> calls = seamcalls(result);
        calls.forEach(c -> assertEquals(TdxStatus.SUCCESS, c.status(), c.toString()));
        assertEquals("TDH.MEM.PAGE.PROMOTE", calls.get(5).leaf());
        assertTrue(calls.get(5).rcx() != 0, "PROMOTE returns the freed S-EPT page");
    }

    @Test
    void tdiErrorUnlockUnbindAndRecoveryUnderInFlightTrustedDma() throws IOException
    {
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.bundled("tdx-tdi-error"), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long i = record.index();
            final RequestOutcome outcome = record.outcome();
            assertTrue(record.request().trusted(), "the trace's IDE prefixes say T=1 throughout");
            if (i >= 3000 && i < 4500)
            {
                assertEquals(TrustedDmaFault.TDX_TDI_NOT_RUN, outcome.fault(), () -> "TLP " + i + ": ERROR, then unlocked");
                counts.notRun++;
            }
            else if (i >= 4500 && i < 5000)
            {
                assertEquals(TrustedDmaFault.TDX_NO_TDI, outcome.fault(), () -> "TLP " + i + ": unbound");
                counts.noTdi++;
            }
            else
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
                assertEquals(PRIVATE_HPA + record.request().address(), outcome.outputAddress());
                if (i >= 5000 && i < 5010 && outcome.iotlbHit())
                {
                    counts.hitsAfterRecovery++;
                }
            }
        });
        assertTrue(counts.notRun > 1000 && counts.noTdi > 300, counts.notRun + " " + counts.noTdi);
        assertTrue(counts.hitsAfterRecovery > 0, "the translations cached before the error serve after recovery");
        assertEquals(counts.notRun + counts.noTdi, result.statistics().faults());
        assertTrue(result.eventLines().contains("before TLP 3000: TDI 10:00.0 error: OK (ERROR)"),
            result.eventLines().toString());
        assertTrue(result.eventLines().contains("before TLP 4500: TDI 10:00.0 unbind: OK (CONFIG_UNLOCKED)"),
            result.eventLines().toString());
    }

    /**
     * Unbound from TD 1 and bound to TD 2 (same GPAs, other host pages): the device's T=1 DMA goes to TD 2's memory from
     * the first request on; TD 1's trusted translations, still cached, are never served to it (the trusted DID in the
     * tag is the TD's). Binding to TD 2 while still bound to TD 1 (unlocked, not yet unbound) is refused.
     */
    @Test
    void aTdiReboundToAnotherTdNeverHitsTheFirstTdsCachedTranslations() throws IOException
    {
        final long td2Hpa = 0x4400_0000L;
        final String yaml = bundledText("tdx-tdi-error")
            .replace("        - {gpa: 0x0, hpa: 0x40000000, size: 4M}\n",
                "        - {gpa: 0x0, hpa: 0x40000000, size: 4M}\n    - id: 2\n      private:\n" +
                    "        - {gpa: 0x0, hpa: 0x44000000, size: 4M}\n")
            .replace("  - {at: 4000, action: tdi-stop, requester: \"10:00.0\"}\n",
                "  - {at: 4000, action: tdi-stop, requester: \"10:00.0\"}\n" +
                    "  - {at: 4200, action: tdi-bind, requester: \"10:00.0\", td: 2}\n")
            .replace("  - {at: 5000, action: tdi-bind, requester: \"10:00.0\"}",
                "  - {at: 5000, action: tdi-bind, requester: \"10:00.0\", td: 2}");
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.parse(new StringReader(yaml), "rebind.yaml", null), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long i = record.index();
            final RequestOutcome outcome = record.outcome();
            if (i < 3000)
            {
                assertEquals(PRIVATE_HPA + record.request().address(), outcome.outputAddress(), () -> "TLP " + i + ": TD 1");
            }
            else if (i >= 5000)
            {
                assertTrue(outcome.isOk(), () -> "TLP " + i + ": " + outcome);
                assertEquals(td2Hpa + record.request().address(), outcome.outputAddress(), () -> "TLP " + i + ": TD 2's page, " + outcome);
                if (i < 5010)
                {
                    counts.ok++;
                }
            }
        });
        assertTrue(counts.ok > 0);
        assertTrue(result.eventLines().contains("before TLP 4200: TDI 10:00.0 bind refused: WRONG_TD"), result.eventLines().toString());
        assertTrue(result.eventLines().contains("before TLP 5000: TDI 10:00.0 bound (CONFIG_LOCKED)"), result.eventLines().toString());

        final String bad = yaml.replace("requester: \"10:00.0\", td: 2}", "requester: \"10:00.0\", td: 3}");
        final ScenarioException error = assertThrows(ScenarioException.class,
            () -> ScenarioReader.parse(new StringReader(bad), "bad.yaml", null));
        assertTrue(error.getMessage().contains("no TD with id 3"), error.getMessage());
    }

    @Test
    void refusedSeamcallsArePlatformEventsWithTheirErrorCodes() throws IOException
    {
        final String yaml = bundledText("tdx-block-track").replaceAll("(?s)timeline:.*traffic:", String.join("\n",
            "timeline:",
            "  - {at: 100, action: seamcall, call: remove, td: 1, gpa: 0x0}",       // not blocked
            "  - {at: 100, action: seamcall, call: block, td: 1, gpa: 0x0}",
            "  - {at: 100, action: seamcall, call: remove, td: 1, gpa: 0x0}",       // blocked, not tracked
            "  - {at: 100, action: seamcall, call: unblock, td: 1, gpa: 0x2000}",      // mapped, not blocked
            "  - {at: 100, action: seamcall, call: demote, td: 1, gpa: 0x200000, size: 2M}",  // NL_MAPPED over 4 KiB leaves
            "  - {at: 100, action: seamcall, call: aug, td: 1, gpa: 0x3000, hpa: 0x49000000}", // not free
            "  - {at: 100, action: seamcall, call: aug, td: 1, gpa: 0x400000, hpa: 0x40001000}", // a TD page
            "traffic:"));
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.parse(new StringReader(yaml), "refused.yaml", null), record ->
        {
            // The ring page, blocked and never tracked: only a cached translation still serves it, a walk is refused.
            if (record.trafficClass() == TrafficClass.DMA && record.index() >= 100 && record.request().address() < RING_END)
            {
                final RequestOutcome outcome = record.outcome();
                if (outcome.isOk())
                {
                    assertTrue(outcome.iotlbHit(), () -> "TLP " + record.index() + " " + outcome);
                    counts.staleHits++;
                }
                else
                {
                    assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
                    counts.blocked++;
                }
            }
        });
        final List<PlatformEvent.Seamcall> calls = seamcalls(result);
        assertEquals(7, calls.size(), calls.toString());
        assertEquals(TdxStatus.GPA_RANGE_NOT_BLOCKED, TdxStatus.code(calls.get(0).status()), "a running TD's page must be blocked");
        assertEquals(TdxStatus.SUCCESS, calls.get(1).status());
        assertEquals(TdxStatus.TLB_TRACKING_NOT_DONE, TdxStatus.code(calls.get(2).status()));
        assertEquals(TdxStatus.EPT_ENTRY_STATE_INCORRECT, TdxStatus.code(calls.get(3).status()));
        assertEquals(TdxStatus.EPT_ENTRY_STATE_INCORRECT, TdxStatus.code(calls.get(4).status()), "the 2M entry is a table");
        assertEquals(TdxStatus.EPT_ENTRY_STATE_INCORRECT, TdxStatus.code(calls.get(5).status()), "AUG on a used entry");
        assertEquals(TdxStatus.PAGE_METADATA_INCORRECT, TdxStatus.code(calls.get(6).status()));
        final String line = result.eventLines().get(4);
        assertTrue(line.startsWith("before TLP 100: TD 1 TDH.MEM.PAGE.REMOVE gpa 0x0 4K: TDX_TLB_TRACKING_NOT_DONE|0x1 (rcx 0x"),
            line);
        assertTrue(counts.staleHits > 0 && counts.blocked > 0, counts.staleHits + " " + counts.blocked);
        assertEquals(counts.blocked, result.statistics().faults(), "the rest of the TD works");
    }

    /**
     * TD teardown during T=1 traffic, in the module's order and out of it: every answer is intel/tdx-module 1.5's
     * (docs/tdx.md), and from VPFLUSHDONE on the TDI's T=1 requests are refused, cached translations too.
     */
    @Test
    void teardownDuringTrustedDmaAnswersAsTheModuleAndStopsTheTdisRequests() throws IOException
    {
        final String yaml = bundledText("tdx-block-track").replaceAll("(?s)timeline:.*traffic:", String.join("\n",
            "timeline:",
            "  - {at: 2000, action: seamcall, call: freeid, td: 1}",                    // before VPFLUSHDONE
            "  - {at: 2000, action: seamcall, call: cache-wb, td: 1}",                  // nothing flushed yet
            "  - {at: 2000, action: seamcall, call: vpflushdone, td: 1}",
            "  - {at: 2000, action: seamcall, call: block, td: 1, gpa: 0x0}",           // keys no longer configured
            "  - {at: 2000, action: seamcall, call: freeid, td: 1}",                    // cache not written back
            "  - {at: 2000, action: seamcall, call: reclaim, td: 1, hpa: 0x40000000}",  // not in teardown yet
            "  - {at: 2000, action: seamcall, call: cache-wb, td: 1}",
            "  - {at: 2000, action: seamcall, call: freeid, td: 1}",
            "  - {at: 2000, action: seamcall, call: reclaim, td: 1, hpa: 0x40000000}",
            "  - {at: 2000, action: seamcall, call: accept, td: 1, gpa: 0x1000}",       // no vCPU can make it
            "  - {at: 2000, action: seamcall, call: reclaim, td: 1}",                   // every other page, the TDR last
            "  - {at: 2000, action: seamcall, call: reclaim, td: 1}",                   // the TD is gone
            "  - {at: 2000, action: td-read, td: 1, gpa: 0x2000}",
            "traffic:"));
        final Counts counts = new Counts();
        final ReplayResult result = replay(ScenarioReader.parse(new StringReader(yaml), "teardown.yaml", null), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final RequestOutcome outcome = record.outcome();
            if (record.index() < 2000)
            {
                assertTrue(outcome.isOk(), () -> "TLP " + record.index() + " " + outcome);
                counts.ok++;
            }
            else
            {
                assertEquals(TrustedDmaFault.TDX_TD_KEYS_NOT_CONFIGURED, outcome.fault(), () -> "TLP " + record.index() + " " + outcome);
                counts.blocked++;
            }
        });
        assertTrue(counts.ok > 1000 && counts.blocked > 1000, counts.ok + " " + counts.blocked);
        final List<PlatformEvent.Seamcall> calls = seamcalls(result);
        assertEquals(12, calls.size(), calls.toString());
        final long[] expected = {TdxStatus.LIFECYCLE_STATE_INCORRECT, TdxStatus.NO_HKID_READY_TO_WBCACHE, TdxStatus.SUCCESS,
            TdxStatus.TD_KEYS_NOT_CONFIGURED, TdxStatus.WBCACHE_NOT_COMPLETE, TdxStatus.LIFECYCLE_STATE_INCORRECT, TdxStatus.SUCCESS,
            TdxStatus.SUCCESS, TdxStatus.SUCCESS, TdxStatus.NO_VCPU, TdxStatus.SUCCESS, TdxStatus.PAGE_METADATA_INCORRECT};
        for (int i = 0; i < expected.length; i++)
        {
            assertEquals(TdxStatus.name(expected[i]), TdxStatus.name(TdxStatus.code(calls.get(i).status())), calls.get(i).toString());
        }
        final List<String> lines = result.eventLines();
        assertTrue(lines.stream().anyMatch(l -> l.contains(
            "TD 1 TDH.PHYMEM.PAGE.RECLAIM page 0x40000000: TDX_SUCCESS (page type 3, owner TDR 0x")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("TD 1 TDH.MNG.VPFLUSHDONE: TDX_SUCCESS")), lines.toString());
        // 4 MiB of private pages less the one reclaimed alone, the five S-EPT pages and the TDR.
        assertTrue(lines.stream().anyMatch(l -> l.contains("TD 1 TDH.PHYMEM.PAGE.RECLAIM of every page: TDX_SUCCESS (" +
            (1024 - 1 + 5 + 1) + " pages, the TDR 0x")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("TD 1 read gpa 0x2000 (64 bytes): not made (the TD is past")),
            lines.toString());
    }

    @Test
    void badSeamcallInputIsAScenarioErrorWithItsLineAndField()
    {
        final String base = bundledText("tdx-block-track").replaceAll("(?s)timeline:.*traffic:", "timeline:\n  - ACTION\ntraffic:");
        final int line = (int)base.lines().takeWhile(l -> !l.contains("ACTION")).count() + 1;
        assertScenarioError(base, "{at: 1, action: seamcall, td: 1, gpa: 0}", line, "timeline[0].call", "required");
        assertScenarioError(base, "{at: 1, action: seamcall, call: zap, td: 1, gpa: 0}", line, "timeline[0].call", "block");
        assertScenarioError(base, "{at: 1, action: seamcall, call: block, td: 2, gpa: 0}", line, "timeline[0].td", "no TD with id 2");
        assertScenarioError(base, "{at: 1, action: seamcall, call: block, td: 1, gpa: 0x1000, size: 2M}", line, "timeline[0].gpa",
            "not aligned");
        assertScenarioError(base, "{at: 1, action: seamcall, call: block, td: 1, gpa: 0, size: 8K}", line, "timeline[0].size",
            "4K, 2M or 1G");
        assertScenarioError(base, "{at: 1, action: seamcall, call: demote, td: 1, gpa: 0}", line, "timeline[0].size", "2M or 1G");
        assertScenarioError(base, "{at: 1, action: seamcall, call: aug, td: 1, gpa: 0}", line, "timeline[0].hpa", "required");
        assertScenarioError(base, "{at: 1, action: seamcall, call: track, td: 1, gpa: 0}", line, "timeline[0].gpa",
            "names no S-EPT entry");
        assertScenarioError(base, "{at: 1, action: seamcall, call: reclaim, td: 1, gpa: 0}", line, "timeline[0].gpa",
            "give the page as hpa");
        assertScenarioError(base, "{at: 1, action: seamcall, call: reclaim, td: 1, hpa: 0x40000800}", line, "timeline[0].hpa",
            "not aligned");
        assertScenarioError(base, "{at: 1, action: seamcall, call: relocate, td: 1, gpa: 0}", line, "timeline[0].hpa", "required");
        assertScenarioError(base, "{at: 1, action: seamcall, call: relocate, td: 1, gpa: 0, size: 2M, hpa: 0x48000000}", line,
            "timeline[0].size", "moves a 4K page");
        assertScenarioError(base, "{at: 1, action: seamcall, call: relocate, td: 1, gpa: 0, hpa: 0x48000800}", line,
            "timeline[0].hpa", "not aligned");
        assertScenarioError(base, "{at: 1, action: tdi-error, requester: \"11:00.0\"}", line, "timeline[0].requester", "no TDI");

        // Placement is checked when the action runs: AUG onto the IOMMU's own structures stops the replay with the line.
        final Scenario overlap = ScenarioReader.parse(new StringReader(base.replace("ACTION",
            "{at: 1, action: seamcall, call: aug, td: 1, gpa: 0x400000, hpa: 0x1000000}")), "overlap.yaml", null);
        final ScenarioException error = assertThrows(ScenarioException.class, () -> replay(overlap, ResultSink.NONE));
        assertEquals(line, error.line(), error.getMessage());
        assertTrue(error.getMessage().contains("seamcall") && error.getMessage().contains("emulator's own structures"), error.getMessage());
    }

    private static void assertScenarioError(final String base, final String action, final int line, final String field,
        final String reasonPart)
    {
        final ScenarioException error = assertThrows(ScenarioException.class,
            () -> ScenarioReader.parse(new StringReader(base.replace("ACTION", action)), "bad.yaml", null), action);
        assertEquals(line, error.line(), error.getMessage());
        assertEquals(field, error.fieldPath(), error.getMessage());
        assertTrue(error.reason().contains(reasonPart), error.getMessage());
        assertTrue(error.getMessage().startsWith("bad.yaml:" + line + ": " + field + ": "), error.getMessage());
    }

    private static List<PlatformEvent.Seamcall> seamcalls(final ReplayResult result)
    {
        return result.events().stream().filter(PlatformEvent.Seamcall.class::isInstance).map(PlatformEvent.Seamcall.class::cast).toList();
    }

    static String bundledText(final String name)
    {
        try (Reader reader = new InputStreamReader(TdxSeamcallReplayTest.class.getResourceAsStream(
            "/iommu-emu/scenarios/" + name + ".yaml"), StandardCharsets.UTF_8))
        {
            final StringWriter text = new StringWriter();
            reader.transferTo(text);
            return text.toString();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static ReplayResult replay(final Scenario scenario, final ResultSink sink) throws IOException
    {
        return UntrustedDmaReplayTest.replay(scenario, sink);
    }
}
