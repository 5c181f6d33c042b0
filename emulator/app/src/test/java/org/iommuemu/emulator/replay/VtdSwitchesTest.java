package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.TlpEncoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The VT-d unit's switches (VtdConfig) are reachable from a scenario's platform.vtd section and change the answers. */
class VtdSwitchesTest
{
    private static final int NIC = 0x1000;

    private static String yaml(final String mode, final String vtd)
    {
        return String.join("\n",
            "name: switches",
            "platform: {iommu: vtd, mode: " + mode + (vtd.isEmpty() ? "" : ", vtd: " + vtd) + "}",
            "domains: [{id: 1, levels: 4, mappings: [{iova: 0x100000000, spa: 0xfee00000, size: 4K}, " +
                "{iova: 0x100001000, spa: 0x300000000, size: 4K, access: r}]}]",
            "devices: [{requester: \"10:00.0\", domain: 1}]",
            "");
    }

    private static final String TRACE = String.join("\n",
        "1ns up port=0 tlp=" + write(0x1_0000_1040L),
        "2ns up port=0 tlp=" + write(0x1_0000_0040L),
        "3ns up port=0 tlp=" + write(0x1_0000_1080L),
        "");

    @Test
    void scalableModeReportsScalableOrLegacySecondStageCodes() throws IOException
    {
        assertEquals(List.of("SS_PERMISSION logged", "SM_INTERRUPT_ADDRESS logged", "SS_PERMISSION logged"),
            outcomes(yaml("scalable", ""), TRACE));
        assertEquals(List.of("WRITE logged", "INTERRUPT_ADDRESS logged", "WRITE logged"),
            outcomes(yaml("scalable", "{second-stage-fault-codes: legacy}"), TRACE), "QEMU's codes");
    }

    @Test
    void compressionAndTheInterruptRangeCheckAreSwitches() throws IOException
    {
        final List<String> compressed = outcomes(yaml("legacy", "{compress-faults: true, interrupt-range-check: false}"), TRACE);
        assertEquals("WRITE logged", compressed.get(0));
        assertEquals("ok 0xfee00040", compressed.get(1), "no interrupt-range check on the output");
        assertEquals("WRITE not logged", compressed.get(2), "a record of this source ID is still pending: compressed");
    }

    @Test
    void badSwitchesAreRefusedByName()
    {
        final ScenarioException codes = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml("legacy", "{second-stage-fault-codes: qemu}")), "s.yaml", null));
        assertTrue(codes.getMessage().contains("second-stage-fault-codes"), codes.getMessage());
        final ScenarioException haw = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml("legacy", "{host-address-width: 64}")), "s.yaml", null));
        assertTrue(haw.getMessage().contains("HAW is 39-52"), haw.getMessage());
        final ScenarioException amd = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            "name: x\nplatform: {iommu: amdvi, vtd: {compress-faults: true}}\n"), "s.yaml", null));
        assertTrue(amd.getMessage().contains("belong to VT-d platforms"), amd.getMessage());
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml("legacy", "{global-command: one-per-write}")), "s.yaml",
            null);
        assertTrue(scenario.platform().vtdSwitches().strictGlobalCommand());
        assertFalse(Scenario.VtdSwitches.DEFAULT.strictGlobalCommand(), "run-all by default");
    }

    private static String write(final long address)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        return TextTraces.hex(buffer, new TlpEncoder().memoryRequest(buffer, 0, true, NIC, 1, address, 4));
    }

    private static List<String> outcomes(final String yaml, final String trace) throws IOException
    {
        return TextTraces.replay(yaml, trace, r -> r.outcome().isOk() ? String.format("ok 0x%x", r.outcome().outputAddress()) :
            r.outcome().fault() + " " + (r.outcome().recordLogged() ? "logged" : "not logged"));
    }
}
