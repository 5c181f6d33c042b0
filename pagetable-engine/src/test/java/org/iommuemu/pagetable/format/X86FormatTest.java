package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.iommuemu.pagetable.Permissions.READ;
import static org.iommuemu.pagetable.Permissions.USER;
import static org.iommuemu.pagetable.Permissions.WRITE;

/** x86-64 4-level tables, root (PML4) at 0x1000. */
class X86FormatTest extends KnownAnswerSupport
{
    private final X86Format format = new X86Format(4);

    @BeforeEach
    void buildTables()
    {
        entry(0x1008, 0x0000_0000_0000_2007L); // PML4[1] -> PDPT 0x2000, P|RW|US
        entry(0x2008, 0x0000_0000_0000_3007L); // PDPT[1] -> PD 0x3000
        entry(0x3008, 0x0000_0000_0000_4007L); // PD[1] -> PT 0x4000
        entry(0x4018, 0x8000_0000_ABCD_E001L); // PT[3]: 4 KiB at 0xABCDE000, read-only, supervisor, XD
        entry(0x3010, 0x0000_0000_8020_00E7L); // PD[2]: 2 MiB at 0x80200000, P|RW|US|A|D|PS
        entry(0x3018, 0x0000_0000_8020_2087L); // PD[3]: 2 MiB with reserved bit 13 set
        entry(0x2010, 0x0000_0000_4000_0083L); // PDPT[2]: 1 GiB at 0x40000000, P|RW|PS
        entry(0x1010, 0x0000_0000_0000_0087L); // PML4[2]: PS is reserved in a PML4E
    }

    @Test
    void fourKilobyteLeafIsReadOnlySupervisorNoExecute()
    {
        expectTranslation(format, 0x80_4020_3ABCL, READ, 0xABCD_EABCL, 12, READ);
        expectFault(format, 0x80_4020_3ABCL, WRITE, WalkFault.PERMISSION, 0);
        expectFault(format, 0x80_4020_3ABCL, READ | USER, WalkFault.PERMISSION, 0);
    }

    @Test
    void largeLeaves()
    {
        expectTranslation(format, 0x80_4041_2345L, WRITE | USER, 0x8021_2345L, 21, Permissions.ALL);
        expectTranslation(format, 0x80_8123_4567L, WRITE, 0x4123_4567L, 30, READ | WRITE | Permissions.EXECUTE);
    }

    @Test
    void reservedBits()
    {
        expectFault(format, 0x80_4060_0000L, READ, WalkFault.RESERVED_BIT, 1);
        expectFault(format, 0x100_0000_0000L, READ, WalkFault.RESERVED_BIT, 3);
    }

    @Test
    void canonicalAddresses()
    {
        expectFault(format, 0x0000_8000_0000_0000L, READ, WalkFault.ADDRESS_WIDTH, 3);
        expectFault(format, 0xFFFF_8000_0000_0000L, READ, WalkFault.NOT_PRESENT, 3);
        entry(0x1800, 0x0000_0000_0000_2007L); // PML4[256], the first upper-half slot
        expectTranslation(format, 0xFFFF_8000_4041_2345L, READ, 0x8021_2345L, 21, Permissions.ALL);
        // AMD-Vi v2 with PASID 0 is not sign-extended: bit 47 is an ordinary index bit.
        final X86Format zeroExtended = new X86Format(4, false, 52, true);
        expectTranslation(zeroExtended, 0x0000_8000_4041_2345L, READ, 0x8021_2345L, 21, Permissions.ALL);
        expectFault(zeroExtended, 0xFFFF_8000_0000_0000L, READ, WalkFault.ADDRESS_WIDTH, 3);
    }
}
