package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Legacy mode: root table, context entries, second-stage walks, pass-through, and the legacy fault reasons. */
class VtdLegacyTranslationTest extends VtdTestBed
{
    private static final long IOVA = 0x4000_0000L;

    private PageTable attach(final int levels)
    {
        final PageTable domain = secondStage(levels);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        return domain;
    }

    @Test
    void translatesThroughRootContextAndSecondStageThenHitsTheIotlb()
    {
        bringUp(false);
        assertTrue(driver.status() == (VtdRegisters.TE | VtdRegisters.SRTP | VtdRegisters.QIE), Long.toHexString(driver.status()));
        final PageTable domain = attach(4);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, IOVA + 0x123, true));
        assertOk(DATA + 0x123);
        assertEquals(12, outcome.pageSizeLg2());
        assertEquals(DOMAIN, outcome.domainId());
        assertFalse(outcome.iotlbHit());
        assertTrue(dma(DEVICE, IOVA + 0x800, false));
        assertTrue(outcome.iotlbHit());
        assertEquals(1, iommu.contextCache().occupancy());
        assertEquals(1, iommu.iotlb().occupancy());
    }

    @Test
    void threeLevelTablesAndTheirWidth()
    {
        bringUp(false);
        final PageTable domain = attach(3);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ);
        assertTrue(dma(DEVICE, IOVA, false));
        assertFalse(dma(DEVICE, 1L << 40, false));
        assertFault(VtdFaultReason.ADDRESS_BEYOND_MGAW);
    }

    @Test
    void superPagesWhenSllpsAllows()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map(domain, IOVA, DATA, 2L << 20, Permissions.READ_WRITE);
        map(domain, 1L << 32, DATA + (1L << 30), 1L << 30, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, IOVA + 0x1_2345, true));
        assertOk(DATA + 0x1_2345);
        assertEquals(21, outcome.pageSizeLg2());
        assertTrue(dma(DEVICE, (1L << 32) + 0x1234_5678L, false));
        assertOk(DATA + (1L << 30) + 0x1234_5678L);
        assertEquals(30, outcome.pageSizeLg2());
        assertTrue(dma(DEVICE, (1L << 32) + 0x2000_0000L, false));
        assertTrue(outcome.iotlbHit(), "one IOTLB entry covers the 1 GiB page");
    }

    @Test
    void superPagesWithoutSllpsAreReservedBitFaults()
    {
        final long cap = VtdRegisters.defaultCap(4) & ~(VtdRegisters.CAP_SLLPS_2M | VtdRegisters.CAP_SLLPS_1G);
        bringUp(false, cap, VtdRegisters.defaultEcap(), null);
        // A driver that ignored SLLPS built 2 MiB leaves anyway.
        final PageTable domain = new PageTable(new VtdSecondStageFormat(4, 48, true, false, false, 1L << 21), domains);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        map(domain, IOVA, DATA, 2L << 20, Permissions.READ_WRITE);
        assertFalse(dma(DEVICE, IOVA, false));
        assertFault(VtdFaultReason.PAGING_ENTRY_RESERVED);
        // 4 KiB pages in the same unit work.
        final PageTable small = secondStage(4);
        driver.attachLegacy(DEVICE + 1, small, DOMAIN + 1, ContextEntry.TT_MULTI_LEVEL, false);
        assertEquals(MapStatus.OK, small.map(IOVA, DATA, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        assertTrue(dma(DEVICE + 1, IOVA + 0x1000, false));
        assertEquals(12, outcome.pageSizeLg2(), "the unit's format never creates a page SLLPS does not allow");
    }

    @Test
    void passThroughAndTranslationDisabled()
    {
        bringUp(false);
        driver.attachLegacyPassThrough(DEVICE, DOMAIN);
        assertTrue(dma(DEVICE, 0x1234_5678L, true));
        assertOk(0x1234_5678L);
        assertTrue(driver.enableTranslation(false));
        assertTrue(dma(0x0900, 0x5555_5000L, false), "TE clear: no remapping");
        assertOk(0x5555_5000L);
    }

    /**
     * A pass-through context entry must carry the largest AW CAP.SAGAW supports (the specification's rule for TT 10b;
     * Linux writes msagaw); any other AW is an invalid context entry (0x3), as VirtualBox's model has it. The model
     * accepted any AW before.
     */
    @Test
    void passThroughNeedsTheLargestAddressWidth()
    {
        bringUp(false);
        final long cap = iommu.readRegister(VtdRegisters.CAP, 8);
        final int largest = VtdRegisters.largestAw(cap);
        assertEquals(2, largest, "the default SAGAW: 39- and 48-bit");
        final long lo = ContextEntry.low(0, ContextEntry.TT_PASS_THROUGH, false);
        driver.writeLegacyContext(DEVICE, lo, ContextEntry.high(largest - 1, DOMAIN));
        assertFalse(dma(DEVICE, 0x1234_5000L, false), "AW 1 is in SAGAW but not the largest");
        assertTrue(assertFault(VtdFaultReason.CONTEXT_ENTRY_INVALID));
        driver.writeLegacyContext(DEVICE + 1, lo, ContextEntry.high(3, DOMAIN));
        assertFalse(dma(DEVICE + 1, 0x1234_5000L, false), "AW 3 is not in SAGAW");
        assertFault(VtdFaultReason.CONTEXT_ENTRY_INVALID);
        driver.writeLegacyContext(DEVICE + 2, lo, ContextEntry.high(largest, DOMAIN));
        assertTrue(dma(DEVICE + 2, 0x1234_5000L, false));
        assertOk(0x1234_5000L);
    }

    @Test
    void secondStagePermissionFaultsAreRecorded()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ);
        assertFalse(dma(DEVICE, IOVA + 0x10, true));
        assertTrue(assertFault(VtdFaultReason.WRITE));
        long[] record = takeFault();
        assertEquals(0x5, FaultRecord.reason(record[1]));
        assertEquals(DEVICE, FaultRecord.sourceId(record[1]));
        assertEquals(IOVA, FaultRecord.address(record[0]));
        assertFalse(FaultRecord.read(record[1]), "T = 0: a write");
        assertFalse(FaultRecord.pasidPresent(record[1]));

        assertFalse(dma(DEVICE, IOVA + 0x1000, false));
        assertFault(VtdFaultReason.READ);
        record = takeFault();
        assertTrue(FaultRecord.read(record[1]));
    }

    @Test
    void rootAndContextFaults()
    {
        bringUp(false);
        attach(4);
        assertFalse(dma(0x0500, IOVA, false));
        assertFault(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT);
        assertFalse(dma(DEVICE + 1, IOVA, false));
        assertFault(VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT);

        RootEntry.write(memory, driver.rootTable(), 0x06, TABLE_POOL + (32L << 20));
        memory.writeEntry(RootEntry.address(driver.rootTable(), 0x06) + 8, 1);
        assertFalse(dma(0x0600, IOVA, false));
        assertFault(VtdFaultReason.ROOT_ENTRY_RESERVED);

        driver.writeLegacyContext(0x0320, ContextEntry.low(DATA, ContextEntry.TT_MULTI_LEVEL, false), ContextEntry.high(2, 9) | 0x80);
        assertFalse(dma(0x0320, IOVA, false));
        assertFault(VtdFaultReason.CONTEXT_ENTRY_RESERVED);

        driver.writeLegacyContext(0x0321, ContextEntry.low(DATA, 3, false), ContextEntry.high(2, 9));
        assertFalse(dma(0x0321, IOVA, false));
        assertFault(VtdFaultReason.CONTEXT_ENTRY_INVALID);
        driver.writeLegacyContext(0x0322, ContextEntry.low(DATA, ContextEntry.TT_MULTI_LEVEL, false), ContextEntry.high(3, 9));
        assertFalse(dma(0x0322, IOVA, false), "AW = 3 (57-bit) is not in SAGAW");
        assertFault(VtdFaultReason.CONTEXT_ENTRY_INVALID);
    }

    @Test
    void accessErrorsBeyondTheMemoryLimit()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        config.memoryLimit = 1L << 40;
        final long nowhere = 1L << 41;

        driver.writeLegacyContext(0x0330, ContextEntry.low(nowhere, ContextEntry.TT_MULTI_LEVEL, false), ContextEntry.high(2, 9));
        assertFalse(dma(0x0330, IOVA, false), "SLPTPTR does not answer");
        assertFault(VtdFaultReason.CONTEXT_ENTRY_INVALID);

        memory.writeEntry(domain.root(), nowhere | VtdSecondStageFormat.R | VtdSecondStageFormat.W);
        assertFalse(dma(DEVICE, IOVA + 0x2000, false));
        assertFault(VtdFaultReason.PAGING_ENTRY_ACCESS);

        RootEntry.write(memory, driver.rootTable(), 0x07, nowhere);
        assertFalse(dma(0x0700, IOVA, false));
        assertTrue(assertFault(VtdFaultReason.CONTEXT_TABLE_ACCESS));

        config.memoryLimit = TABLE_POOL;
        assertFalse(dma(0x0800, IOVA, false));
        assertTrue(assertFault(VtdFaultReason.ROOT_TABLE_ACCESS));
    }

    @Test
    void reservedBitsInPagingEntries()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        memory.writeEntry(domain.root(), memory.readEntry(domain.root()) | VtdSecondStageFormat.SNP);
        assertFalse(dma(DEVICE, IOVA, false));
        assertFault(VtdFaultReason.PAGING_ENTRY_RESERVED);
    }

    @Test
    void outputInTheInterruptRangeIsRefused()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map4k(domain, IOVA, 0xFEE0_0000L, 4096, Permissions.READ_WRITE);
        assertFalse(dma(DEVICE, IOVA, true));
        assertFault(VtdFaultReason.INTERRUPT_ADDRESS);
        config.interruptRangeCheck = false;
        assertTrue(dma(DEVICE, IOVA, true));
    }

    @Test
    void requestsWithPasidInLegacyMode()
    {
        bringUp(false);
        attach(4);
        assertFalse(dma(DEVICE, 5, IOVA, Permissions.READ, false));
        assertFault(VtdFaultReason.SM_LEGACY_WITH_PASID);
        final long[] record = takeFault();
        assertTrue(FaultRecord.pasidPresent(record[1]));
        assertEquals(5, FaultRecord.pasid(record[1]));
    }

    @Test
    void aStaleIotlbHitLastsUntilInvalidated()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, IOVA, true));
        assertEquals(MapStatus.OK, domain.unmap(IOVA, 4096));
        assertTrue(dma(DEVICE, IOVA, true), "stale: the unmap was not invalidated");
        assertTrue(outcome.iotlbHit());
        assertTrue(driver.invalidateIotlbPages(DOMAIN, IOVA, 0));
        assertFalse(dma(DEVICE, IOVA, true));
        assertFault(VtdFaultReason.WRITE);
    }

    @Test
    void aStaleContextEntryLastsUntilTheContextCacheIsInvalidated()
    {
        bringUp(false);
        final PageTable domain = attach(4);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, IOVA, false));
        driver.writeLegacyContext(DEVICE, 0, 0);
        assertTrue(dma(DEVICE, IOVA + 8, false), "the context cache still holds the entry");
        assertTrue(driver.invalidateDevice(DEVICE, DOMAIN));
        assertFalse(dma(DEVICE, IOVA, false));
        assertFault(VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT);
    }

}
