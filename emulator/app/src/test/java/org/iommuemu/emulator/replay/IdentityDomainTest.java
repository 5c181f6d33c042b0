package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.tlp.TlpEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Identity domains ({@code type: identity}, Linux's IOMMU_DOMAIN_IDENTITY under {@code iommu=pt}): a device attached
 * to one DMAs to host physical addresses untranslated (AMD-Vi DTE Mode 0, VT-d legacy TT = 10b, scalable PGTT = 100b),
 * until VFIO moves it to a paging domain; on AMD-Vi the DTE's IR and IW still decide the access.
 */
class IdentityDomainTest
{
    private static final int NIC = 0x1000;

    /**
     * The host's default domain is identity; before the third TLP VFIO attaches the NIC to its paging domain, before the
     * fifth it gives the NIC back to the host.
     */
    @ParameterizedTest
    @ValueSource(strings = {"{iommu: amdvi}", "{iommu: vtd}", "{iommu: vtd, mode: scalable}"})
    void anIdentityDomainPassesDmaUntranslatedUntilVfioTakesTheDevice(final String platform) throws IOException
    {
        final String yaml = String.join("\n",
            "name: identity",
            "platform: " + platform,
            "domains:",
            "  - {id: 1, type: identity}",
            "  - {id: 2, levels: 4, mappings: [{iova: 0x100000000, spa: 0x300000000, size: 1M}]}",
            "devices: [{requester: \"10:00.0\", domain: 1}]",
            "timeline:",
            "  - {at: 2, action: attach, requester: \"10:00.0\", domain: 2}",
            "  - {at: 4, action: attach, requester: \"10:00.0\", domain: 1}",
            "");
        final String trace = String.join("\n",
            "1ns up port=0 tlp=" + request(true, 0x7_1234_5040L),
            "2ns up port=0 tlp=" + request(false, 0x1_0000_2040L),
            "3ns up port=0 tlp=" + request(true, 0x1_0000_2040L),
            "4ns up port=0 tlp=" + request(true, 0x7_1234_5040L),
            "5ns up port=0 tlp=" + request(true, 0x7_1234_5040L),
            "");
        final List<String> outcomes = outcomes(yaml, trace);
        assertEquals("0x712345040", outcomes.get(0), "identity: the DMA address is the host physical address");
        assertEquals("0x100002040", outcomes.get(1));
        assertEquals("0x300002040", outcomes.get(2), "VFIO's domain translates");
        assertTrue(outcomes.get(3).startsWith("fault"), "unmapped in VFIO's domain: " + outcomes.get(3));
        assertEquals("0x712345040", outcomes.get(4), "back in the identity domain");
    }

    /** AMD-Vi: the DTE's IR and IW apply in Mode 0 too; a device with access r cannot write (IO_PAGE_FAULT). */
    @Test
    void amdViIdentityDomainsKeepTheDevicesReadAndWritePermissions() throws IOException
    {
        final String yaml = String.join("\n",
            "name: identity-ro",
            "platform: {iommu: amdvi}",
            "domains: [{id: 1, type: identity}]",
            "devices: [{requester: \"10:00.0\", domain: 1, access: r}]",
            "");
        final String trace = String.join("\n",
            "1ns up port=0 tlp=" + request(false, 0x5000L),
            "2ns up port=0 tlp=" + request(true, 0x5000L),
            "");
        assertEquals(List.of("0x5000", "fault IO_PAGE_FAULT"), outcomes(yaml, trace));
    }

    @Test
    void whatAnIdentityDomainCannotBeIsRefusedByName()
    {
        final String base = String.join("\n",
            "name: bad",
            "platform: {iommu: amdvi}",
            "domains: [{id: 1, type: identity}]",
            "devices: [{requester: \"10:00.0\", domain: 1}]",
            "");
        assertRefused(base.replace("type: identity}", "type: identity, levels: 4}"), "no levels");
        assertRefused(base.replace("type: identity}", "type: identity, mappings: [{iova: 0, size: 4K}]}"), "no mappings");
        assertRefused(base.replace("type: identity}", "type: flat}"), "expected one of [paging, identity], not 'flat'");
        assertRefused(base.replace("{iommu: amdvi}", "{iommu: amdvi, snp: true}") + "rmp: {base: 0x200000000, covers: 8G}\n",
            "SEV-SNP forbids identity domains");
        assertRefused(base + "timeline: [{at: 1, action: map, domain: 1, iova: 0x1000, size: 4K}]\n",
            "identity domain (type: identity): it has no page table for map");
        assertRefused(base + "timeline: [{at: 1, action: set-policy, domain: 1, policy: forced-4k}]\n", "no page table for set-policy");
        assertRefused(base + "amdvi: {guest-tables: [{id: 10, nested-in: 1, table-memory: {gpa: 0x1000, size: 4K}}]}\n",
            "a guest table nests in a host table");
    }

    private static void assertRefused(final String yaml, final String reason)
    {
        final ScenarioException e = assertThrows(ScenarioException.class,
            () -> ScenarioReader.parse(new StringReader(yaml), "bad.yaml", null));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    /** A 4-byte memory request without a PASID from the NIC, as hex. */
    private static String request(final boolean write, final long address)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        return TextTraces.hex(buffer, new TlpEncoder().memoryRequest(buffer, 0, write, NIC, 1, address, 4));
    }

    /** Each DMA's output address, or "fault" and its kind. */
    private static List<String> outcomes(final String yaml, final String trace) throws IOException
    {
        return TextTraces.replay(yaml, trace, r -> r.outcome().isOk() ? String.format("0x%x", r.outcome().outputAddress()) :
            "fault " + r.outcome().fault());
    }
}
