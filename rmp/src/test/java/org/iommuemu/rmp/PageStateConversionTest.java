package org.iommuemu.rmp;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.iommuemu.rmp.RmpReturnCode.SUCCESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageStateConversionTest
{
    private static final long REGION = 0x0400_0000L;
    private static final long GPA = 0x0_4000_0000L;

    private final RmpFixture f = new RmpFixture();

    @Test
    void makePrivate4kInsideAPrivate2mEntryPsmashesFirst()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_2M);
        // Guest asks to make page 9 shared: KVM PSMASHes, then RMPUPDATEs the 4K entry.
        assertEquals(SUCCESS, f.conversion.makeShared(REGION + 0x9000, PAGE_SIZE_4K));
        assertEquals(PAGE_SIZE_4K, f.entry(REGION).pageSize());
        assertFalse(f.entry(REGION + 0x9000).assigned());
        assertTrue(f.entry(REGION + 0xA000).validated(), "neighbours keep Validated through PSMASH");
        assertEquals(510, f.entry(REGION).subpageCount());
        assertEquals(510, f.table.countAssignedSubpagesByScan(REGION));
        // And back to private: 4K update, no PSMASH needed any more; Validated is clear until PVALIDATE.
        assertEquals(SUCCESS, f.conversion.makePrivate(REGION + 0x9000, GPA + 0x9000, ASID, PAGE_SIZE_4K));
        assertFalse(f.entry(REGION + 0x9000).validated());
        assertEquals(511, f.entry(REGION).subpageCount());
    }

    @Test
    void makePrivate4kInsideASharedHypervisor2mEntryPsmashesFirst()
    {
        assertEquals(SUCCESS, f.conversion.makeShared(REGION, PAGE_SIZE_2M));
        assertEquals(PAGE_SIZE_2M, f.entry(REGION).pageSize());
        assertEquals(SUCCESS, f.conversion.makePrivate(REGION + 0x3000, GPA + 0x3000, ASID, PAGE_SIZE_4K));
        assertEquals(PAGE_SIZE_4K, f.entry(REGION).pageSize());
        assertTrue(f.entry(REGION + 0x3000).assigned());
        assertEquals(1, f.entry(REGION).subpageCount());
    }

    @Test
    void remergeTo2mSucceedsOnceEveryOtherPageIsShared()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_2M);
        assertEquals(SUCCESS, f.instructions.psmash(REGION));
        // While any subpage is private the 2M update overlaps.
        assertEquals(RmpReturnCode.FAIL_OVERLAP, f.conversion.makePrivate(REGION, GPA, ASID, PAGE_SIZE_2M));
        assertEquals(SUCCESS, f.conversion.makeSharedRange(REGION + 0x1000, RmpTable.PAGES_PER_2M - 1));
        assertEquals(0, f.entry(REGION).subpageCount());
        assertEquals(0, f.table.countAssignedSubpagesByScan(REGION));
        assertEquals(SUCCESS, f.conversion.makePrivate(REGION, GPA, ASID, PAGE_SIZE_2M));
        assertEquals(PAGE_SIZE_2M, f.entry(REGION).pageSize());
        assertFalse(f.entry(REGION).validated(), "the merged page must be PVALIDATEd again");
        f.guest.pvalidate(REGION, GPA, ASID, 0, PAGE_SIZE_2M, true, f.result);
        assertEquals(SUCCESS, f.result.returnCode());
    }

    @Test
    void makeSharedRangeUsesOne2mUpdateForAWhole2mEntry()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        f.counter.reset();
        assertEquals(SUCCESS, f.conversion.makeSharedRange(REGION, RmpTable.PAGES_PER_2M));
        assertEquals(PAGE_SIZE_2M, f.entry(REGION).pageSize());
        assertFalse(f.entry(REGION).assigned());
        assertTrue(f.counter.writes <= 2, "no PSMASH: " + f.counter.writes + " writes");
    }

    @Test
    void makeSharedRangeOverPartOfA2mEntryPsmashes()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        assertEquals(SUCCESS, f.conversion.makeSharedRange(REGION + 0x10_0000, 16));
        assertEquals(PAGE_SIZE_4K, f.entry(REGION).pageSize());
        assertEquals(511 - 16, f.entry(REGION).subpageCount());
        assertFalse(f.entry(REGION + 0x10_F000).assigned());
        assertTrue(f.entry(REGION + 0x11_0000).assigned());
    }

    @Test
    void conversionFailuresComeBackAsCodes()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        f.table.markInUse(REGION, true);
        assertEquals(RmpReturnCode.FAIL_INUSE, f.conversion.makeShared(REGION + 0x1000, PAGE_SIZE_4K));
        assertEquals(PAGE_SIZE_2M, f.entry(REGION).pageSize());
    }

    /** The subpage count the instructions keep equals a brute-force scan after any sequence of operations. */
    @Test
    void subpageCountMatchesTheScanUnderRandomOperations()
    {
        final Random random = new Random(0x5EED_0001L);
        final int regions = 3;
        for (int step = 0; step < 4000; step++)
        {
            final long region = REGION + (random.nextInt(regions) * RmpTable.PAGE_2M);
            final long page = region + ((long)random.nextInt(RmpTable.PAGES_PER_2M) << RmpTable.PAGE_4K_LG2);
            final long gpa = GPA + (page - REGION);
            switch (random.nextInt(6))
            {
                case 0 -> f.conversion.makePrivate(page, gpa, ASID, PAGE_SIZE_4K);
                case 1 -> f.conversion.makeShared(page, PAGE_SIZE_4K);
                case 2 -> f.conversion.makePrivate(region, GPA + (region - REGION), ASID, PAGE_SIZE_2M);
                case 3 -> f.conversion.makeShared(region, PAGE_SIZE_2M);
                case 4 -> f.instructions.psmash(region);
                default -> f.update(page, random.nextBoolean() ? gpa : 0, random.nextInt(2), random.nextInt(2),
                    random.nextBoolean() ? ASID : 0);
            }
            if (step % 97 == 0 || step > 3990)
            {
                for (int i = 0; i < regions; i++)
                {
                    final long r = REGION + i * RmpTable.PAGE_2M;
                    final RmpEntry head = f.entry(r);
                    assertEquals(f.table.countAssignedSubpagesByScan(r), head.subpageCount(), "step " + step);
                    if (head.pageSize() == PAGE_SIZE_2M)
                    {
                        assertEquals(0, head.subpageCount(), "a 2M entry never sits over assigned 4K entries");
                    }
                }
            }
        }
    }
}
