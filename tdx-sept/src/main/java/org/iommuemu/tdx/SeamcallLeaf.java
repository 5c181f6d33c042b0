package org.iommuemu.tdx;

/**
 * SEAMCALL leaf numbers and the RAX layout of a SEAMCALL.
 * <pre>
 *  63:24     23:16     15:0
 * +--------+---------+------+
 * |   0    | version | leaf |
 * +--------+---------+------+
 * </pre>
 * Sources: intel/tdx-module {@code SEAMCALL_LEAVES_OPCODES}, Linux {@code arch/x86/virt/vmx/tdx/tdx.h}
 * (shared/reference/vtd-tdx.md 5.5). Only the leaves this model implements are listed, plus the guest's
 * TDCALL leaf for accept.
 */
public final class SeamcallLeaf
{
    public static final long LEAF_MASK = 0xFFFF;
    public static final int VERSION_SHIFT = 16;
    public static final long VERSION_MASK = 0xFFL << VERSION_SHIFT;

    public static final int TDH_MEM_PAGE_ADD = 2;
    public static final int TDH_MEM_SEPT_ADD = 3;
    public static final int TDH_MEM_PAGE_RELOCATE = 5;
    public static final int TDH_MEM_PAGE_AUG = 6;
    public static final int TDH_MEM_RANGE_BLOCK = 7;
    public static final int TDH_MEM_PAGE_DEMOTE = 15;
    public static final int TDH_MR_FINALIZE = 17;
    public static final int TDH_MNG_VPFLUSHDONE = 19;
    public static final int TDH_MNG_KEY_FREEID = 20;
    public static final int TDH_MEM_PAGE_PROMOTE = 23;
    public static final int TDH_PHYMEM_PAGE_RECLAIM = 28;
    public static final int TDH_MEM_PAGE_REMOVE = 29;
    public static final int TDH_MEM_SEPT_REMOVE = 30;
    public static final int TDH_MEM_TRACK = 38;
    public static final int TDH_MEM_RANGE_UNBLOCK = 39;
    public static final int TDH_PHYMEM_CACHE_WB = 40;
    /** TDH.PHYMEM.CACHE.WB's RCX: start a write-back, or resume an interrupted one. */
    public static final long CACHE_WB_START = 0;
    public static final long CACHE_WB_RESUME = 1;

    /** TDCALL leaf of the guest's TDG.MEM.PAGE.ACCEPT (the module's TDG_MEM_PAGE_ACCEPT_LEAF, Linux's TDG_MEM_PAGE_ACCEPT). */
    public static final int TDG_MEM_PAGE_ACCEPT = 6;

    private SeamcallLeaf()
    {
    }

    public static int leaf(final long rax)
    {
        return (int)(rax & LEAF_MASK);
    }

    public static int version(final long rax)
    {
        return (int)((rax & VERSION_MASK) >>> VERSION_SHIFT);
    }

    public static long rax(final int leaf, final int version)
    {
        return (leaf & LEAF_MASK) | (((long)version << VERSION_SHIFT) & VERSION_MASK);
    }
}
