package org.iommuemu.rmp;

import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostRmpCheckTest
{
    private static final long REGION = 0x0100_0000L;
    private static final long RMP_PF = PageFaultErrorCode.PRESENT | PageFaultErrorCode.WRITE | PageFaultErrorCode.RMP;

    private final RmpFixture f = new RmpFixture();

    @Test
    void hostWriteToAnAssignedPageIsAnRmpPageFault()
    {
        f.update(REGION + 0x5000, 0x5000, 1, PAGE_SIZE_4K, ASID);
        final long error = f.hostCheck.check(REGION + 0x5123, true, RmpTable.PAGE_4K_LG2);
        assertEquals(RMP_PF, error);
        assertEquals(0x8000_0003L, error, "error code bit 31 set");
        assertEquals(HostRmpCheck.ALLOWED, f.hostCheck.check(REGION + 0x6000, true, RmpTable.PAGE_4K_LG2));
        assertEquals(HostRmpCheck.ALLOWED, f.hostCheck.check(REGION + 0x5000, false, RmpTable.PAGE_4K_LG2),
            "host reads are not RMP-checked");
    }

    @Test
    void hostWriteInsideAnAssigned2mEntryFaultsOnEveryPage()
    {
        f.update(REGION, 0, 1, PAGE_SIZE_2M, ASID);
        assertEquals(RMP_PF, f.hostCheck.check(REGION + 0x1F_F000, true, RmpTable.PAGE_4K_LG2));
        assertEquals(RMP_PF, f.hostCheck.check(REGION, true, RmpTable.PAGE_4K_LG2));
    }

    @Test
    void a2mHostMappingNeedsTheWholeRegionHypervisorOwned()
    {
        f.update(REGION + 0x1F_F000, 0, 1, PAGE_SIZE_4K, ASID);
        // The written page itself is shared, but a 2M (or 1G) mapping covers the private one.
        assertEquals(HostRmpCheck.ALLOWED, f.hostCheck.check(REGION + 0x1000, true, RmpTable.PAGE_4K_LG2));
        assertEquals(RMP_PF, f.hostCheck.check(REGION + 0x1000, true, RmpTable.PAGE_2M_LG2));
        assertEquals(RMP_PF, f.hostCheck.check(REGION + 0x1000, true, RmpTable.PAGE_1G_LG2));
        // The next 2M region is untouched.
        assertEquals(HostRmpCheck.ALLOWED, f.hostCheck.check(REGION + RmpTable.PAGE_2M, true, RmpTable.PAGE_2M_LG2));
        f.update(REGION + 0x1F_F000, 0, 0, PAGE_SIZE_4K, 0);
        assertEquals(HostRmpCheck.ALLOWED, f.hostCheck.check(REGION + 0x1000, true, RmpTable.PAGE_2M_LG2));
    }

    @Test
    void uncoveredMemoryIsHypervisorOwned()
    {
        assertEquals(HostRmpCheck.ALLOWED, f.hostCheck.check(RmpFixture.COVERED + 0x1000, true, RmpTable.PAGE_2M_LG2));
    }

    @Test
    void theCheckCostsAtMostTwoEntryReads()
    {
        f.update(REGION + 0x5000, 0x5000, 1, PAGE_SIZE_4K, ASID);
        f.counter.reset();
        f.hostCheck.check(REGION + 0x5000, true, RmpTable.PAGE_4K_LG2);
        assertEquals(2, f.counter.reads);
        f.counter.reset();
        f.hostCheck.check(REGION + 0x5000, true, RmpTable.PAGE_2M_LG2);
        assertEquals(1, f.counter.reads);
        assertTrue(f.counter.writes == 0);
    }
}
