package org.iommuemu.rmp;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based tests of the RMP state machine: random sequences of RMPUPDATE (any size, assignment, ASID, GPA,
 * Immutable), PSMASH, PVALIDATE and RMPADJUST over two 2 MiB regions. After every step no entry is in a state the
 * specification forbids, and every refused instruction (any return code but SUCCESS, or a fault) has left every
 * RMP entry of both regions exactly as it was.
 * <p>
 * The forbidden states checked: a 2 MiB entry (Page_Size 1) with any other page of its region assigned; a
 * subpage count (the firmware's hpage_region_status) that differs from the assigned pages counted by scanning;
 * an unassigned entry with an ASID, Validated, VMSA or a VMPL permission; an assigned 2 MiB entry whose GPA is not
 * 2 MiB aligned.
 */
class RmpStateMachineProperties
{
    private static final long REGION = RmpTable.PAGE_2M;
    private static final long FIRST = 0x0020_0000L;
    private static final int REGIONS = 2;

    enum Kind
    {
        UPDATE_4K, UPDATE_2M, UPDATE_SHARED, PSMASH, PVALIDATE, RESCIND, ADJUST, UPDATE_ODD
    }

    record Op(Kind kind, int region, int page, int asid, int gpaPage, boolean immutable)
    {
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        final Arbitrary<Integer> page = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.of(0, 1, 2, 511)),
            Tuple.of(1, Arbitraries.integers().between(0, RmpTable.PAGES_PER_2M - 1)));
        final Arbitrary<Integer> gpaPage = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.of(0, 512, 1024)),
            Tuple.of(1, Arbitraries.integers().between(0, 4096)));
        return Combinators.combine(Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.of(Kind.UPDATE_4K, Kind.UPDATE_2M, Kind.UPDATE_SHARED)),
                Tuple.of(2, Arbitraries.of(Kind.PSMASH, Kind.PVALIDATE, Kind.RESCIND, Kind.ADJUST)),
                Tuple.of(1, Arbitraries.of(Kind.UPDATE_ODD))),
                Arbitraries.integers().between(0, REGIONS - 1), page, Arbitraries.of(0, 1, 2, 1024), gpaPage,
                Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.just(false)), Tuple.of(1, Arbitraries.just(true))))
            .as(Op::new).list().ofMinSize(1).ofMaxSize(40);
    }

    @Property(tries = 150)
    void noSequenceReachesAForbiddenStateAndRefusalsChangeNothing(@ForAll("operations") final List<Op> operations)
    {
        final RmpFixture rmp = new RmpFixture();
        final GuestRmpResult guest = new GuestRmpResult();
        int step = 0;
        for (final Op op : operations)
        {
            step++;
            final long regionBase = FIRST + op.region() * REGION;
            final long spa = regionBase + ((long)op.page() << RmpTable.PAGE_4K_LG2);
            final long gpa = (long)op.gpaPage() << RmpTable.PAGE_4K_LG2;
            final long[] before = snapshot(rmp);
            final boolean success;
            switch (op.kind())
            {
                case UPDATE_4K -> success = update(rmp, spa, gpa, 1, 0, op.asid(), op.immutable());
                case UPDATE_2M -> success = update(rmp, regionBase + (op.page() == 1 ? 0x1000 : 0), gpa, 1, 1, op.asid(), op.immutable());
                case UPDATE_SHARED -> success = update(rmp, op.page() == 2 ? regionBase : spa, 0, 0, op.page() == 2 ? 1 : 0, 0, false);
                case UPDATE_ODD -> success = update(rmp, spa + (op.page() & 7), gpa | (op.page() & 1), op.asid() > 1 ? 2 : 1,
                    op.asid() & 1, op.asid(), false);
                case PSMASH -> success = rmp.instructions.psmash(op.page() == 1 ? spa : regionBase) == RmpReturnCode.SUCCESS;
                case PVALIDATE, RESCIND -> success = ok(rmp.guest.pvalidate(spa, gpa, op.asid(), op.page() & 1,
                    op.immutable() ? 1 : 0, op.kind() == Kind.PVALIDATE, guest));
                case ADJUST -> success = ok(rmp.guest.rmpadjust(spa, gpa, op.asid(), 0, 0,
                    GuestRmpInstructions.adjustAttributes(1 + (op.page() & 3), op.gpaPage() & 0xFF, op.immutable()), guest));
                default -> throw new IllegalStateException();
            }
            if (!success)
            {
                assertArrayEquals(before, snapshot(rmp), "step " + step + " " + op + " was refused but changed the RMP");
            }
            checkInvariants(rmp, "step " + step + " " + op);
        }
    }

    private static boolean ok(final GuestRmpResult result)
    {
        return result.isOk() && result.returnCode() == RmpReturnCode.SUCCESS;
    }

    private static boolean update(final RmpFixture rmp, final long spa, final long gpa, final int assigned, final int pageSize,
        final int asid, final boolean immutable)
    {
        rmp.state.clear().gpa(gpa).assigned(assigned).pageSize(pageSize).asid(asid).immutable(immutable ? 1 : 0);
        return rmp.instructions.rmpupdate(spa, rmp.state) == RmpReturnCode.SUCCESS;
    }

    /** Both quadwords of every entry of the regions. */
    private static long[] snapshot(final RmpFixture rmp)
    {
        final long[] entries = new long[REGIONS * RmpTable.PAGES_PER_2M * 2];
        for (int i = 0; i < REGIONS * RmpTable.PAGES_PER_2M; i++)
        {
            final long address = rmp.table.entryAddress(FIRST + ((long)i << RmpTable.PAGE_4K_LG2));
            entries[2 * i] = rmp.memory.readEntry(address);
            entries[2 * i + 1] = rmp.memory.readEntry(address + RmpEntry.QUADWORD1_OFFSET);
        }
        return entries;
    }

    private static void checkInvariants(final RmpFixture rmp, final String where)
    {
        for (int region = 0; region < REGIONS; region++)
        {
            final long base = FIRST + region * REGION;
            final long regionQ0 = rmp.memory.readEntry(rmp.table.entryAddress(base));
            final int scanned = rmp.table.countAssignedSubpagesByScan(base);
            assertEquals(scanned, RmpEntry.subpageCountOf(regionQ0), where + ": subpage count of region " + region);
            if (RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M)
            {
                assertEquals(0, scanned, where + ": a 2 MiB entry with other pages of its region assigned");
                if (RmpEntry.isAssigned(regionQ0))
                {
                    assertEquals(0, RmpEntry.gpaOf(regionQ0) & (REGION - 1), where + ": assigned 2 MiB entry with a 4K-aligned GPA");
                }
            }
            for (int page = 0; page < RmpTable.PAGES_PER_2M; page++)
            {
                final long address = rmp.table.entryAddress(base + ((long)page << RmpTable.PAGE_4K_LG2));
                final long q0 = rmp.memory.readEntry(address);
                final long q1 = rmp.memory.readEntry(address + RmpEntry.QUADWORD1_OFFSET);
                if (!RmpEntry.isAssigned(q0))
                {
                    assertTrue(RmpEntry.asidOf(q0) == 0 && !RmpEntry.isValidated(q0) && !RmpEntry.isVmsa(q0) && q1 == 0,
                        where + ": unassigned page " + page + " of region " + region + " holds guest state: " +
                        Long.toHexString(q0) + " " + Long.toHexString(q1));
                }
            }
        }
    }
}
