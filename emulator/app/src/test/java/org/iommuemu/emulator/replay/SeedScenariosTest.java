package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;

import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertTrue(flip.events().stream().anyMatch(e -> e.contains("start: OK (RUN)")), flip.events().toString());
        assertEquals(0, split.statistics().faults(), "addresses at or above X are shared and keep working");
        assertEquals(flip.statistics().dmaRequests(), split.statistics().dmaRequests());
    }

    @Test
    void seed004TheWrongOrderGivesTheMachineCheckAndTheRightOrderDoesNot() throws IOException
    {
        final ReplayResult wrong = replay("seed004-wrong-order");
        final ReplayResult right = replay("seed004-right-order");
        assertEquals(1, wrong.machineChecks());
        assertTrue(wrong.events().get(0).contains("machine check") && wrong.events().get(0).contains("0xf0000000"), wrong.events().toString());
        assertTrue(wrong.events().stream().anyMatch(e -> e.contains("WRONG_STATE (ERROR)")), "START refused in ERROR");
        assertEquals(0, right.machineChecks());
        assertTrue(right.events().stream().anyMatch(e -> e.contains("private MMIO hpa 0xf0000000 mapped")), right.events().toString());
        assertEquals(0, right.statistics().faults(), "T=1 DMA to the shared buffers works through the shared EPT");
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
        final ScenarioException unknownTdi = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(String.join("\n",
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
        try (GeneratedTraceReader reader = new GeneratedTraceReader(scenario.traffic()))
        {
            return new Replay(Platform.build(scenario)).run(reader, ResultSink.NONE, Replay.ProgressListener.NONE);
        }
    }
}
