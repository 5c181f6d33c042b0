package org.iommuemu.emulator.replay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViFault;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.PageRequest;
import org.iommuemu.tlp.TlpEncoder;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code amdvi} scenario section, request by request: guest (v2) translation with PASIDs (amdvi-guest-pasids:
 * nested and guest-only tables, 4 and 5 levels, GIOV, a guest unmap and a host unmap of the guest's table memory), host
 * dirty tracking read and cleared by the timeline (amdvi-dirty-tracking, against the pages the trace really wrote), and
 * PRI page requests through the PPR log and COMPLETE_PPR_REQUEST (a hand-made text trace).
 */
class AmdViScenarioReplayTest
{
    private static final int NIC0 = 0x1000;
    private static final int NIC1 = 0x1100;
    private static final long REGION0 = 0x1_0000_0000L;
    private static final long REGION1 = 0x1_0040_0000L;
    private static final long GUEST_UNMAP = 4000;
    private static final long HOST_UNMAP = 6000;

    /** Checks every DMA record of amdvi-guest-pasids against the scenario's tables and the two unmaps. */
    private static final class GuestPasids implements ResultSink
    {
        long nic1Pasid;
        long nic1Giov;
        long nic0Giov;
        long nic0Pasid;
        long ringFaults;
        long hostStageFaults;
        long hitsAfterHostUnmap;

        @Override
        public void accept(final ReplayRecord r)
        {
            if (r.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long address = r.request().address();
            final String where = "record " + r.index() + " " + r.outcome();
            if (r.request().requesterId() == NIC1)
            {
                // Guest-only 5-level tables, PASID 2 (table 11) or GIOV (table 13): straight to host memory, always.
                assertTrue(r.outcome().isOk(), where);
                assertEquals(0xA000_0000L + (address - REGION1), r.outcome().outputAddress(), where);
                if (r.request().hasPasid())
                {
                    assertEquals(2, r.request().pasid());
                    nic1Pasid++;
                }
                else
                {
                    nic1Giov++;
                }
                return;
            }
            assertEquals(NIC0, r.request().requesterId());
            final long expected = 0x8000_0000L + (address - REGION0);
            if (!r.request().hasPasid())
            {
                // GIOV: PASID 0's table 12, whose pages neither unmap touches.
                assertTrue(r.outcome().isOk(), where);
                assertEquals(expected, r.outcome().outputAddress(), where);
                nic0Giov++;
                return;
            }
            assertEquals(1, r.request().pasid());
            nic0Pasid++;
            final boolean ring = address < REGION0 + 4096;
            if (ring && r.index() >= GUEST_UNMAP)
            {
                assertEquals(AmdViFault.IO_PAGE_FAULT, r.outcome().fault(), "the guest unmapped the ring page: " + where);
                ringFaults++;
            }
            else if (r.index() < HOST_UNMAP || r.outcome().iotlbHit())
            {
                // Before the host unmap every walk succeeds; after it only the translations the IOTLB kept are usable.
                assertTrue(r.outcome().isOk(), where);
                assertEquals(expected, r.outcome().outputAddress(), where);
                hitsAfterHostUnmap += r.index() >= HOST_UNMAP ? 1 : 0;
            }
            else
            {
                assertEquals(AmdViFault.IO_PAGE_FAULT, r.outcome().fault(), "the guest table's pages are gone: " + where);
                hostStageFaults++;
            }
        }
    }

    @Test
    void guestTablesPerPasidTranslateNestedAndGuestOnlyAndFollowTheUnmaps() throws IOException
    {
        final GuestPasids story = new GuestPasids();
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("amdvi-guest-pasids"), story);
        final String counts = story.nic0Pasid + " " + story.nic0Giov + " " + story.nic1Pasid + " " + story.nic1Giov + " " +
            story.ringFaults + " " + story.hostStageFaults + " " + story.hitsAfterHostUnmap;
        assertTrue(story.nic0Pasid > 2000 && story.nic1Pasid > 2000, counts);
        assertTrue(story.nic0Giov > 300 && story.nic1Giov > 300, counts);
        assertTrue(story.ringFaults > 500, counts);
        assertTrue(story.hostStageFaults > 100 && story.hitsAfterHostUnmap > 50, counts);
        assertEquals(story.ringFaults + story.hostStageFaults, result.statistics().faults(), counts);
        assertEquals(result.statistics().faults(), result.statistics().faultsByKind().get("IO_PAGE_FAULT"));
    }

    /** Without GIOV a request without a PASID is translated by the host table alone (the DTE's v1 path). */
    @Test
    void withoutGiovRequestsWithoutPasidUseTheHostTable() throws IOException
    {
        final String yaml = SevTioReplayTest.bundledText("amdvi-guest-pasids")
            .replace("      giov: true\n      pasids: [{pasid: 1, table: 10}, {pasid: 0, table: 12}]",
                "      giov: false\n      pasids: [{pasid: 1, table: 10}]");
        assertFalse(yaml.contains("table: 12}"));
        final long[] nic0Giov = new long[2];
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(yaml), "v1.yaml", null), r ->
        {
            if (r.trafficClass() == TrafficClass.DMA && r.request().requesterId() == NIC0 && !r.request().hasPasid())
            {
                // Domain 1 maps GPA 0x200000000 onwards, not the NIC's IOVAs: no translation.
                assertEquals(AmdViFault.IO_PAGE_FAULT, r.outcome().fault(), r.index() + " " + r.outcome());
                nic0Giov[0]++;
            }
        });
        assertTrue(nic0Giov[0] > 300);
        assertTrue(result.statistics().faults() > nic0Giov[0]);
    }

    /**
     * A device without guest translation sending PASID-tagged DMA: by default the PASID is dropped and the host table
     * translates (amdvi.md's UNVERIFIED choice); {@code amdvi.pasid-without-guest: invalid-device-request} refuses it.
     */
    @Test
    void pasidWithoutGuestTranslationIsASwitch() throws IOException
    {
        final String yaml = String.join("\n",
            "name: pasid-no-guest",
            "platform: {iommu: amdvi}",
            "amdvi: {pasid-without-guest: RULE}",
            "domains: [{id: 1, levels: 3, mappings: [{iova: 0x100000000, size: 4M}]}]",
            "devices: [{requester: \"10:00.0\", domain: 1}]",
            "traffic: {workload: nic-rx, devices: 1, footprint: 4M, base: 0x100000000, count: 3000, seed: 3, pasid: 0.5}",
            "");
        for (final String rule : new String[] {"host-translation", "invalid-device-request"})
        {
            final long[] counts = new long[2];
            final boolean refuse = rule.equals("invalid-device-request");
            UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(yaml.replace("RULE", rule)), "p.yaml", null), r ->
            {
                if (r.trafficClass() != TrafficClass.DMA)
                {
                    return;
                }
                final String where = rule + " record " + r.index() + " " + r.outcome();
                if (r.request().hasPasid() && refuse)
                {
                    assertEquals(AmdViFault.INVALID_DEVICE_REQUEST, r.outcome().fault(), where);
                }
                else
                {
                    assertTrue(r.outcome().isOk(), where);
                    assertEquals(r.request().address(), r.outcome().outputAddress(), where);
                }
                counts[r.request().hasPasid() ? 1 : 0]++;
            });
            assertTrue(counts[0] > 500 && counts[1] > 500, rule + " " + counts[0] + " " + counts[1]);
        }
        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml.replace("RULE", "drop")), "bad.yaml", null));
        assertTrue(ex.getMessage().startsWith("bad.yaml:3:") && ex.getMessage().contains("pasid-without-guest"), ex.getMessage());
    }

    /** The pages a trace wrote between two read-dirty actions, and the bitmaps the actions read. */
    private static final class Written implements ResultSink
    {
        final long[] reads;
        final List<Set<Long>> pages = new ArrayList<>();

        Written(final long... reads)
        {
            this.reads = reads;
            for (int i = 0; i <= reads.length; i++)
            {
                pages.add(new HashSet<>());
            }
        }

        @Override
        public void accept(final ReplayRecord r)
        {
            if (r.trafficClass() != TrafficClass.DMA || !r.request().isWrite())
            {
                return;
            }
            assertTrue(r.outcome().isOk(), r.index() + " " + r.outcome());
            int interval = 0;
            while (interval < reads.length && r.index() >= reads[interval])
            {
                interval++;
            }
            final long first = r.request().address() >>> 12;
            final long last = (r.request().address() + r.request().length() - 1) >>> 12;
            for (long page = first; page <= last; page++)
            {
                pages.get(interval).add(page);
            }
        }
    }

    private static List<PlatformEvent.DirtyBitmap> bitmaps(final ReplayResult result)
    {
        final List<PlatformEvent.DirtyBitmap> bitmaps = new ArrayList<>();
        for (final PlatformEvent event : result.events())
        {
            if (event instanceof PlatformEvent.DirtyBitmap bitmap)
            {
                bitmaps.add(bitmap);
            }
        }
        return bitmaps;
    }

    @Test
    void dirtyBitmapsHoldExactlyThePagesWrittenUntilAFlushIsSkipped() throws IOException
    {
        final Written written = new Written(3000, 6000, 9000, 12000);
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("amdvi-dirty-tracking"), written);
        final PlatformEvent.DirtyTracking on = (PlatformEvent.DirtyTracking)result.events().get(0);
        assertTrue(on.enabled());
        assertEquals(2, on.entriesRewritten(), "both devices' DTEs get HAD = 11b");
        final List<PlatformEvent.DirtyBitmap> bitmaps = bitmaps(result);
        assertEquals(4, bitmaps.size());
        for (int i = 0; i < 3; i++)
        {
            final PlatformEvent.DirtyBitmap b = bitmaps.get(i);
            assertTrue(b.trackingOn() && b.cleared(), b.toString());
            assertEquals(written.pages.get(i).size(), b.dirtyLeaves(), "interval " + i + ": every written 4 KiB page, no other");
            assertEquals(b.dirtyLeaves() * 4096, b.dirtyBytes());
        }
        assertFalse(bitmaps.get(2).flushed());
        final long truth = written.pages.get(3).size();
        final long read = bitmaps.get(3).dirtyLeaves();
        assertTrue(read > 0 && read < truth, "after the skipped flush, writes through cached dirty translations are missed: " +
            read + " of " + truth);
        assertTrue(result.statistics().platformCounters().get("IOMMU A/D updates (host entries written)") > 0);

        // With the flush the fourth bitmap is exact too.
        final String flushed = SevTioReplayTest.bundledText("amdvi-dirty-tracking").replace(", flush: false}", "}");
        final Written again = new Written(3000, 6000, 9000, 12000);
        final ReplayResult exact = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(flushed), "f.yaml", null), again);
        assertEquals(again.pages.get(3).size(), bitmaps(exact).get(3).dirtyLeaves());
        assertEquals(truth, again.pages.get(3).size(), "the same trace");
    }

    @Test
    void aDeviceAttachedWhileTrackingIsOnIsTrackedToo() throws IOException
    {
        // The second drive leaves the domain and comes back after tracking is on: its new DTE gets HAD = 11b with the
        // rest (set_dte_entry of a domain whose dirty_tracking is set), so its writes still reach the bitmaps.
        final String reattached = SevTioReplayTest.bundledText("amdvi-dirty-tracking").replace(
            "  - {at: 0, action: set-dirty-tracking, domain: 1, enable: true}\n",
            "  - {at: 0, action: set-dirty-tracking, domain: 1, enable: true}\n" +
            "  - {at: 1, action: detach, requester: \"11:00.0\"}\n" +
            "  - {at: 1, action: attach, requester: \"11:00.0\", domain: 1}\n");
        final Written written = new Written(3000, 6000, 9000, 12000);
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(reattached), "r.yaml", null),
            written);
        final List<PlatformEvent.DirtyBitmap> bitmaps = bitmaps(result);
        for (int i = 0; i < 3; i++)
        {
            assertEquals(written.pages.get(i).size(), bitmaps.get(i).dirtyLeaves(), "interval " + i + ": every written 4 KiB page");
        }
    }

    @Test
    void accessOnlyTrackingSetsAccessedButNeverDirty() throws IOException
    {
        final String accessOnly = SevTioReplayTest.bundledText("amdvi-dirty-tracking").replace(
            "{at: 0, action: set-dirty-tracking, domain: 1, enable: true}", "{at: 0, action: set-dirty-tracking, domain: 1, bits: access}");
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(accessOnly), "a.yaml", null),
            ResultSink.NONE);
        final PlatformEvent.DirtyTracking on = (PlatformEvent.DirtyTracking)result.events().get(0);
        assertTrue(on.enabled() && on.accessOnly(), on.toString());
        assertEquals(2, on.entriesRewritten(), "both devices' DTEs get HAD = 01b");
        assertTrue(PlatformEventText.sentence(on).contains("HAD = 01b"), PlatformEventText.sentence(on));
        // HAD = 01b: the IOMMU writes A into the entries its walks use, and D never.
        assertTrue(result.statistics().platformCounters().get("IOMMU A/D updates (host entries written)") > 0);
        for (final PlatformEvent.DirtyBitmap b : bitmaps(result))
        {
            assertFalse(b.trackingOn(), b.toString());
            assertEquals(0, b.dirtyLeaves(), b.toString());
        }
        final String vtd = "name: v\nplatform: {iommu: vtd, mode: scalable}\ndomains: [{id: 1}]\n" +
            "timeline:\n  - {at: 0, action: set-dirty-tracking, domain: 1, bits: access}\n";
        final ScenarioException refused = assertThrows(ScenarioException.class,
            () -> ScenarioReader.parse(new StringReader(vtd), "v.yaml", null));
        assertTrue(refused.getMessage().contains("VT-d's SSADE updates A and D together"), refused.getMessage());
    }

    @Test
    void withoutTrackingTheBitmapIsEmptyAndTheHostTablesUntouched() throws IOException
    {
        final String off = SevTioReplayTest.bundledText("amdvi-dirty-tracking")
            .replace("  - {at: 0, action: set-dirty-tracking, domain: 1, enable: true}\n", "");
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(off), "off.yaml", null),
            ResultSink.NONE);
        final List<PlatformEvent.DirtyBitmap> bitmaps = bitmaps(result);
        assertEquals(4, bitmaps.size());
        for (final PlatformEvent.DirtyBitmap b : bitmaps)
        {
            assertFalse(b.trackingOn());
            assertEquals(0, b.dirtyLeaves());
        }
        assertFalse(result.statistics().platformCounters().containsKey("IOMMU A/D updates (host entries written)"));
    }

    /**
     * The exclusion range an IVMD names: requests of the devices whose DTEs set EX (or of every device with Allow) to
     * the range bypass translation; others fault there; outside it everyone is translated. A device attached again
     * keeps EX.
     */
    @Test
    void theExclusionRangeLetsTheDevicesItNamesBypassTranslation() throws IOException
    {
        final String yaml = String.join("\n",
            "name: exclusion",
            "platform: {iommu: amdvi}",
            "amdvi:",
            "  exclusion-range: {base: 0x200000000, size: 64K, devices: [\"10:00.0\"]}",
            "domains: [{id: 1, levels: 4, mappings: [{iova: 0x100000000, spa: 0x300000000, size: 1M}]}]",
            "devices: [{requester: \"10:00.0\", domain: 1}, {requester: \"11:00.0\", domain: 1}]",
            "timeline:",
            "  - {at: 3, action: detach, requester: \"10:00.0\"}",
            "  - {at: 3, action: attach, requester: \"10:00.0\", domain: 1}",
            "");
        final String trace = String.join("\n",
            "1ns up port=0 tlp=" + write(NIC0, 0x2_0000_1040L),
            "2ns up port=0 tlp=" + write(NIC1, 0x2_0000_1040L),
            "3ns up port=0 tlp=" + write(NIC0, 0x1_0000_2040L),
            "4ns up port=0 tlp=" + write(NIC0, 0x2_0000_F000L),
            "5ns up port=0 tlp=" + write(NIC0, 0x2_0001_0000L),
            "");
        assertEquals(List.of("DMA 0x200001040", "DMA IO_PAGE_FAULT", "DMA 0x300002040", "DMA 0x20000f000", "DMA IO_PAGE_FAULT"),
            outcomes(yaml, trace), "EX: bypass inside [base, base + size), translation elsewhere; no EX: a fault");
        final String all = yaml.replace("devices: [\"10:00.0\"]}", "all: true}");
        assertEquals("DMA 0x200001040", outcomes(all, trace).get(1), "Allow: every device bypasses");
        final ScenarioException none = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml.replace(", devices: [\"10:00.0\"]}", "}")), "x.yaml", null));
        assertTrue(none.getMessage().contains("applies to no request"), none.getMessage());
        final ScenarioException odd = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml.replace("size: 64K", "size: 100")), "x.yaml", null));
        assertTrue(odd.getMessage().contains("multiples of 4 KiB"), odd.getMessage());
    }

    /** A write without a PASID from {@code requester} to {@code address}, as hex. */
    private static String write(final int requester, final long address)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        return TextTraces.hex(buffer, new TlpEncoder().memoryRequest(buffer, 0, true, requester, 1, address, 4));
    }

    /** Each DMA's output address or fault, replaying {@code trace} (text) on {@code yaml}. */
    private static List<String> outcomes(final String yaml, final String trace) throws IOException
    {
        return TextTraces.replay(yaml, trace, r -> r.trafficClass() + " " +
            (r.outcome().isOk() ? String.format("0x%x", r.outcome().outputAddress()) : r.outcome().fault()));
    }

    /**
     * PRI: a NIC with DTE.PPR writes through PASID 1 to a page its guest table does not map yet; it faults, sends a
     * Page Request, the OS's PPR handler maps the page (on-demand range) and answers PPR_SUCCESS; the write then goes
     * through. A request outside the on-demand range is answered PPR_INVALID; one from a device without DTE.PPR is
     * refused with INVALID_PPR_REQUEST.
     */
    @Test
    void pageRequestsGoThroughThePprLogAndAreAnswered() throws IOException
    {
        final String yaml = String.join("\n",
            "name: pri",
            "platform: {iommu: amdvi}",
            "amdvi:",
            "  page-requests: true",
            "  guest-tables:",
            "    - id: 10",
            "      levels: 4",
            "      on-demand: {iova: 0x40000000, spa: 0x30000000, size: 1M}",
            "  devices:",
            "    - {requester: \"10:00.0\", pri: true, pasids: [{pasid: 1, table: 10}]}",
            "    - {requester: \"11:00.0\", pasids: [{pasid: 1, table: 10}]}",
            "domains: [{id: 1, levels: 4}, {id: 2, levels: 4}]",
            "devices: [{requester: \"10:00.0\", domain: 1}, {requester: \"11:00.0\", domain: 2}]",
            "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "pri.yaml", null);
        final String trace = String.join("\n",
            "1ns up port=0 tlp=" + write(NIC0, 1, 0x4000_2040L),
            "2ns up port=0 tlp=" + pageRequest(NIC0, 1, 0x4000_2000L, 3),
            "3ns up port=0 tlp=" + write(NIC0, 1, 0x4000_2040L),
            "4ns up port=0 tlp=" + pageRequest(NIC0, 1, 0x5000_0000L, 4),
            "5ns up port=0 tlp=" + pageRequest(NIC1, 1, 0x4000_3000L, 5),
            "6ns up port=0 tlp=" + write(NIC1, 1, 0x4000_3000L),
            "");
        final List<String> outcomes = new ArrayList<>();
        final ReplayResult result;
        try (TextTraceReader reader = new TextTraceReader("pri.txt", new ByteArrayInputStream(trace.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.STOP))
        {
            result = new Replay(Platform.build(scenario)).run(reader, r -> outcomes.add(r.trafficClass() + " " +
                (r.trafficClass() == TrafficClass.DMA ? r.outcome().isOk() ? String.format("0x%x", r.outcome().outputAddress()) :
                r.outcome().fault() : "")), Replay.ProgressListener.NONE);
        }
        assertEquals(List.of("DMA IO_PAGE_FAULT", "MESSAGE ", "DMA 0x30002040", "MESSAGE ", "MESSAGE ", "DMA IO_PAGE_FAULT"), outcomes);
        final Map<String, Long> counters = result.statistics().platformCounters();
        assertEquals(2L, counters.get("page requests logged (PPR log)"), counters.toString());
        assertEquals(1L, counters.get("page requests refused (INVALID_PPR_REQUEST)"), counters.toString());
        assertEquals(1L, counters.get("pages mapped on demand"), counters.toString());
        assertEquals(1L, counters.get("page responses: success"), counters.toString());
        assertEquals(1L, counters.get("page responses: invalid"), counters.toString());

        // pri without page-requests is a mistake with its line.
        final ScenarioException ex = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml.replace("  page-requests: true\n", "")), "bad.yaml", null));
        assertTrue(ex.getMessage().startsWith("bad.yaml:9:") && ex.getMessage().contains("amdvi.page-requests"), ex.getMessage());
    }

    /**
     * amdvi-page-requests: generated traffic whose devices send a Page Request before the first PASID-tagged access to
     * each page. 10:00.0 (DTE.PPR) gets every page mapped on demand and never faults; 11:00.0 (no PPR) has each request
     * refused with INVALID_PPR_REQUEST and faults on every buffer access, its pinned rings working.
     */
    @Test
    void generatedPageRequestsMapPagesOnDemandForTheDeviceWithPpr() throws IOException
    {
        final Set<Long> nic0Buffers = new HashSet<>();
        final Set<Long> nic1Pages = new HashSet<>();
        final long[] counts = new long[3];
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("amdvi-page-requests"), r ->
        {
            if (r.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long address = r.request().address();
            final String where = "record " + r.index() + " " + r.outcome();
            assertTrue(r.request().hasPasid(), where);
            final boolean ring = (address & 0x3F_FFFFL) < 0x1_0000L;
            if (r.request().requesterId() == NIC0)
            {
                assertTrue(r.outcome().isOk(), where);
                assertEquals(0xA000_0000L + (address - REGION0), r.outcome().outputAddress(), where);
                if (!ring)
                {
                    nic0Buffers.add(address >>> 12);
                }
                counts[0]++;
                return;
            }
            assertEquals(NIC1, r.request().requesterId());
            nic1Pages.add(address >>> 12);
            if (ring)
            {
                assertTrue(r.outcome().isOk(), where);
                assertEquals(0xA040_0000L + (address - REGION1), r.outcome().outputAddress(), where);
                counts[1]++;
            }
            else
            {
                assertEquals(AmdViFault.IO_PAGE_FAULT, r.outcome().fault(), where);
                counts[2]++;
            }
        });
        assertTrue(counts[0] > 1000 && counts[1] > 300 && counts[2] > 1000, counts[0] + " " + counts[1] + " " + counts[2]);
        final Map<String, Long> counters = result.statistics().platformCounters();
        assertEquals(nic0Buffers.size(), counters.get("pages mapped on demand"), counters.toString());
        // Its ring page too was requested (already mapped: success without a mapping).
        assertEquals(nic0Buffers.size() + 1, counters.get("page requests logged (PPR log)"), counters.toString());
        assertEquals(nic0Buffers.size() + 1, counters.get("page responses: success"), counters.toString());
        assertFalse(counters.containsKey("page responses: invalid"), counters.toString());
        assertEquals(nic1Pages.size(), counters.get("page requests refused (INVALID_PPR_REQUEST)"), counters.toString());
        assertEquals(counts[2], result.statistics().faults());

        // Without the Page Requests, 10:00.0's buffer accesses fault like 11:00.0's.
        final String none = SevTioReplayTest.bundledText("amdvi-page-requests").replace("  page-requests: true\n  count:", "  count:");
        final ReplayResult without = UntrustedDmaReplayTest.replay(ScenarioReader.parse(new StringReader(none), "none.yaml", null),
            r -> assertFalse(r.trafficClass() == TrafficClass.MESSAGE, "no Page Request without traffic.page-requests"));
        assertTrue(without.statistics().faults() > 2 * counts[2] * 3 / 4, without.statistics().faults() + " " + counts[2]);
        assertFalse(without.statistics().platformCounters().containsKey("pages mapped on demand"));
    }

    @Test
    void sectionMistakesNameTheirLine()
    {
        final String base = SevTioReplayTest.bundledText("amdvi-guest-pasids");
        final String[][] cases = {
            {"    - id: 11\n      levels: 5", "    - id: 11\n      levels: 3", "4 or 5"},
            {"    - id: 12\n", "    - id: 1\n", "domain"},
            {"{pasid: 2, table: 11}", "{pasid: 2, table: 14}", "no guest table with id 14"},
            {"{pasid: 0, table: 13}", "{pasid: 0, table: 10}", "same levels"},
            {"      gcr3-levels: 1\n", "      gcr3-levels: 4\n", "1-3 levels"},
            {"{pasid: 2, table: 11}", "{pasid: 0x40000, table: 11}", "more than 2 GCR3 levels"},
            {"      table-memory: {gpa: 0x7f000000, size: 1M}", "      table-memory: {gpa: 0x7f300000, size: 1M}", "not mapped"},
            {"  - {at: 4000, action: unmap, domain: 10,", "  - {at: 4000, action: read-dirty, domain: 10,", "dirty"},
        };
        for (final String[] c : cases)
        {
            assertTrue(base.contains(c[0]), c[0]);
            final String yaml = base.replace(c[0], c[1]);
            final ScenarioException ex = assertThrows(ScenarioException.class, () ->
                Platform.build(ScenarioReader.parse(new StringReader(yaml), "bad.yaml", null)), c[1]);
            assertTrue(ex.getMessage().contains(c[2]), c[1] + ": " + ex.getMessage());
            assertTrue(ex.getMessage().startsWith("bad.yaml:"), ex.getMessage());
        }
    }

    /** A one-DW MWr with a PASID prefix, as hex. */
    private static String write(final int requester, final int pasid, final long address)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final TlpEncoder encoder = new TlpEncoder();
        int length = encoder.pasidPrefix(buffer, 0, pasid, false, false);
        length += encoder.memoryRequest(buffer, length, true, requester, 1, address, 4);
        return TextTraces.hex(buffer, length);
    }

    /** A PRI Page Request (read and write, last of its group) with a PASID prefix, as hex. */
    private static String pageRequest(final int requester, final int pasid, final long page, final int group)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final int length = new TlpEncoder().pasidPrefix(buffer, 0, pasid, false, false);
        final PageRequest request = new PageRequest().wrap(buffer, length);
        request.initialise();
        request.requesterId(requester);
        request.pageAddress(page).prgIndex(group).last(true).write(true).read(true);
        return TextTraces.hex(buffer, length + 16);
    }
}
