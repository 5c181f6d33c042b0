package org.iommuemu.emulator.vtd;

import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.iommuemu.emulator.cache.CoherenceOracle;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property-based test of the VT-d model's caches (context cache, IOTLB, walk caches) in legacy mode against a
 * 4-level second-stage table: random sequences of maps and unmaps done without invalidation, page-selective IOTLB
 * invalidations (one 4 KiB page each, or an aligned block) and global invalidations through the invalidation
 * queue, and DMA (the same oracle as the AMD-Vi property, {@link CoherenceOracle}). Hardware may cache any translation the
 * tables held at some moment since the last invalidation that covered the page, and nothing else: so a DMA's
 * answer must be one the tables gave for that page since its last invalidation (a stale translation from before an
 * invalidation, or one the tables never held, fails), and a DMA may fault only if the page was unmapped at some
 * moment since then (faults are not cached).
 */
class VtdCacheCoherenceProperties
{
    /** A fresh machine per try. */
    private static final class Bed extends VtdTestBed
    {
    }

    private static final long WINDOW = 0x4000_0000L;
    private static final int PAGES = 1024;
    private static final long PA_BASE = 0x8_0000_0000L;

    enum Kind
    {
        MAP_LARGEST, MAP_4K, UNMAP, INVALIDATE_PAGES, INVALIDATE_ALL, DMA, DMA_BURST
    }

    record Op(Kind kind, int start, int count, int paShift)
    {
        int pages()
        {
            return Math.max(1, Math.min(count, PAGES - start));
        }
    }

    @Provide
    Arbitrary<List<Op>> operations()
    {
        final Arbitrary<Integer> start = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.integers().between(0, PAGES - 1)),
            Tuple.of(2, Arbitraries.of(0, 512)));
        final Arbitrary<Integer> count = Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.integers().between(1, 16)),
            Tuple.of(1, Arbitraries.of(512, 1024)));
        return Combinators.combine(Arbitraries.frequencyOf(
                Tuple.of(2, Arbitraries.of(Kind.MAP_LARGEST, Kind.MAP_4K, Kind.UNMAP)),
                Tuple.of(1, Arbitraries.of(Kind.INVALIDATE_PAGES, Kind.INVALIDATE_ALL)),
                Tuple.of(4, Arbitraries.of(Kind.DMA, Kind.DMA_BURST))),
                start, count, Arbitraries.of(0, 512, 2048, 7))
            .as(Op::new).list().ofMinSize(1).ofMaxSize(60);
    }

    @Property(tries = 120)
    void aDmaAnswerIsOneTheTablesGaveSinceTheLastInvalidation(@ForAll("operations") final List<Op> operations)
    {
        final Bed bed = new Bed();
        bed.bringUp(false);
        final PageTable domain = bed.secondStage(4);
        bed.driver.attachLegacy(VtdTestBed.DEVICE, domain, VtdTestBed.DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        final CoherenceOracle oracle = new CoherenceOracle(PAGES);
        int step = 0;
        for (final Op op : operations)
        {
            step++;
            final int pages = op.pages();
            final long iova = WINDOW + ((long)op.start() << 12);
            final String where = "step " + step + " " + op;
            switch (op.kind())
            {
                case MAP_LARGEST, MAP_4K ->
                {
                    final long pa = PA_BASE + ((long)(op.start() + op.paShift()) << 12);
                    final MapStatus status = domain.map(iova, pa, (long)pages << 12, Permissions.READ_WRITE,
                        op.kind() == Kind.MAP_4K ? PageSizePolicy.FORCED_4K : PageSizePolicy.LARGEST);
                    if (status == MapStatus.OK)
                    {
                        for (int i = 0; i < pages; i++)
                        {
                            oracle.tables(op.start() + i, pa + ((long)i << 12));
                        }
                    }
                }
                case UNMAP ->
                {
                    assertEquals(MapStatus.OK, domain.unmap(iova, (long)pages << 12), where);
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        oracle.tables(i, CoherenceOracle.UNMAPPED);
                    }
                }
                case INVALIDATE_PAGES ->
                {
                    // Page-selective invalidation of the aligned block of 2^mask pages around the range's first page.
                    final int mask = pages >= 512 ? 9 : pages >= 8 ? 3 : 0;
                    final int first = op.start() & ~((1 << mask) - 1);
                    assertTrue(bed.driver.invalidateIotlbPages(VtdTestBed.DOMAIN, WINDOW + ((long)first << 12), mask), where);
                    for (int i = first; i < Math.min(PAGES, first + (1 << mask)); i++)
                    {
                        oracle.invalidated(i);
                    }
                }
                case INVALIDATE_ALL ->
                {
                    bed.driver.invalidateAll();
                    oracle.invalidatedAll();
                }
                case DMA -> check(bed, op.start(), op.paShift() == 7, oracle, where);
                case DMA_BURST ->
                {
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        check(bed, i, (i & 1) == 0, oracle, where);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    private static void check(final Bed bed, final int page, final boolean write, final CoherenceOracle oracle, final String where)
    {
        final long iova = WINDOW + ((long)page << 12) + 0x40;
        final boolean ok = bed.dma(VtdTestBed.DEVICE, iova, write);
        oracle.check(page, ok, ok ? bed.outcome.outputAddress() - 0x40 : CoherenceOracle.UNMAPPED, where);
    }
}
