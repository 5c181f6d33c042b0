package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import java.util.TreeMap;

import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioException;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.emulator.vtd.VtdFaultReason;
import org.iommuemu.pagetable.format.X86Format;
import org.junit.jupiter.api.Test;

import static org.iommuemu.emulator.replay.ScenarioErrors.assertError;
import static org.iommuemu.emulator.replay.ScenarioErrors.lineOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17, VT-d scalable mode with PASIDs from a scenario: first-stage, nested, second-stage and pass-through PASID
 * entries set up by the driver model, the nested first stage built by the guest in its own RAM, and PASID-tagged
 * generated traffic translated through each. The bundled vtd-pasids is checked request by request: every request's
 * output is where its PASID's tables send its address, and the timeline's unmaps fault exactly the PASIDs they
 * concern.
 */
class VtdPasidReplayTest
{
    private static final long BASE = 0x1_0000_0000L;
    private static final long RING_PAGE_END = BASE + 0x1000;

    @Test
    void everyPasidTranslatesThroughItsOwnTables() throws IOException
    {
        final Map<String, Long> seen = new TreeMap<>();
        final ReplayResult result = UntrustedDmaReplayTest.replay(ScenarioReader.bundled("vtd-pasids"), record ->
        {
            if (record.trafficClass() != TrafficClass.DMA)
            {
                return;
            }
            final long i = record.index();
            final int pasid = record.request().pasid();
            final long address = record.request().address();
            final RequestOutcome outcome = record.outcome();
            final String where = "TLP " + i + " PASID " + pasid + " 0x" + Long.toHexString(address) + ": " + outcome;
            if (pasid == 1 && i >= 4000 && address < RING_PAGE_END)
            {
                assertEquals(VtdFaultReason.FS_ENTRY_NOT_PRESENT, outcome.fault(), where);
                seen.merge("pasid1-unmapped", 1L, Long::sum);
                return;
            }
            if (pasid == 2 && i >= 6000)
            {
                assertEquals(VtdFaultReason.NESTED_FS_ROOT_READ, outcome.fault(), where);
                seen.merge("pasid2-tables-gone", 1L, Long::sum);
                return;
            }
            assertTrue(outcome.isOk(), where);
            final long expected;
            switch (pasid)
            {
                case -1:
                    expected = 0x8000_0000L + (address - BASE);      // RID_PASID: second stage, domain 1
                    break;
                case 1:
                    expected = 0xB000_0000L + (address - BASE);      // first stage only, domain 11
                    break;
                case 2:
                    expected = 0xC000_0000L + (address - BASE);      // nested: IOVA -> GPA 0x200000000 -> HPA 0xc0000000
                    break;
                case 3:
                    expected = 0xA000_0000L + (address - BASE);      // second stage, domain 2
                    break;
                case 4:
                    expected = address;                              // pass-through
                    break;
                default:
                    throw new AssertionError(where);
            }
            assertEquals(expected, outcome.outputAddress(), where);
            seen.merge("pasid" + pasid, 1L, Long::sum);
        });
        for (final String key : new String[] {"pasid-1", "pasid1", "pasid2", "pasid3", "pasid4", "pasid1-unmapped", "pasid2-tables-gone"})
        {
            assertTrue(seen.getOrDefault(key, 0L) > 50, key + ": " + seen);
        }
        assertEquals(seen.get("pasid1-unmapped") + seen.get("pasid2-tables-gone"), result.statistics().faults());
    }

    @Test
    void theNestedFirstStageLivesInGuestMemory()
    {
        final Platform platform = Platform.build(ScenarioReader.bundled("vtd-pasids"));
        assertEquals(0x7f00_0000L, platform.domain(12).root(), "the guest's first-stage root is a GPA");
        assertNotEquals(0, platform.memory().readEntry(0x9000_0000L) & X86Format.P, "its entries are where domain 1 puts that GPA");
        assertEquals(0, platform.memory().readEntry(0x7f00_0000L), "nothing at the GPA taken as a host address");
        assertNotEquals(0, platform.memory().readEntry(platform.domain(11).root()) & X86Format.P, "the first stage only: host tables");
    }

    @Test
    void badPasidInputIsAScenarioErrorWithItsLineAndField()
    {
        final String base = TdxSeamcallReplayTest.bundledText("vtd-pasids");
        assertError(base.replace("  mode: scalable\n", "  mode: legacy\n"), "stage: first", "domains[2].stage", "scalable");
        assertError(base.replace("    nested: 1\n", "    nested: 11\n"), "nested: 11", "domains[3].nested", "first stage");
        assertError(base.replace("    nested: 1\n", "    nested: 9\n"), "nested: 9", "domains[3].nested", "no domain with id 9");
        assertError(base.replace("    guest-tables: {gpa: 0x7f000000, size: 1M}\n", ""), "  - id: 12", "domains[3].guest-tables",
            "guest-tables");
        assertError(base.replace("{pasid: 3, domain: 2}", "{pasid: 0, domain: 2}"), "{pasid: 0, domain: 2}",
            "devices[0].pasids[2].pasid", "RID_PASID");
        assertError(base.replace("{pasid: 3, domain: 2}", "{pasid: 1, domain: 2}"), "{pasid: 1, domain: 2}",
            "devices[0].pasids[2].pasid", "twice");
        assertError(base.replace("{pasid: 4, pass-through: true}", "{pasid: 4, domain: 2, pass-through: true}"), "{pasid: 4,",
            "devices[0].pasids[3].domain", "one of the two");
        assertError(base.replace("{pasid: 3, domain: 2}", "{pasid: 3, domain: 5}"), "{pasid: 3, domain: 5}",
            "devices[0].pasids[2].domain", "no domain with id 5");
        assertError(base.replace("  pasid: 0.8\n", ""), "pasids: [1, 2, 3, 4]", "traffic.pasids", "pasid fraction");
        assertError(base.replace("pasids: [1, 2, 3, 4]", "pasids: [1, 0x100000]"), "pasids: [1, 0x100000]", "traffic.pasids",
            "1-0xfffff");

        // Guest tables the second stage does not map: the guest has no such RAM; the build stops at the domain's line.
        final String unmapped = base.replace("guest-tables: {gpa: 0x7f000000, size: 1M}", "guest-tables: {gpa: 0x6f000000, size: 1M}");
        final Scenario scenario = ScenarioReader.parse(new StringReader(unmapped), "bad.yaml", null);
        final ScenarioException error = assertThrows(ScenarioException.class, () -> Platform.build(scenario));
        assertEquals(lineOf(unmapped, "  - id: 12"), error.line(), error.getMessage());
        assertTrue(error.getMessage().contains("GPA 0x6f000000 is not mapped by second-stage domain 1"), error.getMessage());
    }
}
