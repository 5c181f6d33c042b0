package org.iommuemu.tdx;

/**
 * The GPA-and-level operand of the S-EPT SEAMCALLs ({@code page_info_api_input_t}), passed in RCX.
 * <pre>
 *  63:52      51:12          11:3       2:0
 * +--------+--------------+----------+-------+
 * |reserved| GPA [51:12]  | reserved | level |
 * +--------+--------------+----------+-------+
 * </pre>
 * Source: intel/tdx-module {@code tdx_api_defs.h} (shared/reference/vtd-tdx.md 5.5). The TDX level is 0 for a
 * 4 KiB entry, 1 for 2 MiB, 2 for 1 GiB: the same numbering as the pagetable-engine's levels.
 */
public final class PageInfo
{
    public static final long LEVEL_MASK = 0x7;
    public static final long GPA_MASK = 0x000F_FFFF_FFFF_F000L;
    public static final long RESERVED_MASK = ~(GPA_MASK | LEVEL_MASK);

    public static final int LEVEL_4K = 0;
    public static final int LEVEL_2M = 1;
    public static final int LEVEL_1G = 2;

    private PageInfo()
    {
    }

    public static long encode(final long gpa, final int level)
    {
        return (gpa & GPA_MASK) | (level & LEVEL_MASK);
    }

    public static long gpa(final long pageInfo)
    {
        return pageInfo & GPA_MASK;
    }

    public static int level(final long pageInfo)
    {
        return (int)(pageInfo & LEVEL_MASK);
    }

    public static boolean hasReservedBits(final long pageInfo)
    {
        return (pageInfo & RESERVED_MASK) != 0;
    }

    /** log2 of the size an entry at a TDX level maps. */
    public static int sizeLg2(final int level)
    {
        return 12 + 9 * level;
    }
}
