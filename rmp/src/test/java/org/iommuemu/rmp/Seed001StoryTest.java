package org.iommuemu.rmp;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.iommuemu.rmp.RmpReturnCode.SUCCESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seed 001 (AMDSEV#109, "iommu/amd: Introduce Protection-domain flag VFIO"): a passthrough device in an SNP
 * guest DMA-writes a shared buffer and hits RMP_PAGE_FAULT, because the IOMMU maps the guest's memory with
 * 2 MiB leaves while the RMP under one of them was PSMASHed to 4 KiB with a private page in it. Forcing
 * 4 KiB IOMMU pages is the workaround.
 */
class Seed001StoryTest
{
    private static final long SPA = 0x0600_0000L;      // 2 MiB-aligned guest memory
    private static final long GPA = 0x0_8000_0000L;
    private static final long IOVA = GPA;               // VFIO maps IOVA = GPA
    private static final int DEVICE = 0x4100;
    private static final long PRIVATE_PAGE = 0x5_0000L;  // offset of the page the guest made private
    private static final long DMA_BUFFER = 0x7_8000L;    // offset of the dma_alloc_coherent() buffer (shared)

    private final RmpFixture f = new RmpFixture();

    /** The RMP side of the story, common to every variant. */
    private void guestConvertsOnePagePrivateInsideASharedRange()
    {
        // The range is shared and 2M in the RMP (rmp_make_shared at 2M).
        assertEquals(SUCCESS, f.conversion.makeShared(SPA, PAGE_SIZE_2M));
        // The guest's page-state change makes one 4K page private: KVM PSMASHes, then RMPUPDATEs 4K.
        assertEquals(SUCCESS, f.conversion.makePrivate(SPA + PRIVATE_PAGE, GPA + PRIVATE_PAGE, ASID, PAGE_SIZE_4K));
        assertEquals(PAGE_SIZE_4K, f.entry(SPA).pageSize(), "the 2M RMP entry was split");
        assertEquals(1, f.entry(SPA).subpageCount());
    }

    @Test
    void deviceWriteThroughA2mIommuLeafFaultsAnd4kLeafSucceeds()
    {
        guestConvertsOnePagePrivateInsideASharedRange();
        final long target = SPA + DMA_BUFFER + 0x784;
        assertEquals(DmaRmpCheck.FAULT_LARGE_LEAF,
            f.dmaCheck.check(target, RmpTable.PAGE_2M_LG2, true, DEVICE, IOVA + DMA_BUFFER + 0x784, f.event));
        assertEquals(RmpPageFaultEvent.EVENT_CODE, f.event.eventCode());
        assertEquals(DEVICE, f.event.deviceId());
        assertEquals(RmpPageFaultEvent.FLAG_RW, f.event.flags());
        assertEquals(IOVA + DMA_BUFFER + 0x784, f.event.address());

        assertEquals(DmaRmpCheck.ALLOWED,
            f.dmaCheck.check(target, RmpTable.PAGE_4K_LG2, true, DEVICE, IOVA + DMA_BUFFER + 0x784, f.event));
        // The private page itself is refused either way.
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED,
            f.dmaCheck.check(SPA + PRIVATE_PAGE, RmpTable.PAGE_4K_LG2, true, DEVICE, IOVA + PRIVATE_PAGE, f.event));
    }

    /** The same story with the IOMMU side built by the AMD-Vi v1 page-table engine and its page-size policies. */
    @ParameterizedTest
    @EnumSource(value = PageSizePolicy.class, names = {"LARGEST", "FORCED_4K"})
    void endToEndThroughAnAmdV1IoPageTable(final PageSizePolicy policy)
    {
        final FrameAllocator frames = new FrameAllocator(f.memory, 0xA000_0000L, 1L << 24);
        final PageTable domain = new PageTable(new AmdV1Format(3), frames);
        assertEquals(MapStatus.OK, domain.map(IOVA, SPA, RmpTable.PAGE_2M, Permissions.READ_WRITE, policy));
        guestConvertsOnePagePrivateInsideASharedRange();

        final WalkResult walk = new WalkResult();
        final long iova = IOVA + DMA_BUFFER + 0x784;
        assertTrue(domain.translate(iova, Permissions.WRITE, walk), walk.toString());
        assertEquals(SPA + DMA_BUFFER + 0x784, walk.outputAddress());
        final int outcome = f.dmaCheck.check(walk.outputAddress(), walk.pageSizeLg2(), true, DEVICE, iova, f.event);
        if (policy == PageSizePolicy.LARGEST)
        {
            assertEquals(RmpTable.PAGE_2M_LG2, walk.pageSizeLg2());
            assertEquals(DmaRmpCheck.FAULT_LARGE_LEAF, outcome, "huge IOMMU page over a split, mixed RMP");
        }
        else
        {
            assertEquals(RmpTable.PAGE_4K_LG2, walk.pageSizeLg2());
            assertEquals(DmaRmpCheck.ALLOWED, outcome, "forced 4K IOMMU pages: the workaround");
        }
    }

    @Test
    void withTheLargeLeafRuleOffTheHugeMappingGoesThrough()
    {
        final RmpFixture g = new RmpFixture(RmpConfig.DEFAULT.withDmaLargeLeafRule(RmpConfig.DmaLargeLeafRule.OFF));
        assertEquals(SUCCESS, g.conversion.makeShared(SPA, PAGE_SIZE_2M));
        assertEquals(SUCCESS, g.conversion.makePrivate(SPA + PRIVATE_PAGE, GPA + PRIVATE_PAGE, ASID, PAGE_SIZE_4K));
        assertEquals(DmaRmpCheck.ALLOWED,
            g.dmaCheck.check(SPA + DMA_BUFFER, RmpTable.PAGE_2M_LG2, true, DEVICE, IOVA + DMA_BUFFER, g.event));
    }

    @Test
    void convertingThePageBackToSharedClearsTheFaultUnderA2mLeaf()
    {
        guestConvertsOnePagePrivateInsideASharedRange();
        assertEquals(SUCCESS, f.conversion.makeShared(SPA + PRIVATE_PAGE, PAGE_SIZE_4K));
        assertEquals(DmaRmpCheck.ALLOWED,
            f.dmaCheck.check(SPA + DMA_BUFFER, RmpTable.PAGE_2M_LG2, true, DEVICE, IOVA + DMA_BUFFER, f.event));
    }
}
