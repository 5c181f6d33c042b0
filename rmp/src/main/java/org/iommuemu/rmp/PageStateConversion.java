package org.iommuemu.rmp;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The hypervisor's page-state conversions as Linux performs them (facts from {@code arch/x86/virt/svm/sev.c
 * rmp_make_private, rmp_make_shared} and KVM's gmem prepare/invalidate paths; the code is our own):
 * <ul>
 * <li>Before a 4 KiB RMPUPDATE inside a region a 2 MiB entry governs, PSMASH the region (KVM
 * {@code snp_rmptable_psmash} aligns the PFN down to 2 MiB first).</li>
 * <li>A 2 MiB conversion is one RMPUPDATE with Page_Size 1. Over a PSMASHed region this is the re-merge: it
 * succeeds once every other 4 KiB page of the region is hypervisor-owned, else FAIL_OVERLAP. The merged
 * entry is not Validated; the guest must PVALIDATE the 2 MiB page again.</li>
 * </ul>
 * Linux retries FAIL_OVERLAP and FAIL_INUSE because on hardware they are transient; in this model they are
 * persistent, so the flows return them. One instance owns one RMPUPDATE operand buffer: not thread-safe.
 * The caller is also responsible for the host direct map (Linux splits it to 4 KiB before a 4 KiB private
 * conversion so {@link HostRmpCheck} does not fault on a 2 MiB host mapping).
 */
public final class PageStateConversion
{
    private final RmpInstructions instructions;
    private final RmpTable table;
    private final PhysicalMemory memory;
    private final RmpState state = new RmpState().wrap(new UnsafeBuffer(new byte[RmpState.LENGTH]), 0);

    public PageStateConversion(final RmpInstructions instructions)
    {
        this.instructions = instructions;
        this.table = instructions.table();
        this.memory = table.memory();
    }

    /** {@code rmp_make_private}: assign the page at {@code spa} to {@code asid} at {@code gpa}. */
    public int makePrivate(final long spa, final long gpa, final int asid, final int pageSize)
    {
        final int split = splitBefore4kUpdate(spa, pageSize);
        if (split != RmpReturnCode.SUCCESS)
        {
            return split;
        }
        state.clear().gpa(gpa).assigned(1).pageSize(pageSize).immutable(0).asid(asid);
        return instructions.rmpupdate(spa, state);
    }

    /** {@code rmp_make_shared}: return the page at {@code spa} to the hypervisor (all fields zero but the size). */
    public int makeShared(final long spa, final int pageSize)
    {
        final int split = splitBefore4kUpdate(spa, pageSize);
        if (split != RmpReturnCode.SUCCESS)
        {
            return split;
        }
        state.clear().pageSize(pageSize);
        return instructions.rmpupdate(spa, state);
    }

    /**
     * Make {@code pages} 4 KiB pages from {@code spa} shared the way KVM's gmem invalidation walks a range:
     * one 2 MiB RMPUPDATE where a whole 2 MiB entry lies in the range, PSMASH then 4 KiB RMPUPDATEs where the
     * range covers part of a 2 MiB entry, and 4 KiB RMPUPDATEs elsewhere; unassigned pages are skipped.
     *
     * @return SUCCESS, or the first failing code (the pages before it are converted)
     */
    public int makeSharedRange(final long spa, final long pages)
    {
        final long end = spa + (pages << RmpTable.PAGE_4K_LG2);
        long page = spa & -RmpTable.PAGE_4K;
        while (page < end)
        {
            final long governing = table.authoritativeEntryAddress(page);
            if (governing == RmpTable.NOT_COVERED)
            {
                return RmpReturnCode.FAIL_INPUT;
            }
            final long q0 = memory.readEntry(governing);
            final boolean large = RmpEntry.pageSizeOf(q0) == RmpEntry.PAGE_SIZE_2M;
            final boolean wholeRegion = (page & (RmpTable.PAGE_2M - 1)) == 0 && end - page >= RmpTable.PAGE_2M;
            int code = RmpReturnCode.SUCCESS;
            long step = RmpTable.PAGE_4K;
            if (large && wholeRegion)
            {
                step = RmpTable.PAGE_2M;
                if (RmpEntry.isAssigned(q0))
                {
                    code = makeShared(page, RmpEntry.PAGE_SIZE_2M);
                }
            }
            else if (RmpEntry.isAssigned(q0))
            {
                code = makeShared(page, RmpEntry.PAGE_SIZE_4K);
            }
            if (code != RmpReturnCode.SUCCESS)
            {
                return code;
            }
            page += step;
        }
        return RmpReturnCode.SUCCESS;
    }

    /** PSMASH the region first when a 4 KiB update targets a page a 2 MiB entry governs. */
    private int splitBefore4kUpdate(final long spa, final int pageSize)
    {
        if (pageSize != RmpEntry.PAGE_SIZE_4K)
        {
            return RmpReturnCode.SUCCESS;
        }
        final long region = spa & -RmpTable.PAGE_2M;
        final long regionAddress = table.entryAddress(region);
        if (regionAddress == RmpTable.NOT_COVERED ||
            RmpEntry.pageSizeOf(memory.readEntry(regionAddress)) != RmpEntry.PAGE_SIZE_2M)
        {
            return RmpReturnCode.SUCCESS;
        }
        return instructions.psmash(region);
    }
}
