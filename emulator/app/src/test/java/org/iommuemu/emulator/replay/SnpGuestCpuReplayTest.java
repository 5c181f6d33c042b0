package org.iommuemu.emulator.replay;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.iommuemu.emulator.amdvi.AmdViFault;
import org.iommuemu.emulator.scenario.GuestAccessFault;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.PlatformEvent;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.rmp.GuestRmpResult;
import org.iommuemu.rmp.PageFaultErrorCode;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.tlp.trace.ErrorPolicy;
import org.iommuemu.tlp.trace.GuestAccess;
import org.iommuemu.tlp.trace.TextTraceReader;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guest CPU accesses in replay (issue 18): the bundled snp-guest-cpu checked access by access against the story its
 * timeline tells (PVALIDATE with SIZEM and PSMASH, a rescinded 2 MiB page, a conversion to shared and back); a text
 * trace that interleaves a guest's CPU accesses with its device's DMA around page-state changes; the per-record CSV
 * row; and the errors for a vCPU no guest owns.
 */
class SnpGuestCpuReplayTest
{
    private static final long GPA = 0x1_0000_0000L;
    private static final long SPA = 0x4000_0000L;
    private static final long MB = 1L << 20;

    @Test
    void snpGuestCpuTellsItsStoryAccessByAccess() throws IOException
    {
        final long[] counts = new long[4]; // ok, #VC, #NPF, of which writes
        final ResultSink story = r ->
        {
            assertEquals(TrafficClass.GUEST_ACCESS, r.trafficClass());
            final GuestAccess a = r.guestAccess();
            final long gpa = a.gpa();
            final long i = r.index();
            final String what = "record " + i + " " + a + ": " + r.outcome();
            final String expected;
            if (a.vcpu() == 1 && i >= 2000 && (gpa >>> 12 == (GPA + 4 * MB) >>> 12 || gpa >= GPA + 6 * MB))
            {
                expected = "#VC 0x404 PAGE_NOT_VALIDATED";
            }
            else if (a.vcpu() == 0 && i >= 4000 && i < 7000 && gpa < GPA + 2 * MB)
            {
                expected = npf(PageFaultErrorCode.PRESENT | PageFaultErrorCode.RMP | PageFaultErrorCode.GUEST_FINAL |
                    PageFaultErrorCode.GUEST_ENC | (a.isWrite() ? PageFaultErrorCode.WRITE : 0));
            }
            else
            {
                expected = "ok";
            }
            assertEquals(expected, r.outcome().isOk() ? "ok" : r.outcome().fault().faultName(), what);
            if (r.outcome().isOk())
            {
                assertEquals(SPA + (gpa - GPA), r.outcome().outputAddress(), what);
                // vCPU 1's first 2 MiB is mapped with 4 KiB NPT leaves after the PSMASH.
                final boolean split = a.vcpu() == 1 && i >= 2000 && gpa < GPA + 6 * MB;
                assertEquals(split ? 12 : 21, r.outcome().pageSizeLg2(), what);
                counts[0]++;
            }
            else
            {
                counts[expected.startsWith("#VC") ? 1 : 2]++;
                counts[3] += a.isWrite() ? 1 : 0;
            }
        };
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("snp-guest-cpu"), story);
        final ReplayStatistics s = result.statistics();
        assertEquals(10_000, s.guestAccesses());
        assertEquals(counts[0], s.guestAccessesOk());
        assertEquals(counts[1], s.guestAccessFaultsByKind().get("#VC 0x404 PAGE_NOT_VALIDATED"));
        assertTrue(counts[1] > 1000 && counts[2] > 500 && counts[3] > 200, Arrays.toString(counts));
        assertEquals(0, s.dmaRequests());
        // The timeline's instructions, as typed events: PVALIDATE 4K inside a 2 MiB entry takes #NPF with SIZEM, KVM
        // PSMASHes, the retry succeeds.
        final PlatformEvent.GuestRmpInstruction first = (PlatformEvent.GuestRmpInstruction)result.events().get(0);
        assertEquals(GuestRmpResult.NESTED_PAGE_FAULT, first.result());
        assertTrue((first.exitInfo1() & PageFaultErrorCode.GUEST_SIZEM) != 0);
        final PlatformEvent.GuestRmpInstruction psmash = (PlatformEvent.GuestRmpInstruction)result.events().get(1);
        assertEquals(PlatformEvent.RmpInstruction.PSMASH, psmash.instruction());
        assertEquals(RmpReturnCode.SUCCESS, psmash.returnCode());
        final PlatformEvent.GuestRmpInstruction retry = (PlatformEvent.GuestRmpInstruction)result.events().get(2);
        assertTrue(retry.retry());
        assertEquals(RmpReturnCode.SUCCESS, retry.returnCode());
        final PlatformEvent.PageStateChange toShared = (PlatformEvent.PageStateChange)result.events().get(4);
        assertFalse(toShared.toPrivate());
        assertTrue(toShared.completed());
        assertEquals(1, toShared.rmpUpdates(), "one 2 MiB RMPUPDATE");
        assertEquals(1, toShared.pvalidates(), "one 2 MiB rescind");
        assertEquals(Long.valueOf(2), s.platformCounters().get("RMPUPDATE"));
    }

    /** The name of the #NPF fault with these EXITINFO1 bits. */
    private static String npf(final long exitInfo1)
    {
        return String.format("#NPF 0x%x (%s)", exitInfo1, GuestAccessFault.bits(exitInfo1));
    }

    /**
     * A text trace of a guest (vCPU 0, C = 0: shared accesses) and its NIC (T = 0 DMA) on the same shared buffer page,
     * around a page-state change to private at record 3 and back to shared at record 6: the NIC's writes to the now
     * private page are RMP_PAGE_FAULT, the guest's shared (C = 0) write is #NPF with RMP (a shared write needs a
     * hypervisor-owned page), its private (C = 1) read completes; all ok again after the conversion back.
     */
    @Test
    void cpuAccessesAndDmaInterleaveAroundPageStateChanges() throws IOException
    {
        final String yaml = String.join("\n",
            "name: interleaved",
            "platform: {iommu: amdvi, snp: true}",
            "domains: [{id: 1, levels: 4, policy: forced-4k}]",
            "devices: [{requester: \"10:00.0\", domain: 1}]",
            "snp:",
            "  guests:",
            "    - asid: 9",
            "      vcpus: [0]",
            "      memory: [{gpa: 0x100000000, spa: 0x8000000, size: 2M, state: shared}]",
            "      dma: {domain: 1, mapping: pin}",
            "timeline:",
            "  - {at: 3, action: page-state-change, guest: 9, gpa: 0x100001000, size: 4K, to: private}",
            "  - {at: 6, action: page-state-change, guest: 9, gpa: 0x100001000, size: 4K, to: shared}",
            "");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "interleaved.yaml", null);
        final String mwr = "60000001 1000000f 00000001 00001040 00000000"; // MWr64 of one DW to 0x100001040 from 10:00.0
        final String trace = String.join("\n",
            "1ns up port=0 tlp=" + mwr,
            "2ns cpu vcpu=0 gpa=0x100001040 access=w c=0",
            "3ns cpu vcpu=0 gpa=0x100001040 access=r c=1",
            "4ns up port=0 tlp=" + mwr,
            "5ns cpu vcpu=0 gpa=0x100001040 access=w c=0",
            "6ns cpu vcpu=0 gpa=0x100001040 access=r c=1",
            "7ns up port=0 tlp=" + mwr,
            "8ns cpu vcpu=0 gpa=0x100001040 access=w c=0",
            "");
        final StringWriter csv = new StringWriter();
        final ReplayResult result;
        try (TextTraceReader reader = new TextTraceReader("t.txt", new ByteArrayInputStream(trace.getBytes(StandardCharsets.US_ASCII)),
            ErrorPolicy.STOP); CsvResultSink sink = new CsvResultSink(csv))
        {
            result = new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
        final String[] lines = csv.toString().split("\n");
        assertEquals(9, lines.length);
        final String[] outcome = new String[8];
        for (int i = 0; i < 8; i++)
        {
            final String[] row = lines[i + 1].split(",", -1);
            assertEquals(18, row.length, lines[i + 1]);
            outcome[i] = row[2] + " " + row[9] + " " + row[12];
        }
        assertEquals("dma ok ", outcome[0]);
        assertEquals("cpu ok ", outcome[1]);
        final long rmp = PageFaultErrorCode.PRESENT | PageFaultErrorCode.RMP | PageFaultErrorCode.GUEST_FINAL;
        assertEquals("cpu fault " + npf(rmp | PageFaultErrorCode.GUEST_ENC), outcome[2], "a private read of a shared page");
        assertEquals("dma fault RMP_PAGE_FAULT", outcome[3]);
        assertEquals("cpu fault " + npf(rmp | PageFaultErrorCode.WRITE), outcome[4], "a shared write to a private page");
        assertEquals("cpu ok ", outcome[5], "a private read of the now private, validated page");
        assertEquals("dma ok ", outcome[6]);
        assertEquals("cpu ok ", outcome[7]);
        assertTrue(lines[2].startsWith("1,2,cpu,vcpu0,,0x100001040,-w-,,0,ok,0x8001040,4096,"), lines[2]);
        assertEquals(3, result.statistics().count(TrafficClass.DMA));
        assertEquals(5, result.statistics().guestAccesses());
        assertEquals(AmdViFault.RMP_PAGE_FAULT.name(), result.statistics().faultsByKind().keySet().iterator().next());
    }

    @Test
    void aVcpuNoGuestOwnsStopsTheReplayNamingTheRecord() throws IOException
    {
        final Scenario snp = ScenarioReader.bundled("snp-guest-cpu");
        final Scenario vtd = ScenarioReader.bundled("seed003-t-flip");
        for (final Scenario scenario : new Scenario[] {snp, vtd})
        {
            final String trace = "1ns cpu vcpu=0 gpa=0x100000040 access=r c=1\n2ns cpu vcpu=7 gpa=0x100000040 access=r c=1\n";
            final TraceFormatException ex = assertThrows(TraceFormatException.class, () ->
            {
                try (TextTraceReader reader = new TextTraceReader("t.txt",
                    new ByteArrayInputStream(trace.getBytes(StandardCharsets.US_ASCII)), ErrorPolicy.STOP))
                {
                    new Replay(Platform.build(scenario)).run(reader, ResultSink.NONE, Replay.ProgressListener.NONE);
                }
            });
            assertEquals(TraceError.NOT_ON_PLATFORM, ex.error());
            assertEquals(scenario == snp ? 1 : 0, ex.recordIndex(), ex.getMessage());
            assertTrue(ex.getMessage().contains(scenario == snp ? "vcpu 7 belongs to no guest" : "needs an SNP guest"), ex.getMessage());
        }
    }
}
