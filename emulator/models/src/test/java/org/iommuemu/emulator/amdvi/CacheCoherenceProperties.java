package org.iommuemu.emulator.amdvi;

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

/**
 * Property-based test of the AMD-Vi model's caches (DTE cache, IOTLB, page-walk caches) against the tables: random
 * sequences of maps and unmaps done without invalidation (as a driver may, for a while), page-range and global
 * invalidations (INVALIDATE_IOMMU_PAGES, INVALIDATE_IOMMU_ALL) and DMA. Hardware may cache any translation the
 * tables held at some moment since the last invalidation that covered the page, and nothing else: so a DMA's
 * answer must be one the tables gave for that page since its last invalidation (a stale translation from before an
 * invalidation, or one the tables never held, fails), and a DMA may fault only if the page was unmapped at some
 * moment since then (faults are not cached).
 */
class CacheCoherenceProperties
{
    /** A fresh machine per try. */
    private static final class Bed extends AmdViTestBed
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

    /** Denser operations: see {@link CoherenceOperations#denseSequences()}. */
    @Provide
    Arbitrary<List<Op>> denseOperations()
    {
        return CoherenceOperations.denseSequences();
    }

    /** Which table the device's requests go through and change. */
    enum Mode
    {
        /** The host (v1) table, requests without a PASID. */
        HOST,
        /** A PASID's guest (x86-64) table with Mode 0 (GV, guest addresses are SPAs). */
        GUEST,
        /** A PASID's guest table nested under a host table that maps the guest's tables and pages one to one. */
        NESTED
    }

    private static final int PASID = 3;

    @Property(tries = 120)
    void aDmaAnswerIsOneTheTablesGaveSinceTheLastInvalidation(@ForAll("operations") final List<Op> operations)
    {
        run(Mode.HOST, operations);
    }

    /**
     * The same with denser operations, and for guest (v2) tables too: the GCR3 cache and the guest walk caches are then
     * in front, and a page's invalidation is INVALIDATE_IOMMU_PAGES for the PASID (GN = 1), as Linux's
     * amd_iommu_flush_pages for a PASID sends it.
     */
    @Property(tries = 60)
    void guestTablesToo(@ForAll("denseOperations") final List<Op> operations, @ForAll final Mode mode)
    {
        run(mode, operations);
    }

    private static void run(final Mode mode, final List<Op> operations)
    {
        final Bed bed = new Bed();
        bed.bringUp(null, 9);
        final PageTable table;
        switch (mode)
        {
            case HOST ->
            {
                bed.driver.attach(AmdViTestBed.DEVICE, bed.domain, AmdViTestBed.DOMAIN, true, true);
                table = bed.domain;
            }
            case GUEST -> table = bed.guestOnly(PASID, 1, 4, false);
            case NESTED ->
            {
                table = bed.nested(PASID, 4);
                assertEquals(MapStatus.OK, bed.domain.map(PA_BASE, PA_BASE, 64L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
                bed.driver.invalidateAll();
            }
            default -> throw new IllegalStateException();
        }
        final boolean guest = mode != Mode.HOST;
        final int permissions = guest ? AmdViTestBed.USER_RW : Permissions.READ_WRITE;
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
                    final MapStatus status = table.map(iova, pa, (long)pages << 12, permissions,
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
                    assertEquals(MapStatus.OK, table.unmap(iova, (long)pages << 12), where);
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        oracle.tables(i, CoherenceOracle.UNMAPPED);
                    }
                }
                case INVALIDATE_PAGES ->
                {
                    if (guest)
                    {
                        bed.driver.invalidatePasidPages(AmdViTestBed.DOMAIN, PASID, iova, (long)pages << 12);
                    }
                    else
                    {
                        bed.driver.invalidatePages(AmdViTestBed.DOMAIN, iova, (long)pages << 12);
                    }
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        oracle.invalidated(i);
                    }
                }
                case INVALIDATE_ALL ->
                {
                    bed.driver.invalidateAll();
                    oracle.invalidatedAll();
                }
                case DMA -> check(bed, guest, op.start(), op.paShift() == 7, oracle, where);
                case DMA_BURST ->
                {
                    for (int i = op.start(); i < op.start() + pages; i++)
                    {
                        check(bed, guest, i, (i & 1) == 0, oracle, where);
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
        final boolean ok = withPasid ?
            bed.iommu.dma(AmdViTestBed.DEVICE, PASID, iova, write ? Permissions.WRITE : Permissions.READ, false, bed.out) :
            bed.iommu.dma(AmdViTestBed.DEVICE, iova, write, bed.out);
        oracle.check(page, ok, ok ? bed.out.outputAddress() - 0x40 : CoherenceOracle.UNMAPPED, where);
    }
}
