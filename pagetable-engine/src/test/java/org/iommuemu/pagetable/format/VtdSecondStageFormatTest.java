package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.iommuemu.pagetable.Permissions.READ;
import static org.iommuemu.pagetable.Permissions.USER;
import static org.iommuemu.pagetable.Permissions.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** VT-d second stage, 3 levels (39-bit, SAGAW bit 1), root (SL-PML4... here SS-PDPE table) at 0x1000. */
class VtdSecondStageFormatTest extends KnownAnswerSupport
{
    private final VtdSecondStageFormat format = new VtdSecondStageFormat(3);

    @BeforeEach
    void buildTables()
    {
        entry(0x1008, 0x0000_0000_0000_2003L); // level 2 [1] -> 0x2000, R|W
        entry(0x2008, 0x0000_0000_0000_3003L); // level 1 [1] -> 0x3000
        entry(0x3018, 0x0000_0000_ABCD_E001L); // level 0 [3]: 4 KiB read-only
        entry(0x3020, 0x4000_0000_1234_5003L); // level 0 [4]: TM set while TM is not enabled
        entry(0x2010, 0x0000_0000_8020_0083L); // level 1 [2]: 2 MiB, R|W|PS
        entry(0x2018, 0x0000_0000_0000_5004L); // level 1 [3]: X only: not present (no R, no W)
        entry(0x1010, 0x0000_0000_0000_2803L); // level 2 [2]: SNP in a non-leaf entry: reserved
    }

    @Test
    void translationsAndPermissions()
    {
        expectTranslation(format, 0x4020_3ABCL, READ, 0xABCD_EABCL, 12, READ | USER | Permissions.EXECUTE);
        expectFault(format, 0x4020_3ABCL, WRITE, WalkFault.PERMISSION, 0);
        expectTranslation(format, 0x4041_2345L, WRITE, 0x8021_2345L, 21, Permissions.ALL);
    }

    @Test
    void presenceIsReadOrWrite()
    {
        expectFault(format, 0x4060_0000L, READ, WalkFault.NOT_PRESENT, 1);
    }

    @Test
    void reservedBitsAndWidth()
    {
        expectFault(format, 0x4020_4000L, READ, WalkFault.RESERVED_BIT, 0);
        expectFault(format, 0x8000_0000L, READ, WalkFault.RESERVED_BIT, 2);
        expectFault(format, 1L << 39, READ, WalkFault.ADDRESS_WIDTH, 2);
    }

    @Test
    void reservedMasksMatchQemu()
    {
        // QEMU VTD_SPTE_*_RSVD_MASK without snoop control: 0x800 in tables and 4K leaves, 0x1ff800 for 2 MiB, 0x3ffff800 for 1 GiB.
        final VtdSecondStageFormat noSc = new VtdSecondStageFormat(4, 52, false, false, false, (1L << 21) | (1L << 30));
        assertEquals(0x800L, noSc.reservedMask(1, PageTableFormat.KIND_TABLE, 0));
        assertEquals(0x880L, noSc.reservedMask(3, PageTableFormat.KIND_TABLE, 0));
        assertEquals(0x800L | VtdSecondStageFormat.TM, noSc.reservedMask(0, PageTableFormat.KIND_LEAF, 12));
        assertEquals(0x1ff800L | VtdSecondStageFormat.TM, noSc.reservedMask(1, PageTableFormat.KIND_LEAF, 21));
        assertEquals(0x3ffff800L | VtdSecondStageFormat.TM, noSc.reservedMask(2, PageTableFormat.KIND_LEAF, 30));
    }
}
