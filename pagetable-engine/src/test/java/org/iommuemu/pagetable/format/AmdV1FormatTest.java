package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.Walker;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.iommuemu.pagetable.Permissions.EXECUTE;
import static org.iommuemu.pagetable.Permissions.READ;
import static org.iommuemu.pagetable.Permissions.USER;
import static org.iommuemu.pagetable.Permissions.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** AMD-Vi v1, Mode 3, root at 0x1000; entries written as the spec lays them out (see AmdV1Format). */
class AmdV1FormatTest extends KnownAnswerSupport
{
    private final AmdV1Format mode3 = new AmdV1Format(3);

    @BeforeEach
    void buildTables()
    {
        // Level 2 (top) index 1 -> level 1 table at 0x2000: PR, NextLevel=2, IR|IW.
        entry(0x1008, 0x6000_0000_0000_2401L);
        // Level 1 index 1 -> level 0 table at 0x3000: NextLevel=1.
        entry(0x2008, 0x6000_0000_0000_3201L);
        // Level 0 index 3: 4 KiB page 0xABCDE000, IR and FC, no IW.
        entry(0x3018, 0x3000_0000_ABCD_E001L);
        // Level 0 indices 4..7: a 16 KiB NextLevel=7 page at 0xC0000000 (bit 12 = 1, bit 13 = 0), replicated.
        for (int i = 4; i < 8; i++)
        {
            entry(0x3000 + 8L * i, 0x6000_0000_C000_1E01L);
        }
        // Level 1 index 2: a 2 MiB page (NextLevel=0) at 0x80200000.
        entry(0x2010, 0x6000_0000_8020_0001L);
        // Level 1 index 3: a 2 MiB page written as NextLevel=7 at 0x1_00000000 (bits 19:12 = 1, bit 20 = 0).
        entry(0x2018, 0x6000_0001_000F_FE01L);
        // Level 1 index 4: NextLevel=7 encoding 16 KiB, smaller than a level-1 item: a bad encoding.
        entry(0x2020, 0x6000_0000_C000_1E01L);
        // Level 2 index 3 -> level 0 table at 0x5000, skipping level 1 (NextLevel=1).
        entry(0x1018, 0x6000_0000_0000_5201L);
        entry(0x5028, 0x6000_0000_DEAD_0001L);
    }

    @Test
    void fourKilobytePageWithReadOnlyPermission()
    {
        expectTranslation(mode3, 0x4020_3ABCL, READ, 0xABCD_EABCL, 12, READ | EXECUTE | USER);
        assertEquals(3, result.entryCount());
        assertEquals(0x1008, result.entryAddress(0));
        assertEquals(0x2008, result.entryAddress(1));
        assertEquals(0x3018, result.entryAddress(2));
        expectFault(mode3, 0x4020_3ABCL, WRITE, WalkFault.PERMISSION, 0);
    }

    @Test
    void replicatedSixteenKilobytePage()
    {
        expectTranslation(mode3, 0x4020_6123L, READ | WRITE, 0xC000_2123L, 14, Permissions.ALL);
        expectTranslation(mode3, 0x4020_4000L, READ, 0xC000_0000L, 14, Permissions.ALL);
    }

    @Test
    void twoMegabytePagesBothEncodings()
    {
        expectTranslation(mode3, 0x4041_2345L, WRITE, 0x8021_2345L, 21, Permissions.ALL);
        expectTranslation(mode3, 0x4067_8000L, WRITE, 0x1_0007_8000L, 21, Permissions.ALL);
    }

    @Test
    void encodedSizeSmallerThanTheItemIsABadEncoding()
    {
        expectFault(mode3, 0x4080_0000L, READ, WalkFault.BAD_LEVEL_ENCODING, 1);
    }

    @Test
    void levelSkippingIsRefusedByDefaultAndFollowedWhenAllowed()
    {
        expectFault(mode3, 0xC000_5000L, READ, WalkFault.BAD_LEVEL_ENCODING, 2);
        final AmdV1Format skipping = new AmdV1Format(3, 52, true);
        expectTranslation(skipping, 0xC000_5010L, READ, 0xDEAD_0010L, 12, Permissions.ALL);
        // The skipped level's index bits (29:21) must be zero.
        expectFault(skipping, 0xC020_5000L, READ, WalkFault.NOT_PRESENT, 2);
    }

    @Test
    void notPresentAndBeyondTheModeWidth()
    {
        expectFault(mode3, 0x4000_0000L + (9L << 21), READ, WalkFault.NOT_PRESENT, 1);
        expectFault(mode3, 1L << 39, READ, WalkFault.ADDRESS_WIDTH, 2);
    }

    @Test
    void deviceTablePermissionsAreAndedIn()
    {
        assertFalse(Walker.walk(mode3, memory, ROOT, 0x4041_2345L, WRITE, READ | EXECUTE | USER, result));
        assertEquals(WalkFault.PERMISSION, result.fault());
    }

    @Test
    void buildsEntriesAsLinuxDoes()
    {
        assertEquals(0x6000_0000_0000_2401L, mode3.makeTable(0x2000, 2));
        assertEquals(0x6000_0000_C000_1E01L, mode3.makeLeaf(0xC000_0000L, 14, 0, mode3.attributesFor(READ | WRITE)) & ~AmdV1Format.FC);
        assertEquals(0x7000_0001_000F_FE01L, mode3.makeLeaf(0x1_0000_0000L, 21, 0, mode3.attributesFor(READ | WRITE)));
        assertEquals(14, AmdV1Format.encodedSizeLg2(0x6000_0000_C000_1E01L));
    }
}
