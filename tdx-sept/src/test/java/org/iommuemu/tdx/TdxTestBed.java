package org.iommuemu.tdx;

import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

/** A TDX module over sparse memory with helpers to build a TD's S-EPT through the SEAMCALLs. */
class TdxTestBed
{
    static final long TDR = 0x10_0000L;
    static final long SEPT_ROOT = 0x10_1000L;
    static final long SHARED_EPT_POOL = 0x7_0000_0000L;
    static final long SEPT_PAGES = 0x100_0000L;
    static final long DATA_PAGES = 0x4000_0000L;
    static final long HUGE_PAGE = 0x8000_0000L;

    final SparseMemory memory = new SparseMemory();
    final TdxModule module;
    final SeamcallResult out = new SeamcallResult();
    final TrustDomain td;
    private long nextSeptPage = SEPT_PAGES;

    TdxTestBed(final int gpaWidth, final HostReadMode mode)
    {
        module = new TdxModule(memory, mode);
        ok(module.createTd(TDR, SEPT_ROOT, gpaWidth, 4, new FrameAllocator(memory, SHARED_EPT_POOL, 16L << 20), out));
        td = module.td(TDR);
        assertNotNull(td);
    }

    TdxTestBed()
    {
        this(TrustDomain.GPAW_48, HostReadMode.ZEROS);
    }

    long nextSeptPage()
    {
        final long page = nextSeptPage;
        nextSeptPage += 4096;
        return page;
    }

    static long info(final long gpa, final int level)
    {
        return PageInfo.encode(gpa, level);
    }

    static long dataPage(final int i)
    {
        return DATA_PAGES + 4096L * i;
    }

    /** SEPT.ADD from the level below the root down to {@code lowestLevel} for {@code gpa}. */
    void septPath(final long gpa, final int lowestLevel)
    {
        for (int level = td.septFormat().topLevel(); level >= lowestLevel; level--)
        {
            final long entry = module.septEntry(td, info(gpa, level));
            if (SecureEptEntry.isFree(entry))
            {
                final long mask = (1L << PageInfo.sizeLg2(level)) - 1;
                ok(module.septAdd(info(gpa & ~mask, level), TDR, nextSeptPage(), out));
            }
        }
    }

    /** A 4 KiB private page at {@code gpa}, AUGed and accepted. */
    void mapPrivate(final long gpa, final long page)
    {
        septPath(gpa, 1);
        ok(module.pageAug(info(gpa, 0), TDR, page, out));
        ok(module.accept(td, info(gpa, 0), out));
    }

    void finalizeTd()
    {
        ok(module.finalizeTd(TDR, out));
    }

    long state(final long gpa, final int level)
    {
        return SecureEptEntry.state(module.septEntry(td, info(gpa, level)));
    }

    static void ok(final SeamcallResult result)
    {
        if (result.status() != TdxStatus.SUCCESS)
        {
            fail(result.toString());   // the message is built only on failure: allocation tests use ok()
        }
    }

    static void fails(final long code, final int operand, final SeamcallResult result)
    {
        assertEquals(TdxStatus.withOperand(code, operand), result.status(), result.toString());
    }
}
