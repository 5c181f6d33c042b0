package org.iommuemu.tdx;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the generic walker sees each S-EPT state, with hand-built (literal) tables. */
class SecureEptFormatTest
{
    private static final long ROOT = 0x1000;
    private static final long L2 = 0x2000;
    private static final long L1 = 0x3000;
    private static final long L0 = 0x4000;
    private final SecureEptFormat format = new SecureEptFormat(4);
    private final SparseMemory memory = new SparseMemory();
    private final WalkResult result = new WalkResult();

    private void tables()
    {
        for (final long table : new long[] {ROOT, L2, L1, L0})
        {
            memory.writeEntries(table, 512, 0x80E0_0000_0000_0000L, 0);
        }
        memory.writeEntry(ROOT, 0x0000_0000_0000_2007L);       // NL_MAPPED -> L2
        memory.writeEntry(L2, 0x0000_0000_0000_3007L);         // NL_MAPPED -> L1
        memory.writeEntry(L1, 0x0000_0000_0000_4007L);         // NL_MAPPED -> L0 (GPA 0..2M)
    }

    @Test
    void mappedFourKilobyteLeafHasPsAndTranslates()
    {
        tables();
        memory.writeEntry(L0 + 8 * 5, 0x8000_0000_ABCD_E0F7L); // MAPPED: SVE, PS, IPAT, WB, RWX
        assertTrue(Walker.walk(format, memory, ROOT, 0x5123, Permissions.WRITE, Permissions.ALL, result), result.toString());
        assertEquals(0xABCD_E123L, result.outputAddress());
        assertEquals(12, result.pageSizeLg2());
        assertEquals(4, result.entryCount());
    }

    @Test
    void makeLeafAndMakeTableKnownAnswers()
    {
        assertEquals(0x8000_0000_ABCD_E0F7L, format.makeLeaf(0xABCD_E000L, 12, 0, format.attributesFor(Permissions.READ |
            Permissions.WRITE | Permissions.EXECUTE)));
        assertEquals(0x8000_0000_4000_00F3L, format.makeLeaf(0x4000_0000L, 21, 1, format.attributesFor(Permissions.READ_WRITE)));
        assertEquals(0x0000_0000_0000_3007L, format.makeTable(0x3000, 2));
        assertEquals(0x80E0_0000_0000_0000L, format.emptyEntry(0));
        assertEquals(0x80E0_0000_0000_0000L, format.emptyEntry(3));
    }

    @Test
    void freeAndRemovedAreEmptyAndZeroIsEmpty()
    {
        assertEquals(PageTableFormat.KIND_EMPTY, format.kind(0x80E0_0000_0000_0000L, 2));
        assertEquals(PageTableFormat.KIND_EMPTY, format.kind(0x00C0_0000_0000_0000L, 0));
        assertEquals(PageTableFormat.KIND_EMPTY, format.kind(0, 1));
        tables();
        assertFalse(Walker.walk(format, memory, ROOT, 0x6000, Permissions.READ, Permissions.ALL, result));
        assertEquals(WalkFault.NOT_PRESENT, result.fault());
        assertEquals(0, result.level());
    }

    @Test
    void blockedAndPendingLeavesAreLeavesWithoutPermissions()
    {
        tables();
        memory.writeEntry(L0 + 8 * 7, 0x8080_0000_0007_70F0L);  // BLOCKED, RWX cleared
        memory.writeEntry(L0 + 8 * 8, 0x0100_0000_0007_80F0L);  // PENDING, RWX 0, SVE 0
        memory.writeEntry(L0 + 8 * 9, 0x8180_0000_0007_90F0L);  // PENDING_BLOCKED
        for (final long gpa : new long[] {0x7000, 0x8000, 0x9000})
        {
            assertEquals(PageTableFormat.KIND_LEAF, format.kind(memory.readEntry(L0 + (gpa >> 12) * 8), 0));
            assertFalse(Walker.walk(format, memory, ROOT, gpa, Permissions.READ, Permissions.ALL, result));
            assertEquals(WalkFault.PERMISSION, result.fault(), result.toString());
            assertEquals(0, result.level());
            assertEquals(Permissions.USER, result.permissions());
        }
    }

    @Test
    void nlBlockedIsATableWhoseLeavesFaultWithPermission()
    {
        tables();
        memory.writeEntry(L1, 0x0080_0000_0000_4000L);           // NL_BLOCKED -> L0, RWX cleared
        memory.writeEntry(L0 + 8, 0x8000_0000_0011_10F7L);       // MAPPED
        assertEquals(PageTableFormat.KIND_TABLE, format.kind(0x0080_0000_0000_4000L, 1));
        assertFalse(Walker.walk(format, memory, ROOT, 0x1000, Permissions.READ, Permissions.ALL, result));
        assertEquals(WalkFault.PERMISSION, result.fault());
        assertEquals(4, result.entryCount(), "the walk goes through an NL_BLOCKED entry to the leaf");
    }

    @Test
    void illegalStateCodesAndMisplacedStatesAreMisconfigurations()
    {
        tables();
        memory.writeEntry(L0 + 8 * 3, 0x8000_0000_0003_02F7L);   // code 0x61: MAPPED with D, not a legal state
        assertFalse(Walker.walk(format, memory, ROOT, 0x3000, Permissions.READ, Permissions.ALL, result));
        assertEquals(WalkFault.RESERVED_BIT, result.fault());
        memory.writeEntry(L0 + 8 * 4, 0x0000_0000_0003_0007L);   // NL_MAPPED at level 0
        assertFalse(Walker.walk(format, memory, ROOT, 0x4000, Permissions.READ, Permissions.ALL, result));
        assertEquals(WalkFault.RESERVED_BIT, result.fault());
        memory.writeEntry(ROOT + 8, 0x8000_0080_0000_00F7L);     // a MAPPED leaf at level 3 (512 GiB): PS reserved
        assertFalse(Walker.walk(format, memory, ROOT, 1L << 39, Permissions.READ, Permissions.ALL, result));
        assertEquals(WalkFault.RESERVED_BIT, result.fault());
        assertEquals(3, result.level());
    }

    @Test
    void splitOfAPendingLeafCarriesTheStateToTheChildren()
    {
        final long pending = format.makeLeaf(0x20_0000L, 21, 1, SecureEptEntry.STATE_PENDING & ~SecureEptEntry.PS |
            SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_WB));
        final long child = format.makeLeaf(0x20_1000L, 12, 0, format.attributes(pending, 1));
        assertEquals(0x0100_0000_0020_10F0L, child);
        assertEquals("PENDING", SecureEptEntry.stateName(child));
    }
}
