package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViOptions;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.TlpEncoder;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The AMD-Vi model's UNVERIFIED choices ({@link AmdViOptions}) are reachable from the scenario's amdvi section. */
class AmdViSwitchesTest
{
    private static final int NIC = 0x1000;

    private static String yaml(final String amdvi)
    {
        return String.join("\n",
            "name: switches",
            "platform: {iommu: amdvi}",
            amdvi,
            "domains: [{id: 1, levels: 4, mappings: [{iova: 0x100000000, spa: 0x300000000, size: 1M}]}]",
            "devices: [{requester: \"10:00.0\", domain: 1, ats: true}]",
            "");
    }

    @Test
    void everySwitchIsReadFromTheAmdviSection()
    {
        final Scenario scenario = ScenarioReader.parse(new StringReader(yaml("amdvi: {pasid-without-guest: invalid-device-request, " +
            "nested-fault-address: guest-physical-address, remapped-interrupts: io-page-fault, ats-fault-events: silent}")),
            "s.yaml", null);
        final AmdViOptions options = scenario.amdvi().options(AmdViOptions.DEFAULT);
        assertEquals(AmdViOptions.PasidWithoutGuest.INVALID_DEVICE_REQUEST, options.pasidWithoutGuest());
        assertEquals(AmdViOptions.NestedFaultAddress.GUEST_PHYSICAL_ADDRESS, options.nestedFaultAddress());
        assertEquals(AmdViOptions.RemappedInterrupts.IO_PAGE_FAULT, options.remappedInterrupts());
        assertEquals(AmdViOptions.AtsFaultEvents.SILENT, options.atsFaultEvents());
        final ScenarioException bad = assertThrows(ScenarioException.class, () -> ScenarioReader.parse(new StringReader(
            yaml("amdvi: {ats-fault-events: quiet}")), "s.yaml", null));
        assertTrue(bad.getMessage().contains("ats-fault-events"), bad.getMessage());
    }

    /** A translation request for an unmapped page logs an IO_PAGE_FAULT by default, nothing with ats-fault-events: silent. */
    @Test
    void atsFaultEventsDecideWhetherAnUnansweredTranslationRequestIsLogged() throws IOException
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final String hex = TextTraces.hex(buffer, new TlpEncoder().translationRequest(buffer, 0, NIC, 1, 0x2_0000_0000L, 1, false));
        final String trace = "1ns up port=0 tlp=" + hex + "\n";
        assertEquals(List.of("IO_PAGE_FAULT logged"), outcomes(yaml(""), trace));
        assertEquals(List.of("IO_PAGE_FAULT not logged"), outcomes(yaml("amdvi: {ats-fault-events: silent}"), trace));
    }

    private static List<String> outcomes(final String yaml, final String trace) throws IOException
    {
        return TextTraces.replay(yaml, trace, r -> r.outcome().fault() + " " + (r.outcome().recordLogged() ? "logged" : "not logged"));
    }
}
