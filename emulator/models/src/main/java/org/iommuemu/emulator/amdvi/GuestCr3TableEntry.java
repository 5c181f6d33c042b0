package org.iommuemu.emulator.amdvi;

/**
 * An entry of a device's GCR3 table (AMD-Vi v2 guest translation): 4 KiB tables of 512 little-endian
 * quadwords, walked from level GLX down to 0 with the PASID's 9-bit slices as indices. A level-0 entry holds
 * the guest CR3 of one PASID (the root of its x86-64 guest page table); an entry above level 0 holds the
 * address of the next GCR3 level.
 * <pre>
 *  63:52     51:12                                       11:1    0
 * +-------+-----------------------------------------------+------+---+
 * |  rsvd | next GCR3 level, or the guest CR3 [51:12]     | rsvd | V |
 * +-------+-----------------------------------------------+------+---+
 * index at level k = (PASID >> 9k) & 0x1FF
 * </pre>
 * Sources: Linux iommu.c {@code __get_gcr3_pte}, {@code update_gcr3} ({@code (cr3 & PAGE_MASK) | GCR3_VALID}),
 * amd_iommu_types.h {@code GCR3_VALID}; reference amd-vi-rmp.md 3.
 */
public final class GuestCr3TableEntry
{
    public static final long V = 1L;
    public static final long ADDRESS = 0x000F_FFFF_FFFF_F000L;
    public static final int INDEX_BITS = 9;
    public static final int INDEX_MASK = (1 << INDEX_BITS) - 1;
    /** GLX 0..2: one to three levels; GLX 3 is reserved. */
    public static final int MAX_LEVELS = 3;

    private GuestCr3TableEntry()
    {
    }

    /** Byte offset of the entry for {@code pasid} in a GCR3 table of {@code level}. */
    public static long offset(final int pasid, final int level)
    {
        return (long)((pasid >>> (INDEX_BITS * level)) & INDEX_MASK) << 3;
    }

    /** Whether a table with {@code levels} levels has a slot for {@code pasid} (its bits above 9 per level are 0). */
    public static boolean reaches(final int pasid, final int levels)
    {
        return (pasid >>> (INDEX_BITS * levels)) == 0;
    }

    public static boolean valid(final long entry)
    {
        return (entry & V) != 0;
    }

    public static long address(final long entry)
    {
        return entry & ADDRESS;
    }

    /** An entry pointing at the next GCR3 level or holding a guest CR3. */
    public static long make(final long address)
    {
        return (address & ADDRESS) | V;
    }
}
