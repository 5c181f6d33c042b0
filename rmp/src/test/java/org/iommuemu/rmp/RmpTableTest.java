package org.iommuemu.rmp;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RmpTableTest
{
    private final SparseMemory memory = new SparseMemory();

    @Test
    void contiguousEntryAddressIsBasePlusBookkeepingPlusSixteenPerPage()
    {
        // RMP_BASE 0x1_0000_0000, RMP_END such that 4 GiB is covered: 0x4000 + 0x10_0000 * 16 bytes.
        final RmpTable table = RmpTable.contiguous(memory, 0x1_0000_0000L, 0x1_0100_2000L);
        assertEquals(0x1_0000_4000L, table.entryAddress(0));
        assertEquals(0x1_0000_4000L, table.entryAddress(0xFFF));
        assertEquals(0x1_0000_4010L, table.entryAddress(0x1000));
        assertEquals(0x1_0000_4000L + 0x12345L * 16, table.entryAddress(0x1234_5678L));
        // The table ends at RMP_END | 0x1FFF = 0x1_0100_3FFF: (0x1_0100_4000 - 0x1_0000_4000) / 16 pages.
        assertEquals(0x1_0000_0000L, table.coveredLimit());
        assertEquals(0x1_0100_3FF0L, table.entryAddress(0xFFFF_F000L));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(0x1_0000_0000L));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(-1));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(Long.MIN_VALUE));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(1L << 52));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(Long.MAX_VALUE));
    }

    @Test
    void coveringConstructorMatchesLinuxSizing()
    {
        final RmpTable table = RmpTable.contiguousCovering(memory, 0x8000_0000L, 1L << 30);
        assertEquals(1L << 30, table.coveredLimit());
        assertEquals(0x8000_0000L + 0x4000 + (1L << 22) - 1, table.last());
        assertThrows(IllegalArgumentException.class, () -> RmpTable.contiguous(memory, 0x8000_0000L, 0x8000_0000L));
    }

    @Test
    void authoritativeEntryIsThe2MEntryWhenItsPageSizeIsSet()
    {
        final RmpTable table = RmpTable.contiguousCovering(memory, 0x8000_0000L, 1L << 30);
        final long spa = 0x0060_3000L;
        final long region = table.entryAddress(0x0060_0000L);
        assertEquals(table.entryAddress(spa), table.authoritativeEntryAddress(spa));
        new RmpEntry().wrap(memory, region).pageSize(RmpEntry.PAGE_SIZE_2M);
        assertEquals(region, table.authoritativeEntryAddress(spa));
        assertEquals(region, table.authoritativeEntryAddress(0x0060_0000L));
        assertEquals(table.entryAddress(0x0080_3000L), table.authoritativeEntryAddress(0x0080_3000L));
        assertEquals(RmpTable.NOT_COVERED, table.authoritativeEntryAddress(1L << 30));
    }

    @Test
    void segmentedLookupFollowsTheSegmentTable()
    {
        final long base = 0x4000_0000L;
        // Segment shift 30 (1 GiB per RST slot). Slot 0: 1 GiB at 0x5000_0000; slot 2: 1 GiB at 0x6000_0000;
        // slot 1 unused.
        memory.writeEntry(base + RmpSegmentTableEntry.TABLE_OFFSET, RmpSegmentTableEntry.encode(0x5000_0000L, 1));
        memory.writeEntry(base + RmpSegmentTableEntry.TABLE_OFFSET + 16, RmpSegmentTableEntry.encode(0x6000_0000L, 1));
        final RmpTable table = RmpTable.segmented(memory, base, RmpMsrs.rmpCfg(true, 30));
        assertEquals(0x5000_0000L, table.entryAddress(0));
        assertEquals(0x5000_0000L + 0x3FFFFL * 16, table.entryAddress((1L << 30) - 1));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(1L << 30));
        assertEquals(0x6000_0000L + 0x10L * 16, table.entryAddress((2L << 30) + 0x10_000));
        assertEquals(RmpTable.NOT_COVERED, table.entryAddress(3L << 30));
        assertThrows(IllegalStateException.class, table::coveredLimit);
        assertThrows(IllegalArgumentException.class, () -> RmpTable.segmented(memory, base, RmpMsrs.rmpCfg(false, 30)));
    }

    @Test
    void instructionsWorkOnASegmentedTable()
    {
        final long base = 0x4000_0000L;
        memory.writeEntry(base + RmpSegmentTableEntry.TABLE_OFFSET, RmpSegmentTableEntry.encode(0x5000_0000L, 1));
        final RmpTable table = RmpTable.segmented(memory, base, RmpMsrs.rmpCfg(true, 30));
        final RmpInstructions instructions = new RmpInstructions(table, RmpConfig.DEFAULT);
        final PageStateConversion conversion = new PageStateConversion(instructions);
        assertEquals(RmpReturnCode.SUCCESS, conversion.makePrivate(0x20_0000L, 0x20_0000L, 3, RmpEntry.PAGE_SIZE_2M));
        assertEquals(RmpReturnCode.SUCCESS, conversion.makeShared(0x20_5000L, RmpEntry.PAGE_SIZE_4K));
        assertEquals(510, new RmpEntry().wrap(memory, table.entryAddress(0x20_0000L)).subpageCount());
        assertEquals(510, table.countAssignedSubpagesByScan(0x20_0000L));
        assertEquals(RmpReturnCode.FAIL_INPUT, conversion.makePrivate(1L << 30, 0, 3, RmpEntry.PAGE_SIZE_4K));
    }

    @Test
    void clearZeroesTheWholeTable()
    {
        final RmpTable table = RmpTable.contiguousCovering(memory, 0x8000_0000L, 1L << 30);
        memory.writeEntry(table.base(), 0x1234);
        memory.writeEntry(table.entryAddress(0x3FFF_F000L), -1L);
        memory.writeEntry(table.last() + 1, 0x77);
        table.clear();
        assertEquals(0, memory.readEntry(table.base()));
        assertEquals(0, memory.readEntry(table.entryAddress(0x3FFF_F000L)));
        assertEquals(0x77, memory.readEntry(table.last() + 1), "memory after RMP_END is not the RMP's");
    }

    /**
     * SNP_INIT's firmware owns the pages of the RMP itself: Assigned and Immutable, the subpage counts of their 2 MiB
     * regions kept (the scan oracle agrees), and a DMA write there is an RMP fault while one beside the RMP is not.
     */
    @Test
    void theRmpsOwnPagesBelongToTheFirmware()
    {
        final RmpTable table = RmpTable.contiguousCovering(memory, 0x8000_0000L, 4L << 30);
        final long pages = (table.last() + 1 - 0x8000_0000L) >>> RmpTable.PAGE_4K_LG2;
        assertEquals(pages, table.assignRmpPagesToFirmware());
        final long q0 = memory.readEntry(table.entryAddress(0x8000_3000L));
        assertTrue(RmpEntry.isAssigned(q0));
        assertEquals(RmpEntry.IMMUTABLE_MASK, q0 & RmpEntry.IMMUTABLE_MASK);
        assertEquals(0, RmpEntry.asidOf(q0));
        assertEquals(table.countAssignedSubpagesByScan(0x8000_0000L),
            RmpEntry.subpageCountOf(memory.readEntry(table.entryAddress(0x8000_0000L))));
        assertEquals(0, table.assignRmpPagesToFirmware(), "marked once");

        final DmaRmpCheck check = new DmaRmpCheck(table, RmpConfig.DEFAULT);
        final RmpPageFaultEvent event = new RmpPageFaultEvent().wrap(new UnsafeBuffer(new byte[16]), 0);
        assertEquals(DmaRmpCheck.FAULT_ASSIGNED, check.check(0x8000_3040L, 12, true, 0x100, 0x3040, event), "a DMA into the RMP");
        assertEquals(DmaRmpCheck.ALLOWED, check.check(table.last() + 1 + 0x1000, 12, true, 0x100, 0x3040, event), "beside it");
        final RmpState shared = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0); // all zero: shared, 4K
        assertEquals(RmpReturnCode.FAIL_PERMISSION, new RmpInstructions(table, RmpConfig.DEFAULT).rmpupdate(0x8000_3000L, shared),
            "immutable");
    }

    @Test
    void markInUseSetsTheLockBit()
    {
        final RmpTable table = RmpTable.contiguousCovering(memory, 0x8000_0000L, 1L << 30);
        table.markInUse(0x5000, true);
        assertEquals(RmpEntry.LOCK_MASK, memory.readEntry(table.entryAddress(0x5000)));
        table.markInUse(0x5000, false);
        assertEquals(0, memory.readEntry(table.entryAddress(0x5000)));
        assertThrows(IllegalArgumentException.class, () -> table.markInUse(1L << 30, true));
    }
}
