package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.iommuemu.pagetable.Permissions.EXECUTE;
import static org.iommuemu.pagetable.Permissions.READ;
import static org.iommuemu.pagetable.Permissions.USER;
import static org.iommuemu.pagetable.Permissions.WRITE;

/** EPT 4-level, EPT PML4 at 0x1000. */
class EptFormatTest extends KnownAnswerSupport
{
    private final EptFormat format = new EptFormat(4);

    @BeforeEach
    void buildTables()
    {
        entry(0x1008, 0x0000_0000_0000_2007L); // PML4E[1] -> 0x2000, RWX
        entry(0x2008, 0x0000_0000_0000_3007L); // PDPTE[1] -> 0x3000
        entry(0x3008, 0x0000_0000_0000_4007L); // PDE[1] -> 0x4000
        entry(0x4018, 0x0000_0000_ABCD_E035L); // PTE[3]: R|X, memory type WB (6)
        entry(0x4020, 0x0000_0000_ABCD_F032L); // PTE[4]: W without R: misconfiguration
        entry(0x4028, 0x0000_0000_ABCE_0011L); // PTE[5]: memory type 2: misconfiguration
        entry(0x3010, 0x0000_0000_8020_00B7L); // PDE[2]: 2 MiB, RWX, WB, PS
        entry(0x2010, 0x0000_0000_0000_5047L); // PDPTE[2]: non-leaf with bit 6 set: reserved
    }

    @Test
    void translations()
    {
        expectTranslation(format, 0x80_4020_3ABCL, READ | EXECUTE, 0xABCD_EABCL, 12, READ | EXECUTE | USER);
        expectFault(format, 0x80_4020_3ABCL, WRITE, WalkFault.PERMISSION, 0);
        expectTranslation(format, 0x80_4041_2345L, WRITE, 0x8021_2345L, 21, Permissions.ALL);
    }

    @Test
    void misconfigurationsAndReservedBits()
    {
        expectFault(format, 0x80_4020_4000L, READ, WalkFault.RESERVED_BIT, 0);
        expectFault(format, 0x80_4020_5000L, READ, WalkFault.RESERVED_BIT, 0);
        expectFault(format, 0x80_8000_0000L, READ, WalkFault.RESERVED_BIT, 2);
        expectFault(format, 0x80_4060_0000L, READ, WalkFault.NOT_PRESENT, 1);
    }
}
