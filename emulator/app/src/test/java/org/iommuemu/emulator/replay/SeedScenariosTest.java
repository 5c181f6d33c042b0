package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.vtd.TrustedDmaFault;
import org.iommuemu.tdx.StaleTranslationRule;
import org.iommuemu.tdx.UntrustedMmioRule;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled seed scenarios tell the stories docs/scenarios.md says they tell. */
class SeedScenariosTest
{
    @Test
    void seed003TheFlipToT1BreaksSharedAddressesUnlessTheIovaSplitSaysShared() throws IOException
    {
        final ReplayResult flip = replay("seed003-t-flip");
        final ReplayResult split = replay("seed003-iova-split");
        final long refused = flip.statistics().faultsByKind().getOrDefault("TDX_NOT_MAPPED", 0L);
        assertTrue(refused > 0, "T=1 to a shared GPA taken as private: not in the S-EPT");
        assertEquals(flip.statistics().faults(), refused);
        assertTrue(flip.eventLines().stream().anyMatch(e -> e.contains("start: OK (RUN)")), flip.eventLines().toString());
        assertEquals(0, split.statistics().faults(), "addresses at or above X are shared and keep working");
        assertEquals(flip.statistics().dmaRequests(), split.statistics().dmaRequests());
    }

    @Test
    void seed004TheWrongOrderGivesTheMachineCheckAndTheRightOrderDoesNot() throws IOException
    {
        final ReplayResult wrong = replay("seed004-wrong-order");
        final ReplayResult right = replay("seed004-right-order");
        assertEquals(1, wrong.machineChecks());
        assertTrue(wrong.eventLines().get(0).contains("machine check") && wrong.eventLines().get(0).contains("0xf0000000"),
            wrong.eventLines().toString());
        assertTrue(wrong.eventLines().stream().anyMatch(e -> e.contains("WRONG_STATE (ERROR)")), "START refused in ERROR");
        assertEquals(0, right.machineChecks());
        assertTrue(right.eventLines().stream().anyMatch(e -> e.contains("private MMIO hpa 0xf0000000 mapped")),
            right.eventLines().toString());
        assertEquals(0, right.statistics().faults(), "T=1 DMA to the shared buffers works through the shared EPT");
    }

    private static final long PRIVATE_MMIO = 0xF000_0000L;
    private static final long SHARED_MMIO = 0xF010_0000L;
    private static final long BIND = 1000;

    /** T=0 requests of a seed004-stale-iotlb replay by where they went: private half, shared half; ok or refused. */
    private static final class MmioTally
    {
        long privateOkBeforeBind;
        long privateOkAfterBind;
        long privateRefusedAfterBind;
        long privateMachineChecksAfterBind;
        long privateOtherFaultsAfterBind;
        long sharedOk;
        long sharedFaults;

        ResultSink sink()
        {
            return record ->
            {
                if (record.trafficClass() != TrafficClass.DMA)
                {
                    return;
                }
                assertFalse(record.request().trusted(), "the device never sends T=1 here");
                final long output = record.outcome().outputAddress();
                final boolean ok = record.outcome().isOk();
                if (output >= SHARED_MMIO && output < SHARED_MMIO + (1L << 20))
                {
                    sharedOk += ok ? 1 : 0;
                    sharedFaults += ok ? 0 : 1;
                }
                else if (record.index() < BIND)
                {
                    assertTrue(ok && output >= PRIVATE_MMIO, record.outcome().toString());
                    privateOkBeforeBind++;
                }
                else if (ok)
                {
                    privateOkAfterBind++;
                }
                else if (record.outcome().fault() == TrustedDmaFault.TDX_PRIVATE_MMIO_UNTRUSTED)
                {
                    privateRefusedAfterBind++;
                }
                else if (record.outcome().fault() == TrustedDmaFault.TDX_MACHINE_CHECK)
                {
                    privateMachineChecksAfterBind++;
                }
                else
                {
                    privateOtherFaultsAfterBind++;
                }
            };
        }
    }

    /**
     * Issue 17, wrong answer 3: before the fix the bind saw only the tables, went through, and 2072 T=0 requests
     * (1384 of them writes) reached the private MMIO through the stale 2 MiB IOTLB entry as ok.
     */
    @Test
    void seed004AStaleIotlbEntryIsAMappingAtBindAndT0ToLockedPrivateMmioIsRefused() throws IOException
    {
        final Scenario scenario = ScenarioReader.bundled("seed004-stale-iotlb");
        assertEquals(StaleTranslationRule.MACHINE_CHECK, scenario.platform().staleTranslationRule());
        assertEquals(UntrustedMmioRule.ABORT, scenario.platform().untrustedMmioRule());
        final MmioTally tally = new MmioTally();
        final ReplayResult result = replay(scenario, tally.sink());
        assertEquals(1, result.machineChecks());
        assertEquals(1, result.statistics().bindMachineChecks());
        final String bind = result.eventLines().get(0);
        assertTrue(bind.startsWith("before TLP 1000: TDI 10:00.0 bind: machine check, cause 4 CACHED_MMIO_TRANSLATION_AT_BIND") &&
            bind.endsWith("at 0xf0000000; TDI in ERROR"), bind);
        assertTrue(result.eventLines().get(1).contains("TDH.MMIO.MAP gpa 0x200000000 hpa 0xf0000000 refused"),
            result.eventLines().toString());

        assertTrue(tally.privateOkBeforeBind > 0, "before the bind the BAR is the hypervisor's to use");
        assertEquals(0, tally.privateOkAfterBind, "no T=0 request reaches locked private MMIO");
        assertTrue(tally.privateRefusedAfterBind > 1000, "the stale entry keeps sending them there");
        assertEquals(0, tally.privateMachineChecksAfterBind + tally.privateOtherFaultsAfterBind);
        assertEquals(result.statistics().faults(), tally.privateRefusedAfterBind);
        assertEquals(result.statistics().faults(), result.statistics().faultsByKind().get("TDX_PRIVATE_MMIO_UNTRUSTED"));
        assertTrue(tally.sharedOk > 1000, "the shared half keeps working");
        assertEquals(0, tally.sharedFaults);

        // untrusted-mmio-rule: machine-check: the same requests, each a machine check, counted with the bind's.
        final MmioTally mce = new MmioTally();
        final Scenario machineCheck = withPlatform(scenario, "  untrusted-mmio-rule: machine-check\n");
        assertEquals(UntrustedMmioRule.MACHINE_CHECK, machineCheck.platform().untrustedMmioRule());
        final ReplayResult checked = replay(machineCheck, mce.sink());
        assertEquals(tally.privateRefusedAfterBind, mce.privateMachineChecksAfterBind);
        assertEquals(0, mce.privateOkAfterBind + mce.privateRefusedAfterBind);
        assertEquals(1 + mce.privateMachineChecksAfterBind, checked.machineChecks());
        assertEquals(mce.privateMachineChecksAfterBind, checked.statistics().dmaMachineChecks());
    }

    /**
     * The other bind rule: the module demands the invalidation. The bind is refused until the VMM invalidates; then
     * the private half faults in the VMM's own tables (unmapped), and when the VMM maps it again after the bind, the
     * T=0 check still refuses it.
     */
    @Test
    void seed004UnderTheRefuseRuleTheBindWaitsForTheInvalidation() throws IOException
    {
        final String timeline = String.join("\n",
            "timeline:",
            "  - {at: 1000, action: unmap, domain: 1, iova: 0x800200000000, size: 1M, invalidate: false}",
            "  - {at: 1000, action: tdi-bind, requester: \"10:00.0\"}",
            "  - {at: 1000, action: invalidate, domain: 1, iova: 0x800200000000, size: 1M}",
            "  - {at: 1000, action: tdi-bind, requester: \"10:00.0\"}",
            "  - {at: 2000, action: map, domain: 1, iova: 0x800200000000, spa: 0xf0000000, size: 1M}",
            "");
        final String yaml = bundledText("seed004-stale-iotlb").replaceFirst("(?s)timeline:.*?\n\n", timeline + "\n")
            .replace("  tdx-connect: true\n", "  tdx-connect: true\n  stale-translation-at-bind: refuse\n");
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "refuse.yaml", null);
        assertEquals(StaleTranslationRule.REFUSE, scenario.platform().staleTranslationRule());
        final long[] vtdFaultsBefore2000 = new long[1];
        final long[] refusedAfter2000 = new long[1];
        final ReplayResult result = replay(scenario, record ->
        {
            final long output = record.outcome().outputAddress();
            if (record.trafficClass() != TrafficClass.DMA || record.index() < BIND || record.outcome().isOk())
            {
                return;
            }
            if (record.index() < 2000)
            {
                assertFalse(record.outcome().fault() instanceof TrustedDmaFault, record.outcome().toString());
                vtdFaultsBefore2000[0]++;
            }
            else
            {
                assertEquals(TrustedDmaFault.TDX_PRIVATE_MMIO_UNTRUSTED, record.outcome().fault());
                assertTrue(output >= PRIVATE_MMIO && output < SHARED_MMIO);
                refusedAfter2000[0]++;
            }
        });
        assertEquals(0, result.machineChecks());
        assertEquals("before TLP 1000: TDI 10:00.0 bind refused: STALE_TRANSLATION (a cached IOMMU translation still reaches " +
            "private MMIO at 0xf0000000; invalidate, then bind again)", result.eventLines().get(0));
        assertEquals("before TLP 1000: TDI 10:00.0 bound (CONFIG_LOCKED)", result.eventLines().get(1));
        assertTrue(vtdFaultsBefore2000[0] > 0, "unmapped and invalidated: the VMM's tables fault");
        assertTrue(refusedAfter2000[0] > 0, "mapped again after the bind: refused by the T=0 check");
    }

    @Test
    void issue17FieldsAreValidated()
    {
        assertError("platform: {iommu: vtd, tdx-connect: true, untrusted-mmio-rule: sometimes}\ntdx: {tds: [{id: 1}]}\n",
            "t.yaml:1: platform.untrusted-mmio-rule: expected one of [abort, machine-check], not 'sometimes'");
        assertError("platform: {iommu: vtd, tdx-connect: true, stale-translation-at-bind: later}\ntdx: {tds: [{id: 1}]}\n",
            "t.yaml:1: platform.stale-translation-at-bind: expected one of [machine-check, refuse], not 'later'");
        assertError("platform: {iommu: vtd, stale-translation-at-bind: refuse}\n",
            "t.yaml:1: platform.stale-translation-at-bind: a TDX rule: it belongs to VT-d platforms with tdx-connect: true");
        assertError("platform: {iommu: vtd, untrusted-dma-rule: poison}\n",
            "t.yaml:1: platform.untrusted-dma-rule: a TDX rule: it belongs to VT-d platforms with tdx-connect: true");
        final String tdx = "platform: {iommu: vtd, tdx-connect: true}\ntdx: {tds: [{id: 1}]}\n";
        assertError(tdx + "timeline: [{at: 1, action: td-read, gpa: 0x40}]\n", "t.yaml:3: timeline[0].td: required, but missing");
        assertError(tdx + "timeline: [{at: 1, action: td-read, td: 2, gpa: 0x40}]\n",
            "t.yaml:3: timeline[0].td: no TD with id 2 in tdx.tds (tds: [1])");
        assertError(tdx + "timeline: [{at: 1, action: td-write, td: 1, gpa: 0xfc0, size: 128}]\n",
            "t.yaml:3: timeline[0].size: gpa 0xfc0 + size 128 crosses a 4 KiB page; split the access");
        assertError(tdx + "timeline: [{at: 1, action: td-read, td: 1, gpa: 0x40, size: 0}]\n",
            "t.yaml:3: timeline[0].size: a TD access is 1 byte to 4K, not 0");
        assertError(tdx + "timeline: [{at: 1, action: td-read, td: 1}]\n", "t.yaml:3: timeline[0].gpa: required, but missing");
        assertError(tdx + "timeline: [{at: 1, action: td-read, td: 1, gpa: 0x40, requester: 0x1000}]\n",
            "t.yaml:3: timeline[0].requester: unknown key");
        assertError("platform: {iommu: vtd}\ntimeline: [{at: 1, action: td-read, td: 1, gpa: 0x40}]\n",
            "t.yaml:2: timeline[0].td: a TD access needs platform.tdx-connect: true and a TD in tdx.tds");
        final Scenario ok = ScenarioReader.parse(new StringReader(tdx +
            "timeline: [{at: 1, action: td-write, td: 1, gpa: 0xfc0, size: 64}, {at: 2, action: td-read, td: 1, gpa: 0x10}]\n"),
            "t.yaml", null);
        assertEquals(new Scenario.TdAccessAction(1, 0xfc0, 64, true), ok.timeline().get(0).action());
        assertEquals(new Scenario.TdAccessAction(1, 0x10, 64, false), ok.timeline().get(1).action());
    }

    private static void assertError(final String yaml, final String message)
    {
        final ScenarioException error = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(yaml), "t.yaml",
            null));
        assertTrue(error.getMessage().contains(message), error.getMessage());
    }

    private static Scenario withPlatform(final Scenario bundled, final String extra) throws IOException
    {
        final String yaml = bundledText(bundled.name()).replace("  tdx-connect: true\n", "  tdx-connect: true\n" + extra);
        return ScenarioReader.parse(new StringReader(yaml), bundled.name() + ".yaml", null);
    }

    private static String bundledText(final String name) throws IOException
    {
        try (Reader reader = new InputStreamReader(SeedScenariosTest.class.getResourceAsStream(
            "/iommu-emu/scenarios/" + name + ".yaml"), StandardCharsets.UTF_8))
        {
            final StringWriter text = new StringWriter();
            reader.transferTo(text);
            return text.toString();
        }
    }

    @Test
    void seed000ASharedTableSavesMemoryButDirtyLoggingReachesTheDevice() throws IOException
    {
        final ReplayResult shared = replay("seed000-shared-ept");
        final ReplayResult separate = replay("seed000-separate-ept");
        assertEquals(2 * shared.pageTableBytes(), separate.pageTableBytes(), "two tables instead of one");
        assertTrue(shared.statistics().faults() > 0, "writes fault once KVM write-protects the shared table");
        assertEquals(shared.statistics().faults(), shared.statistics().faultsByKind().getOrDefault("WRITE", 0L));
        assertEquals(0, separate.statistics().faults());
    }

    @Test
    void tdxAndVtdFieldsAreValidated()
    {
        final ScenarioException noConnect = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            "platform: {iommu: vtd}\ntdx: {tds: [{id: 1}]}\n"), "t.yaml", null));
        assertTrue(noConnect.getMessage().contains("t.yaml:2: tdx: a tdx section needs platform.tdx-connect"), noConnect.getMessage());
        final ScenarioException amdMode = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            "platform: {iommu: amdvi, mode: scalable}\n"), "t.yaml", null));
        assertTrue(amdMode.getMessage().contains("platform.mode"), amdMode.getMessage());
        final ScenarioException unknownTdi = assertThrows(ScenarioException.class, () ->
            ScenarioReader.parse(new StringReader(String.join("\n",
            "platform: {iommu: vtd, tdx-connect: true}",
            "tdx: {tds: [{id: 1}], tdis: []}",
            "timeline: [{at: 1, action: tdi-bind, requester: 0x1000}]", "")), "t.yaml", null));
        assertTrue(unknownTdi.getMessage().contains("t.yaml:3: timeline[0].requester: no TDI for requester 1000"), unknownTdi.getMessage());
    }

    @Test
    void vtdScalableModeReplaysLikeLegacy() throws IOException
    {
        final String yaml = String.join("\n",
            "platform: {iommu: vtd, mode: MODE}",
            "domains: [{id: 3, levels: 4, policy: forced-4k, mappings: [{iova: 0x100000000, size: 4M}]}]",
            "devices: [{requester: 0x1000, domain: 3}]",
            "timeline: [{at: 2000, action: unmap, domain: 3, iova: 0x100000000, size: 4M}]",
            "traffic: {workload: nic-rx, footprint: 4M, count: 3000}", "");
        final ReplayResult legacy = replay(ScenarioReader.parse(new StringReader(yaml.replace("MODE", "legacy")), "l.yaml", null));
        final ReplayResult scalable = replay(ScenarioReader.parse(new StringReader(yaml.replace("MODE", "scalable")), "s.yaml", null));
        assertTrue(legacy.statistics().ok() > 0 && legacy.statistics().faults() > 0, "faults after the unmap and invalidation");
        assertEquals(legacy.statistics().ok(), scalable.statistics().ok());
        assertEquals(legacy.statistics().faults(), scalable.statistics().faults());
        assertEquals("vtd-legacy", legacy.iommu());
        assertEquals("vtd-scalable", scalable.iommu());
    }

    private static ReplayResult replay(final String bundled) throws IOException
    {
        return replay(ScenarioReader.bundled(bundled));
    }

    private static ReplayResult replay(final Scenario scenario) throws IOException
    {
        return replay(scenario, ResultSink.NONE);
    }

    private static ReplayResult replay(final Scenario scenario, final ResultSink sink) throws IOException
    {
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            return new Replay(Platform.build(scenario)).run(reader, sink, Replay.ProgressListener.NONE);
        }
    }
}
