package org.iommuemu.emulator.vtd;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.fixtures.OffsetMemory;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hardware access and dirty tracking (confidential-io-extras.md 3.3): the second stage's A/D bits with the PASID
 * entry's SSADE and ECAP.SSADS, the first stage's always, set as the hardware sets them (A on every entry the walk
 * used, D on the leaf a write went through); an IOTLB entry remembers whether its page was already marked dirty, so
 * a write that hits a clean cached translation walks and marks it, and a D bit software cleared without the IOTLB
 * flush is not set again (the iommufd invariant: flush before trusting a cleared bit).
 */
class VtdAccessedDirtyTest extends VtdTestBed
{
    private static final long IOVA = 0x7000_0000L;
    private static final int PASID = 5;
    private static final long ECAP = VtdRegisters.defaultEcap() | VtdRegisters.ECAP_SLADS;
    private final WalkResult walk = new WalkResult();

    private PageTable trackedSecondStage()
    {
        bringUp(true, VtdRegisters.defaultCap(4), ECAP, null);
        driver.setScalableContext(DEVICE, 0, true, true, false, 0);
        final PageTable ss = secondStage(4);
        map4k(ss, IOVA, DATA, 16 * 4096L, Permissions.READ_WRITE);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN, true);
        return ss;
    }

    /** The entries a software walk of {@code table} reads for {@code iova}: [top .. leaf]. */
    private long[] entries(final PageTable table, final long iova)
    {
        assertTrue(table.translate(iova, 0, walk));
        final long[] values = new long[walk.entryCount()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = table.memory().readEntry(walk.entryAddress(i));
        }
        return values;
    }

    private static boolean accessed(final long entry)
    {
        return (entry & VtdSecondStageFormat.A) != 0;
    }

    private static boolean dirty(final long entry)
    {
        return (entry & VtdSecondStageFormat.D) != 0;
    }

    @Test
    void aReadSetsAccessedOnTheWholePathAndAWriteSetsDirtyOnTheLeaf()
    {
        final PageTable ss = trackedSecondStage();
        assertTrue(dma(DEVICE, IOVA, false));
        for (final long entry : entries(ss, IOVA))
        {
            assertTrue(accessed(entry), Long.toHexString(entry));
            assertFalse(dirty(entry), Long.toHexString(entry));
        }
        assertTrue(dma(DEVICE, IOVA + 0x1000, true));
        final long[] path = entries(ss, IOVA + 0x1000);
        assertTrue(dirty(path[path.length - 1]), "D on the leaf a write went through");
        for (int i = 0; i < path.length - 1; i++)
        {
            assertFalse(dirty(path[i]), "no D above the leaf");
        }
        assertFalse(dirty(entries(ss, IOVA)[3]), "the page only read stays clean");
    }

    @Test
    void aWriteHittingACleanCachedTranslationWalksAndMarksIt()
    {
        final PageTable ss = trackedSecondStage();
        assertTrue(dma(DEVICE, IOVA, false));
        assertTrue(dma(DEVICE, IOVA, false));
        assertTrue(outcome.iotlbHit(), "reads hit the clean entry");
        assertTrue(dma(DEVICE, IOVA, true));
        assertFalse(outcome.iotlbHit(), "the write walks: the cached translation says the page is clean");
        assertTrue(dirty(entries(ss, IOVA)[3]));
        assertTrue(dma(DEVICE, IOVA + 8, true));
        assertTrue(outcome.iotlbHit(), "now the entry knows the page is dirty");
        assertTrue(dma(DEVICE, IOVA + 16, false));
        assertTrue(outcome.iotlbHit());
    }

    @Test
    void aClearedDirtyBitIsNotSetAgainUntilTheIotlbIsFlushed()
    {
        final PageTable ss = trackedSecondStage();
        assertTrue(dma(DEVICE, IOVA, true));
        final List<Long> dirtyPages = new ArrayList<>();
        assertEquals(MapStatus.OK, ss.readDirty(IOVA, 16 * 4096L, true, (first, last, lg2) -> dirtyPages.add(first)));
        assertEquals(List.of(IOVA), dirtyPages, "iommufd's read-and-clear finds the page and clears D");
        assertFalse(dirty(entries(ss, IOVA)[3]));

        assertTrue(dma(DEVICE, IOVA, true));
        assertTrue(outcome.iotlbHit(), "the cached translation still says dirty");
        assertFalse(dirty(entries(ss, IOVA)[3]), "so the write does not mark the page: lost unless the IOTLB is flushed");

        driver.invalidateIotlbPages(DOMAIN, IOVA, 4);
        assertTrue(dma(DEVICE, IOVA, true));
        assertFalse(outcome.iotlbHit());
        assertTrue(dirty(entries(ss, IOVA)[3]), "after the flush the write walks and sets D again");
    }

    @Test
    void withoutSsadeNothingIsMarkedAndSsadeNeedsSsads()
    {
        bringUp(true, VtdRegisters.defaultCap(4), ECAP, null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final PageTable ss = secondStage(4);
        map4k(ss, IOVA, DATA, 4096, Permissions.READ_WRITE);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN, false);
        assertTrue(dma(DEVICE, IOVA, true));
        for (final long entry : entries(ss, IOVA))
        {
            assertFalse(accessed(entry) || dirty(entry), Long.toHexString(entry));
        }

        bringUp(true, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap(), null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final PageTable other = secondStage(4);
        map4k(other, IOVA, DATA, 4096, Permissions.READ_WRITE);
        driver.attachSecondStage(DEVICE, 0, other, DOMAIN, true);
        assertFalse(dma(DEVICE, IOVA, true), "SSADE is reserved without ECAP.SSADS");
        assertFault(VtdFaultReason.SM_PASID_ENTRY_RESERVED);
    }

    @Test
    void aTranslationRequestGrantingWriteMarksThePageDirty()
    {
        final PageTable ss = trackedSecondStage();
        map4k(ss, IOVA + 0x10_0000, DATA + 0x10_0000, 4096, Permissions.READ);
        assertTrue(ats(DEVICE, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertTrue(dirty(entries(ss, IOVA)[3]), "the device may write without another request");
        assertTrue(ats(DEVICE, -1, IOVA + 0x10_0000, AddressType.TRANSLATION_REQUEST, false));
        final long[] readOnly = entries(ss, IOVA + 0x10_0000);
        assertTrue(accessed(readOnly[3]) && !dirty(readOnly[3]), "a read-only answer marks A only");
    }

    @Test
    void theFirstStageAlwaysGetsAccessedAndDirty()
    {
        bringUp(true, VtdRegisters.defaultCap(4), ECAP, null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final PageTable fs = firstStage();
        map4k(fs, IOVA, DATA, 2 * 4096L, Permissions.READ_WRITE | Permissions.USER);
        driver.attachFirstStage(DEVICE, PASID, fs.root(), 4, DOMAIN, true, false);
        assertTrue(dma(DEVICE, PASID, IOVA, Permissions.READ, false));
        assertTrue(dma(DEVICE, PASID, IOVA + 0x1000, Permissions.WRITE, false));
        final long[] read = entries(fs, IOVA);
        final long[] written = entries(fs, IOVA + 0x1000);
        for (int i = 0; i < read.length; i++)
        {
            assertTrue((read[i] & X86Format.A) != 0 && (written[i] & X86Format.A) != 0);
        }
        assertEquals(0, read[3] & X86Format.D);
        assertTrue((written[3] & X86Format.D) != 0);
    }

    @Test
    void nestedMarksTheGuestTablesThroughTheSecondStageAndTheSecondStageLeafWithSsade()
    {
        bringUp(true, VtdRegisters.defaultCap(4), ECAP, null);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        final long offset = 0x3_0000_0000L;
        final PageTable ss = secondStage(4);
        map4k(ss, 0x1000_0000L, 0x1000_0000L + offset, 64 * 4096L, Permissions.READ_WRITE);
        map4k(ss, 0x2000_0000L, 0x2000_0000L + offset, 4096, Permissions.READ_WRITE);
        final PageTable fs = new PageTable(iommu.firstStageFormat(4),
            new FrameAllocator(new OffsetMemory(memory, offset), 0x1000_0000L, 64 * 4096L));
        map4k(fs, IOVA, 0x2000_0000L, 4096, Permissions.READ_WRITE | Permissions.USER);
        driver.attachNested(DEVICE, PASID, fs.root(), 4, ss, DOMAIN, true, false, true);

        assertTrue(dma(DEVICE, PASID, IOVA, Permissions.WRITE, false));
        assertOk(0x2000_0000L + offset);
        final long[] guest = entries(fs, IOVA);
        assertTrue((guest[3] & X86Format.D) != 0 && (guest[0] & X86Format.A) != 0,
            "the guest's entries, at the host addresses the second stage gives their GPAs");
        assertEquals(0, memory.readEntry(fs.root()), "nothing written at the root's GPA taken as a host address");
        assertTrue(dirty(entries(ss, 0x2000_0000L)[3]), "SSADE: the final GPA's second-stage leaf is dirty");
    }
}
