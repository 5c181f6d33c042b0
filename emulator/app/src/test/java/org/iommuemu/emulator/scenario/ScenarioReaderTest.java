package org.iommuemu.emulator.scenario;

import java.io.StringReader;

import org.iommuemu.emulator.scenario.Scenario.MakePrivateAction;
import org.iommuemu.emulator.scenario.Scenario.UnmapAction;
import org.iommuemu.emulator.timing.DeviceDmaParameters;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScenarioReaderTest
{
    private static final String VALID = String.join("\n",
        "name: t",
        "platform:",
        "  iommu: amdvi",
        "  snp: true",
        "rmp:",
        "  conversions:",
        "    - {action: make-private, spa: 0x8050000, asid: 3}",
        "domains:",
        "  - id: 7",
        "    levels: 4",
        "    policy: forced-4k",
        "    mappings:",
        "      - {iova: 0x100000000, spa: 0x8000000, size: 2M, access: r}",
        "devices:",
        "  - {requester: \"41:00.1\", domain: 7, ats: true}",
        "  - {requester: 0x4200, domain: 7}",
        "timeline:",
        "  - {at: 10, action: unmap, domain: 7, iova: 0x100000000, size: 4K, invalidate: false}",
        "");

    @Test
    void readsEveryPart()
    {
        final Scenario scenario = parse(VALID);
        assertEquals("t", scenario.name());
        assertEquals(Scenario.IommuKind.AMDVI, scenario.platform().iommu());
        assertEquals("amd", scenario.platform().profile().name());
        assertTrue(scenario.platform().snp());
        assertEquals(PageSizePolicy.FORCED_4K, scenario.domains().get(0).policy());
        assertEquals(4, scenario.domains().get(0).levels());
        assertEquals(new Scenario.Mapping(0x1_0000_0000L, 0x800_0000L, 2L << 20, Permissions.READ),
            scenario.domains().get(0).mappings().get(0));
        assertEquals(0x4101, scenario.devices().get(0).requesterId(), "BDF 41:00.1");
        assertTrue(scenario.devices().get(0).ats());
        assertEquals(0x4200, scenario.devices().get(1).requesterId());
        final MakePrivateAction conversion = assertInstanceOf(MakePrivateAction.class, scenario.rmp().conversions().get(0));
        assertEquals(3, conversion.asid());
        assertEquals(4096, conversion.size());
        final UnmapAction unmap = assertInstanceOf(UnmapAction.class, scenario.timeline().get(0).action());
        assertFalse(unmap.invalidate());
        assertEquals(10, scenario.timeline().get(0).beforeTlp());
        assertEquals(18, scenario.timeline().get(0).line());
    }

    @Test
    void errorsNameTheLineAndTheField()
    {
        assertError(VALID.replace("    levels: 4", "    levls: 4"), 10, "domains[0].levls", "unknown key");
        assertError(VALID.replace("size: 2M, access: r", "size: 2X, access: r"), 13, "domains[0].mappings[0].size", "2X");
        assertError(VALID.replace("{requester: 0x4200, domain: 7}", "{requester: 0x4200, domain: 8}"), 16,
            "devices[1].domain", "no domain with id 8");
        assertError(VALID.replace("  iommu: amdvi", "  iommu: smmu"), 3, "platform.iommu", "amdvi");
        assertError(VALID.replace("\"41:00.1\"", "\"41:40.1\""), 15, "devices[0].requester", "0-1f");
        assertError(VALID.replace("spa: 0x8000000, size: 2M", "spa: 0x8000100, size: 2M"), 13, "domains[0].mappings[0]", "4 KiB");
        assertError(VALID.replace("action: unmap", "action: explode"), 18, "timeline[0].action", "unknown action");
        assertError(VALID.replace("  snp: true\n", ""), 4, "rmp", "snp");
        assertError(VALID + "  - {at: 5, action: invalidate}\n", 19, "timeline[1].at", "in order");
        assertError("platform: [1, 2]\n", 1, "platform", "mapping");
        assertError("platform:\n  iommu: amdvi\n   bad indent: x\n", 3, "", "YAML syntax");
    }

    @Test
    void devicesNameTheirDmaLimitsByPresetOrKey()
    {
        final Scenario scenario = parse(VALID.replace("  - {requester: 0x4200, domain: 7}", String.join("\n",
            "  - {requester: 0x4200, domain: 7, dma: nvme-gen4}",
            "  - requester: 0x4300",
            "    domain: 7",
            "    dma: {preset: nic-200g, link: gen3-x8, outstanding-reads: 12, posted-credits: 0, request-interval-ns: 2.5,",
            "          engine-gbps: 40, max-payload: 512, completion-buffer-bytes: 16K}")) +
            "traffic: {workload: nic-rx, line-rate-gbps: 100}\n");
        assertEquals(DeviceDmaParameters.DEFAULT, scenario.devices().get(0).dma(), "no dma: the default");
        assertEquals(DeviceDmaParameters.NVME_GEN4, scenario.devices().get(1).dma());
        final DeviceDmaParameters custom = scenario.devices().get(2).dma();
        assertEquals(8 * 128.0 / 130 * 8, custom.linkGbps(), 1e-9, "gen3-x8: 8 GT/s, 128b/130b, 8 lanes");
        assertEquals(new DeviceDmaParameters(custom.linkGbps(), 512, 12, 16384, 0, 2.5, 40), custom);
        assertEquals(100, scenario.traffic().lineRateGbps());

        assertError(VALID.replace("{requester: 0x4200, domain: 7}", "{requester: 0x4200, domain: 7, dma: nic-9000}"), 16,
            "devices[1].dma", "unknown preset 'nic-9000'");
        assertError(VALID.replace("{requester: 0x4200, domain: 7}", "{requester: 0x4200, domain: 7, dma: {link: gen7-x16}}"), 16,
            "devices[1].dma.link", "genN-xM");
        assertError(VALID.replace("{requester: 0x4200, domain: 7}", "{requester: 0x4200, domain: 7, dma: {max-payload: 300}}"), 16,
            "devices[1].dma.max-payload", "power of two");
        assertError(VALID.replace("{requester: 0x4200, domain: 7}", "{requester: 0x4200, domain: 7, dma: {tags: 3}}"), 16,
            "devices[1].dma.tags", "unknown key");
        assertError(VALID + "traffic: {workload: nic-rx, line-rate-gbps: -1}\n", 19, "traffic.line-rate-gbps", "positive");
    }

    @Test
    void everyBundledScenarioReads()
    {
        assertFalse(ScenarioReader.bundledNames().isEmpty());
        for (final String name : ScenarioReader.bundledNames())
        {
            final Scenario scenario = ScenarioReader.bundled(name);
            assertEquals(name, scenario.name(), "the file's name matches its index entry");
            assertFalse(scenario.description().isEmpty(), name + " has a description");
            assertTrue(scenario.traffic() != null || name.equals("nettlp"), name + " carries its own traffic");
        }
        final ScenarioException missing = assertThrows(ScenarioException.class, () -> ScenarioReader.bundled("nope"));
        assertTrue(missing.getMessage().contains("seed001-huge"), missing.getMessage());
    }

    private static Scenario parse(final String yaml)
    {
        return ScenarioReader.parse(new StringReader(yaml), "test.yaml", null);
    }

    private static void assertError(final String yaml, final int line, final String field, final String reasonPart)
    {
        final ScenarioException error = assertThrows(ScenarioException.class, () -> parse(yaml));
        assertEquals(line, error.line(), error.getMessage());
        assertEquals(field, error.fieldPath(), error.getMessage());
        assertTrue(error.reason().contains(reasonPart), error.getMessage());
        assertTrue(error.getMessage().startsWith("test.yaml:" + line + ": "), error.getMessage());
    }
}
