package org.iommuemu.emulator.vtd;

import java.util.List;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.iommuemu.emulator.cache.CoherenceOperations;
import org.iommuemu.emulator.cache.CoherenceOperations.Kind;
import org.iommuemu.emulator.cache.CoherenceOperations.Op;
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
    private static final int PAGES = CoherenceOperations.PAGES;
    private static final long PA_BASE = 0x8_0000_0000L;

    @Provide
    Arbitrary<List<Op>> operations()
    {
        return CoherenceOperations.sequences();
    }

    /** How the device's requests are translated: legacy mode, or scalable mode by the PASID entry's PGTT. */
    enum Mode
    {
        LEGACY, SCALABLE_SECOND_STAGE, FIRST_STAGE, NESTED
    }

    private static final int PASID = 9;

    /** Denser operations: see {@link CoherenceOperations#denseSequences()}. */
    @Provide
    Arbitrary<List<Op>> denseOperations()
    {
        return CoherenceOperations.denseSequences();
    }

    @Property(tries = 120)
    void aDmaAnswerIsOneTheTablesGaveSinceTheLastInvalidation(@ForAll("operations") final List<Op> operations)
    {
        run(Mode.LEGACY, operations);
    }

    /**
     * The same in scalable mode (the PASID cache in front, and for first-stage and nested translation the first-stage
     * walk caches and, nested, the cache of second-stage results): the tables that change are the PASID entry's
     * second stage (PGTT 010b, requests without a PASID through RID_PASID, invalidated by IOTLB descriptors as Linux
     * does for second-stage domains) or its first stage (PGTT 001b and 011b, requests with a PASID, invalidated by
     * PASID-based IOTLB descriptors, page-selective within the PASID, as Linux's qi_flush_piotlb does); a nested
     * PASID's second stage maps the guest's tables and pages one to one and does not change.
     */
    @Property(tries = 60)
    void scalableModeToo(@ForAll("denseOperations") final List<Op> operations, @ForAll final Mode mode)
    {
        run(mode, operations);
    }

    private static void run(final Mode mode, final List<Op> operations)
    {
        final Bed bed = new Bed();
        bed.bringUp(mode != Mode.LEGACY);
        final boolean firstStage = mode == Mode.FIRST_STAGE || mode == Mode.NESTED;
        final PageTable domain = firstStage ? bed.firstStage() : bed.secondStage(4);
        final int permissions = firstStage ? Permissions.READ_WRITE | Permissions.USER : Permissions.READ_WRITE;
        switch (mode)
        {
            case LEGACY -> bed.driver.attachLegacy(VtdTestBed.DEVICE, domain, VtdTestBed.DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
            case SCALABLE_SECOND_STAGE ->
            {
                bed.driver.setScalableContext(VtdTestBed.DEVICE, 0, false, false, false, 0);
                bed.driver.attachSecondStage(VtdTestBed.DEVICE, 0, domain, VtdTestBed.DOMAIN);
            }
            case FIRST_STAGE ->
            {
                bed.driver.setScalableContext(VtdTestBed.DEVICE, 0, true, false, false, 0);
                bed.driver.attachFirstStage(VtdTestBed.DEVICE, PASID, domain.root(), 4, VtdTestBed.DOMAIN, false, false);
            }
            case NESTED ->
            {
                // The second stage maps the first stage's tables (in the domain pool) and its outputs one to one.
                final PageTable secondStage = bed.secondStage(4);
                VtdTestBed.map(secondStage, VtdTestBed.DOMAIN_POOL, VtdTestBed.DOMAIN_POOL, 256L << 20, Permissions.READ_WRITE);
                VtdTestBed.map(secondStage, PA_BASE, PA_BASE, 64L << 20, Permissions.READ_WRITE);
                bed.driver.setScalableContext(VtdTestBed.DEVICE, 0, true, false, false, 0);
                bed.driver.attachNested(VtdTestBed.DEVICE, PASID, domain.root(), 4, secondStage, VtdTestBed.DOMAIN, false, false);
            }
            default -> throw new IllegalStateException();
        }
        final CoherenceOracle oracle = new CoherenceOracle(PAGES);
        final long[] words = new long[2];
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
                    final MapStatus status = domain.map(iova, pa, (long)pages << 12, permissions,
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
                    final long address = WINDOW + ((long)first << 12);
                    if (firstStage)
                    {
                        InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PAGE, VtdTestBed.DOMAIN, PASID, address,
                            mask, false);
                        bed.driver.submit(words);
                        assertTrue(bed.driver.waitForCompletion(false), where);
                    }
                    else
                    {
                        assertTrue(bed.driver.invalidateIotlbPages(VtdTestBed.DOMAIN, address, mask), where);
                    }
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
                case DMA -> check(bed, firstStage, op.start(), op.paShift() == 7, oracle, where);
                case DMA_BURST ->
                {
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        check(bed, firstStage, i, (i & 1) == 0, oracle, where);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    private static void check(final Bed bed, final boolean withPasid, final int page, final boolean write,
        final CoherenceOracle oracle, final String where)
    {
        final long iova = WINDOW + ((long)page << 12) + 0x40;
        final boolean ok = withPasid ? bed.dma(VtdTestBed.DEVICE, PASID, iova, write ? Permissions.WRITE : Permissions.READ, false) :
            bed.dma(VtdTestBed.DEVICE, iova, write);
        oracle.check(page, ok, ok ? bed.outcome.outputAddress() - 0x40 : CoherenceOracle.UNMAPPED, where);
    }
}
