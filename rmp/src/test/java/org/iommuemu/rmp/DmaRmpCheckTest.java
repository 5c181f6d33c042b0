package org.iommuemu.rmp;

import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class DmaRmpCheckTest
{
    private static final long REGION = 0x0200_0000L;
    private static final int DEVICE = 0x4100;
    private static final long IOVA = 0x7400_0000L;

    private final RmpFixture f = new RmpFixture();

    @Test
    void dmaWriteToAPrivatePageIsRefusedWithAnRmpPageFaultRecord()
    {
        f.update(REGION + 0xB8000, 0xB8000, 1, PAGE_SIZE_4K, ASID);
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED,
            f.dmaCheck.check(REGION + 0xB8784, RmpTable.PAGE_4K_LG2, true, DEVICE, IOVA + 0xB8784, f.event));
        assertEquals(0xD, f.event.eventCode());
        assertEquals(DEVICE, f.event.deviceId());
        assertEquals(RmpPageFaultEvent.FLAG_RW, f.event.flags());
        assertEquals(IOVA + 0xB8784, f.event.address());
    }

    @Test
    void dmaReadsAreCheckedByDefaultAndSwitchable()
    {
        f.update(REGION, 0, 1, PAGE_SIZE_4K, ASID);
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED, f.dmaCheck.check(REGION, 12, false, DEVICE, IOVA, f.event));
        assertFalse(f.event.write());
        final RmpFixture g = new RmpFixture(RmpConfig.DEFAULT.withDmaReadsChecked(false));
        g.update(REGION, 0, 1, PAGE_SIZE_4K, ASID);
        assertEquals(DmaRmpCheck.ALLOWED, g.dmaCheck.check(REGION, 12, false, DEVICE, IOVA, g.event));
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED, g.dmaCheck.check(REGION, 12, true, DEVICE, IOVA, g.event));
    }

    @Test
    void dmaToSharedAndUncoveredMemoryIsAllowedAndLeavesTheRecordAlone()
    {
        f.event.set(1, 2, 3, 4, 5);
        assertEquals(DmaRmpCheck.ALLOWED, f.dmaCheck.check(REGION, 21, true, DEVICE, IOVA, f.event));
        assertEquals(DmaRmpCheck.ALLOWED, f.dmaCheck.check(RmpFixture.COVERED, 30, true, DEVICE, IOVA, f.event));
        assertEquals(5, f.event.address());
    }

    @Test
    void largeLeafRuleRegion2m()
    {
        f.update(REGION + 0x10_0000, 0, 1, PAGE_SIZE_4K, ASID);
        // 4K leaf to a shared page: fine. 2M and 1G leaves: the region holds a private page.
        assertEquals(DmaRmpCheck.ALLOWED, f.dmaCheck.check(REGION + 0x1000, 12, true, DEVICE, IOVA, f.event));
        assertEquals(DmaRmpCheck.FAULT_LARGE_LEAF, f.dmaCheck.check(REGION + 0x1000, 21, true, DEVICE, IOVA, f.event));
        assertEquals(DmaRmpCheck.FAULT_LARGE_LEAF, f.dmaCheck.check(REGION + 0x1000, 30, true, DEVICE, IOVA, f.event));
        // A 1G leaf is judged by the target's 2M region only: another region of the same 1G is fine.
        assertEquals(DmaRmpCheck.ALLOWED,
            f.dmaCheck.check(REGION + RmpTable.PAGE_2M, 30, true, DEVICE, IOVA, f.event));
        // A 64K (NL=7) leaf: only the 16 pages it covers count.
        assertEquals(DmaRmpCheck.ALLOWED, f.dmaCheck.check(REGION + 0x1000, 16, true, DEVICE, IOVA, f.event));
        assertEquals(DmaRmpCheck.FAULT_LARGE_LEAF,
            f.dmaCheck.check(REGION + 0x10_F000, 16, true, DEVICE, IOVA, f.event));
    }

    @Test
    void largeLeafRuleOffChecksOnlyTheTarget()
    {
        final RmpFixture g = new RmpFixture(RmpConfig.DEFAULT.withDmaLargeLeafRule(RmpConfig.DmaLargeLeafRule.OFF));
        g.update(REGION + 0x10_0000, 0, 1, PAGE_SIZE_4K, ASID);
        assertEquals(DmaRmpCheck.ALLOWED, g.dmaCheck.check(REGION + 0x1000, 21, true, DEVICE, IOVA, g.event));
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED, g.dmaCheck.check(REGION + 0x10_0000, 21, true, DEVICE, IOVA, g.event));
    }

    @Test
    void largeLeafRuleWholeLeafChecksEvery2mRegionOfA1gLeaf()
    {
        final RmpFixture g = new RmpFixture(RmpConfig.DEFAULT.withDmaLargeLeafRule(RmpConfig.DmaLargeLeafRule.WHOLE_LEAF));
        g.update(REGION + 0x10_0000, 0, 1, PAGE_SIZE_4K, ASID);
        assertEquals(DmaRmpCheck.FAULT_LARGE_LEAF,
            g.dmaCheck.check(REGION + RmpTable.PAGE_2M, 30, true, DEVICE, IOVA, g.event));
        assertEquals(DmaRmpCheck.ALLOWED, g.dmaCheck.check(REGION + RmpTable.PAGE_2M, 21, true, DEVICE, IOVA, g.event));
    }

    @Test
    void a2mPrivateEntryRefusesEveryPageOfIt()
    {
        f.update(REGION, 0, 1, PAGE_SIZE_2M, ASID);
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED, f.dmaCheck.check(REGION + 0x1F_F000, 12, true, DEVICE, IOVA, f.event));
    }

    @Test
    void the2mRuleCostsAtMostTwoEntryReads()
    {
        f.counter.reset();
        f.dmaCheck.check(REGION + 0x1000, 21, true, DEVICE, IOVA, f.event);
        assertEquals(2, f.counter.reads, "region q0 (also serves the 2M rule) + the target's own q0");
        f.counter.reset();
        f.dmaCheck.check(REGION, 21, true, DEVICE, IOVA, f.event);
        assertEquals(1, f.counter.reads, "the target is the 2M-aligned page");
    }
}
