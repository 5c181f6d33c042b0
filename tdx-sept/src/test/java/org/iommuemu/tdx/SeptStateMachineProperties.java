package org.iommuemu.tdx;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based tests of the S-EPT state machine: random sequences of the memory SEAMCALLs (SEPT.ADD, PAGE.AUG at
 * 4 KiB and 2 MiB, RANGE.BLOCK, TRACK, RANGE.UNBLOCK, PAGE.REMOVE, SEPT.REMOVE, PAGE.DEMOTE, PAGE.PROMOTE, the
 * guest's ACCEPT and PHYMEM.PAGE.RECLAIM) over a few GPAs of one 2 MiB range and a small pool of pages. After
 * every call: every S-EPT entry is in a legal state; every entry that maps something points at a page the PAMT
 * gives to this TD with the right type (a private page for a leaf, an S-EPT page for a non-leaf); no page is
 * mapped at two GPAs or levels. A refused call (any status but success) leaves every S-EPT entry of those GPAs
 * and every PAMT record of the pool exactly as they were.
 */
class SeptStateMachineProperties
{
    private static final long REGION_GPA = 0x20_0000L;
    private static final long[] GPAS = {REGION_GPA, REGION_GPA + 0x1000, REGION_GPA + 0x2000, REGION_GPA + 0x1F_F000L};
    private static final int POOL = 12;

    enum Kind
    {
        SEPT_ADD, AUG, AUG_2M, BLOCK, UNBLOCK, TRACK, REMOVE, SEPT_REMOVE, DEMOTE, PROMOTE, ACCEPT, RECLAIM
    }

    record Op(Kind kind, int gpa, int level, int page)
    {
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        return Combinators.combine(Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(Kind.SEPT_ADD, Kind.AUG, Kind.ACCEPT)),
                Tuple.of(2, Arbitraries.of(Kind.BLOCK, Kind.TRACK, Kind.UNBLOCK, Kind.REMOVE)),
                Tuple.of(1, Arbitraries.of(Kind.AUG_2M, Kind.SEPT_REMOVE, Kind.DEMOTE, Kind.PROMOTE, Kind.RECLAIM))),
                Arbitraries.integers().between(0, GPAS.length - 1), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, POOL - 1))
            .as(Op::new).list().ofMinSize(1).ofMaxSize(40);
    }

    private static long poolPage(final int i)
    {
        return TdxTestBed.DATA_PAGES + 0x1000L * i;
    }

    @Property(tries = 200)
    void noSequenceReachesAForbiddenStateAndRefusalsChangeNothing(@ForAll("operations") final List<Op> operations)
    {
        final TdxTestBed bed = new TdxTestBed();
        bed.finalizeTd();
        final TdxModule module = bed.module;
        int step = 0;
        for (final Op op : operations)
        {
            step++;
            final long gpa = GPAS[op.gpa()];
            final long page = poolPage(op.page());
            final long[] before = snapshot(bed);
            final SeamcallResult out = switch (op.kind())
            {
                case SEPT_ADD -> module.septAdd(info(gpa & ~((1L << (12 + 9 * op.level())) - 1), Math.max(1, op.level())), TDR,
                    bed.nextSeptPage(), bed.out);
                case AUG -> module.pageAug(info(gpa, 0), TDR, page, bed.out);
                case AUG_2M -> module.pageAug(info(REGION_GPA, 1), TDR, TdxTestBed.HUGE_PAGE, bed.out);
                case BLOCK -> module.rangeBlock(info(op.level() == 0 ? gpa : REGION_GPA, Math.min(op.level(), 1)), TDR, bed.out);
                case UNBLOCK -> module.rangeUnblock(info(op.level() == 0 ? gpa : REGION_GPA, Math.min(op.level(), 1)), TDR, bed.out);
                case TRACK -> module.track(TDR, bed.out);
                case REMOVE -> module.pageRemove(info(op.level() == 0 ? gpa : REGION_GPA, Math.min(op.level(), 1)), TDR, bed.out);
                case SEPT_REMOVE -> module.septRemove(info(REGION_GPA, 1), TDR, bed.out);
                case DEMOTE -> module.pageDemote(info(REGION_GPA, 1), TDR, bed.nextSeptPage(), bed.out);
                case PROMOTE -> module.pagePromote(info(REGION_GPA, 1), TDR, bed.out);
                case ACCEPT -> module.accept(bed.td, info(op.level() == 0 ? gpa : REGION_GPA, Math.min(op.level(), 1)), bed.out);
                case RECLAIM -> module.reclaim(page, bed.out);
            };
            final String where = "step " + step + " " + op + ": " + out;
            if (!out.isSuccess())
            {
                assertArrayEquals(before, snapshot(bed), where + " was refused but changed the S-EPT or the PAMT");
            }
            checkInvariants(bed, where);
        }
    }

    /** The S-EPT entries of every GPA at levels 0-3 and the PAMT records of the pool and the 2 MiB page. */
    private static long[] snapshot(final TdxTestBed bed)
    {
        final long[] state = new long[GPAS.length * 4 + POOL + 512];
        int i = 0;
        for (final long gpa : GPAS)
        {
            for (int level = 0; level < 4; level++)
            {
                state[i++] = bed.module.septEntry(bed.td, info(gpa & ~((1L << (12 + 9 * level)) - 1), level));
            }
        }
        for (int p = 0; p < POOL; p++)
        {
            state[i++] = bed.module.pamt().record(poolPage(p));
        }
        for (int p = 0; p < 512; p++)
        {
            state[i++] = bed.module.pamt().record(TdxTestBed.HUGE_PAGE + 0x1000L * p);
        }
        return state;
    }

    private static void checkInvariants(final TdxTestBed bed, final String where)
    {
        final Map<Long, String> mappedBy = new HashMap<>();
        final Pamt pamt = bed.module.pamt();
        for (final long gpa : GPAS)
        {
            for (int level = 0; level < 4; level++)
            {
                final long entryGpa = gpa & ~((1L << (12 + 9 * level)) - 1);
                final long entry = bed.module.septEntry(bed.td, info(entryGpa, level));
                assertTrue(SecureEptEntry.isLegalCode(SecureEptEntry.stateCode(entry)), where + ": illegal state of " +
                    Long.toHexString(entryGpa) + " level " + level + ": " + Long.toHexString(entry));
                if (SecureEptEntry.isFree(entry))
                {
                    continue;
                }
                final long hpa = SecureEptEntry.hpa(entry);
                final String name = Long.toHexString(entryGpa) + "/" + level;
                final String other = mappedBy.put(hpa, name);
                assertTrue(other == null || other.equals(name), where + ": page " + Long.toHexString(hpa) + " mapped by " + other +
                    " and " + name);
                if (SecureEptEntry.isMmio(entry))
                {
                    continue;
                }
                final int expected = SecureEptEntry.isLeafState(entry) ? Pamt.PT_REG : Pamt.PT_SEPT;
                assertEquals(expected, pamt.pageType(hpa), where + ": PAMT type of " + Long.toHexString(hpa) + " mapped at " + name);
                assertEquals(bed.td.id(), pamt.owner(hpa), where + ": owner of " + Long.toHexString(hpa) + " mapped at " + name);
            }
        }
    }
}
