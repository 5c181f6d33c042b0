package org.iommuemu.rmp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.iommuemu.rmp.RmpReturnCode.FAIL_INPUT;
import static org.iommuemu.rmp.RmpReturnCode.FAIL_INUSE;
import static org.iommuemu.rmp.RmpReturnCode.FAIL_OVERLAP;
import static org.iommuemu.rmp.RmpReturnCode.FAIL_PERMISSION;
import static org.iommuemu.rmp.RmpReturnCode.SUCCESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RmpInstructionsTest
{
    private static final long REGION = 0x0040_0000L;
    private static final long GPA = 0x1_0000_0000L;

    private final RmpFixture f = new RmpFixture();

    // ---------------------------------------------------------------- RMPUPDATE

    @Test
    void rmpupdateAssigns4kPageAndGivesVmpl0FullPermissions()
    {
        f.entry(REGION + 0x3000).validated(true).vmsa(true).vmplPermissions(2, 0x1F);
        assertEquals(SUCCESS, f.update(REGION + 0x3000, GPA + 0x3000, 1, PAGE_SIZE_4K, ASID));
        final RmpEntry e = f.entry(REGION + 0x3000);
        // Literal: q0 = ASID 7 << 51 | GPA 0x1_0000_3000 | Assigned, q1 = VMPL0 0x0F.
        assertEquals((7L << 51) | 0x1_0000_3000L | 1, e.quadword0());
        assertEquals(0x0FL, e.quadword1());
        assertFalse(e.validated(), "RMPUPDATE clears Validated");
        assertEquals(1, f.entry(REGION).subpageCount(), "subpage count kept in the 2M-aligned entry");
    }

    @Test
    void rmpupdateSharedWritesAZeroEntryAndDropsTheSubpageCount()
    {
        f.update(REGION + 0x3000, GPA, 1, PAGE_SIZE_4K, ASID);
        f.update(REGION + 0x4000, GPA, 1, PAGE_SIZE_4K, ASID);
        assertEquals(SUCCESS, f.update(REGION + 0x3000, 0, 0, PAGE_SIZE_4K, 0));
        assertEquals(0, f.entry(REGION + 0x3000).quadword0());
        assertEquals(0, f.entry(REGION + 0x3000).quadword1());
        assertEquals(1, f.entry(REGION).subpageCount());
        // Re-sharing a shared page changes no count.
        assertEquals(SUCCESS, f.update(REGION + 0x3000, 0, 0, PAGE_SIZE_4K, 0));
        assertEquals(1, f.entry(REGION).subpageCount());
    }

    @Test
    void rmpupdate2mAssignsTheAlignedEntryOnly()
    {
        assertEquals(SUCCESS, f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID));
        assertEquals((7L << 51) | GPA | RmpEntry.PAGE_SIZE_MASK | 1, f.entry(REGION).quadword0());
        assertEquals(0, f.entry(REGION + 0x1000).quadword0());
        assertEquals(f.table.entryAddress(REGION), f.table.authoritativeEntryAddress(REGION + 0x1F_F000));
    }

    @Test
    void rmpupdateFailInputCases()
    {
        assertEquals(FAIL_INPUT, f.update(REGION + 0x10, GPA, 1, PAGE_SIZE_4K, ASID), "SPA not 4K aligned");
        assertEquals(FAIL_INPUT, f.update(REGION + 0x1000, GPA, 1, PAGE_SIZE_2M, ASID), "2M SPA not 2M aligned");
        assertEquals(FAIL_INPUT, f.update(REGION, GPA + 0x1000, 1, PAGE_SIZE_2M, ASID), "2M GPA not 2M aligned");
        assertEquals(FAIL_INPUT, f.update(REGION, GPA + 0x10, 1, PAGE_SIZE_4K, ASID), "GPA not 4K aligned");
        assertEquals(FAIL_INPUT, f.update(REGION, RmpEntry.GPA_LIMIT, 1, PAGE_SIZE_4K, ASID), "GPA too wide");
        assertEquals(FAIL_INPUT, f.update(REGION, GPA, 2, PAGE_SIZE_4K, ASID), "assigned byte 2");
        assertEquals(FAIL_INPUT, f.update(REGION, GPA, 1, 2, ASID), "page size byte 2");
        assertEquals(FAIL_INPUT, f.update(REGION, GPA, 1, PAGE_SIZE_4K, RmpEntry.MAX_ASID + 1), "ASID too wide");
        assertEquals(FAIL_INPUT, f.update(REGION, 0, 0, PAGE_SIZE_4K, ASID), "ASID on a shared state");
        assertEquals(FAIL_INPUT, f.update(RmpFixture.COVERED, GPA, 1, PAGE_SIZE_4K, ASID), "not RMP-covered");
        f.state.clear().gpa(GPA).assigned(1).asid(ASID).reserved(1);
        assertEquals(FAIL_INPUT, f.instructions.rmpupdate(REGION, f.state), "reserved byte");
        f.state.clear().gpa(GPA).assigned(1).asid(ASID).immutable(2);
        assertEquals(FAIL_INPUT, f.instructions.rmpupdate(REGION, f.state), "immutable byte 2");
        assertEquals(0, f.entry(REGION).quadword0(), "no failure wrote the entry");
    }

    @Test
    void rmpupdateFailPermissionOnImmutableEntry()
    {
        f.state.clear().gpa(GPA).assigned(1).immutable(1).asid(ASID);
        assertEquals(SUCCESS, f.instructions.rmpupdate(REGION + 0x5000, f.state));
        assertEquals(FAIL_PERMISSION, f.update(REGION + 0x5000, 0, 0, PAGE_SIZE_4K, 0));
        assertTrue(f.entry(REGION + 0x5000).assigned());
    }

    @Test
    void rmpupdateFailInuseOnLockedEntry()
    {
        f.table.markInUse(REGION + 0x6000, true);
        assertEquals(FAIL_INUSE, f.update(REGION + 0x6000, GPA, 1, PAGE_SIZE_4K, ASID));
        f.table.markInUse(REGION + 0x6000, false);
        assertEquals(SUCCESS, f.update(REGION + 0x6000, GPA, 1, PAGE_SIZE_4K, ASID));
    }

    @Test
    void rmpupdateFailOverlap2mOverAssigned4k()
    {
        assertEquals(SUCCESS, f.update(REGION + 0x1F_F000, GPA, 1, PAGE_SIZE_4K, ASID));
        assertEquals(FAIL_OVERLAP, f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID));
        assertEquals(FAIL_OVERLAP, f.update(REGION, 0, 0, PAGE_SIZE_2M, 0), "even a shared 2M entry");
        // The aligned page's own entry is the one being rewritten: it does not count.
        assertEquals(SUCCESS, f.update(REGION + 0x1F_F000, 0, 0, PAGE_SIZE_4K, 0));
        assertEquals(SUCCESS, f.update(REGION, GPA, 1, PAGE_SIZE_4K, ASID));
        assertEquals(SUCCESS, f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID));
    }

    @Test
    void rmpupdateFailOverlap4kInsideA2mEntry()
    {
        assertEquals(SUCCESS, f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID));
        assertEquals(FAIL_OVERLAP, f.update(REGION + 0x1000, 0, 0, PAGE_SIZE_4K, 0));
        assertEquals(FAIL_OVERLAP, f.update(REGION, 0, 0, PAGE_SIZE_4K, 0), "aligned page of an assigned 2M entry");
        // A shared 2M entry may be resized at its aligned page, not written inside.
        assertEquals(SUCCESS, f.update(REGION, 0, 0, PAGE_SIZE_2M, 0));
        assertEquals(FAIL_OVERLAP, f.update(REGION + 0x1000, GPA, 1, PAGE_SIZE_4K, ASID));
        assertEquals(SUCCESS, f.update(REGION, GPA, 1, PAGE_SIZE_4K, ASID));
        assertEquals(PAGE_SIZE_4K, f.entry(REGION).pageSize());
    }

    // ---------------------------------------------------------------- PSMASH

    @Test
    void psmashSplitsA2mEntryPreservingValidatedAndPermissions()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_2M);
        f.entry(REGION).vmplPermissions(1, RmpEntry.PERMISSION_READ);
        final long q1 = f.entry(REGION).quadword1();
        assertEquals(SUCCESS, f.instructions.psmash(REGION));
        for (int i = 0; i < RmpTable.PAGES_PER_2M; i++)
        {
            final RmpEntry e = f.entry(REGION + ((long)i << 12));
            assertTrue(e.assigned());
            assertEquals(PAGE_SIZE_4K, e.pageSize());
            assertTrue(e.validated(), "PSMASH preserves Validated");
            assertEquals(ASID, e.asid());
            assertEquals(GPA + ((long)i << 12), e.gpa());
            assertEquals(q1, e.quadword1());
            assertEquals(i == 0 ? 511 : 0, e.subpageCount());
        }
        assertEquals(511, f.table.countAssignedSubpagesByScan(REGION));
        // Literal of page 5's entry: Validated | ASID 7 | GPA + 0x5000 | Assigned.
        assertEquals((1L << 62) | (7L << 51) | (GPA + 0x5000) | 1, f.entry(REGION + 0x5000).quadword0());
    }

    @Test
    void psmashOfASharedEntryLeavesGpasZero()
    {
        assertEquals(SUCCESS, f.update(REGION, 0, 0, PAGE_SIZE_2M, 0));
        assertEquals(SUCCESS, f.instructions.psmash(REGION));
        assertEquals(0, f.entry(REGION).quadword0());
        assertEquals(0, f.entry(REGION + 0x1F_F000).quadword0());
    }

    @Test
    void psmashCostsTwoReadsAndOneThousandTwentyThreeWrites()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        f.counter.reset();
        assertEquals(SUCCESS, f.instructions.psmash(REGION));
        // 511 x (q0, q1) for the other pages, plus the aligned q0 (its q1 is unchanged).
        assertEquals(2 * RmpTable.PAGES_PER_2M - 1, f.counter.writes);
        assertEquals(2, f.counter.reads);
    }

    @Test
    void psmashFailures()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        assertEquals(FAIL_INPUT, f.instructions.psmash(REGION + 0x1000), "not 2M aligned");
        assertEquals(FAIL_INPUT, f.instructions.psmash(RmpFixture.COVERED), "not covered");
        f.table.markInUse(REGION, true);
        assertEquals(FAIL_INUSE, f.instructions.psmash(REGION));
        f.table.markInUse(REGION, false);
        assertEquals(SUCCESS, f.instructions.psmash(REGION));
        assertEquals(RmpReturnCode.FAIL_BADADDR_OBSERVED, f.instructions.psmash(REGION), "already 4K: default 7");
    }

    @ParameterizedTest
    @EnumSource(RmpConfig.PsmashSmallEntryCode.class)
    void psmashSmallEntryCodeIsSwitchable(final RmpConfig.PsmashSmallEntryCode choice)
    {
        final RmpFixture g = new RmpFixture(RmpConfig.DEFAULT.withPsmashSmallEntryCode(choice));
        assertEquals(choice.code(), g.instructions.psmash(REGION));
        assertEquals(0, g.entry(REGION).quadword0());
    }

    // ---------------------------------------------------------------- RMPREAD

    @Test
    void rmpreadReportsTheGoverningEntry()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[RmpReadEntry.LENGTH]);
        final RmpReadEntry out = new RmpReadEntry().wrap(buffer, 0);

        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        assertEquals(SUCCESS, f.instructions.rmpread(REGION + 0x7000, out));
        assertTrue(out.assigned());
        assertEquals(PAGE_SIZE_2M, out.pageSize());
        assertEquals(GPA, out.gpa());
        assertEquals(ASID, out.asid());
        assertFalse(out.hpageRegionStatus());

        f.instructions.psmash(REGION);
        f.conversion.makeShared(REGION + 0x7000, PAGE_SIZE_4K);
        assertEquals(SUCCESS, f.instructions.rmpread(REGION + 0x7000, out));
        assertFalse(out.assigned());
        assertEquals(PAGE_SIZE_4K, out.pageSize());
        assertTrue(out.hpageRegionStatus(), "other pages of the region are assigned");
        assertEquals(SUCCESS, f.instructions.rmpread(REGION + 0x8000, out));
        assertTrue(out.assigned());
        assertEquals(GPA + 0x8000, out.gpa());

        buffer.setMemory(0, 16, (byte)0x5A);
        assertEquals(FAIL_INPUT, f.instructions.rmpread(RmpFixture.COVERED, out));
        assertEquals(0x5A5A5A5A, out.asid(), "output untouched on failure");
    }
}
