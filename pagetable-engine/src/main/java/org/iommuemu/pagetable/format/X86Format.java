package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;

import static org.iommuemu.pagetable.format.FormatBits.genmask;

/**
 * x86-64 long-mode paging, 4-level (48-bit) and 5-level (57-bit): the AMD-Vi v2 guest tables, the VT-d
 * first stage and AMD's nested page table (NPT).
 * <pre>
 *  63  62:52   51:12              11:9  8  7   6  5  4   3   2   1   0
 * +--+-------+------------------+-----+--+---+--+--+---+---+---+---+--+
 * |XD|  IGN  | address [51:12]  | IGN |G |PS |D |A |PCD|PWT|U/S|R/W|P |
 * +--+-------+------------------+-----+--+---+--+--+---+---+---+---+--+
 * </pre>
 * Sources: Linux io_pgtable_v2.c {@code IOMMU_PAGE_*}, intel iommu.h {@code DMA_FL_PTE_*}, QEMU
 * intel_iommu_internal.h {@code VTD_FPTE_*} reserved masks; shared/reference/vtd-tdx.md 2.3 and
 * amd-vi-rmp.md 3.
 * <p>
 * Levels: level 0 is the PT (4 KiB leaves), 1 the PD (PS=1: 2 MiB), 2 the PDPT (PS=1: 1 GiB), 3 the
 * PML4, 4 the PML5. PS is reserved at levels 3 and 4.
 * <p>
 * Reserved bits: in a 2 MiB leaf bits 20:13 (bit 12 is PAT), in a 1 GiB leaf bits 29:13, and address
 * bits at or above the output width. Bits 62:52 and 11:9 are ignored (Linux uses bit 63 as XD).
 * <p>
 * Permissions: present grants READ; R/W grants WRITE; U/S grants USER; XD clear grants EXECUTE; all
 * ANDed down the walk. Tables are written P|R/W|U/S so leaves decide.
 * <p>
 * Input: sign-extended (canonical) by default; AMD-Vi v2 with PASID 0 decodes the full width with no
 * sign extension (amd-vi-rmp.md 3), which {@code signExtended = false} gives.
 */
public final class X86Format implements PageTableFormat
{
    public static final long P = 1L;
    public static final long RW = 1L << 1;
    public static final long US = 1L << 2;
    public static final long PWT = 1L << 3;
    public static final long PCD = 1L << 4;
    public static final long A = 1L << 5;
    public static final long D = 1L << 6;
    public static final long PS = 1L << 7;
    public static final long G = 1L << 8;
    /** PAT in a 2 MiB or 1 GiB leaf (bit 7 is PS there). */
    public static final long PAT_LARGE = 1L << 12;
    public static final long ADDRESS = FormatBits.ADDRESS_51_12;
    public static final long XD = 1L << 63;

    private static final long ATTRIBUTE_BITS = RW | US | PWT | PCD | G | XD;
    private static final long RESERVED_2M = genmask(20, 13);
    private static final long RESERVED_1G = genmask(29, 13);

    private final int levels;
    private final boolean signExtended;
    private final int outputLg2;
    private final boolean gigabytePages;
    private final long reservedAddressBits;
    private final long[] reservedByLevel;

    /** Canonical 4- or 5-level tables, 52-bit output, 1 GiB pages supported. */
    public X86Format(final int levels)
    {
        this(levels, true, 52, true);
    }

    /**
     * @param gigabytePages whether PS=1 is allowed at level 2 (VT-d CAP.FS1GP; CPUID.PDPE1GB); when false a
     *                      1 GiB leaf is a reserved-bit fault and the mapper never creates one.
     */
    public X86Format(final int levels, final boolean signExtended, final int outputLg2, final boolean gigabytePages)
    {
        if (levels != 4 && levels != 5)
        {
            throw new IllegalArgumentException("x86-64 paging has 4 or 5 levels, not " + levels);
        }
        FormatBits.checkOutputWidth(outputLg2);
        this.levels = levels;
        this.signExtended = signExtended;
        this.outputLg2 = outputLg2;
        this.gigabytePages = gigabytePages;
        this.reservedAddressBits = FormatBits.aboveOutputWidth(outputLg2);
        this.reservedByLevel = FormatBits.reservedMasksByLevel(this);
    }

    public String name()
    {
        return "x86-64";
    }

    public int levels()
    {
        return levels;
    }

    /** {@link PageTableFormat#radixIndex}: exact here because 48- or 57-bit inputs: the top table decodes bits 47:39 or 56:48, 9 bits. */
    @Override
    public int index(final long inputAddress, final int level)
    {
        return PageTableFormat.radixIndex(inputAddress, level);
    }

    public int inputAddressLg2()
    {
        return levels == 4 ? 48 : 57;
    }

    public int outputAddressLg2()
    {
        return outputLg2;
    }

    public boolean signExtended()
    {
        return signExtended;
    }

    public int kind(final long entry, final int level)
    {
        if ((entry & P) == 0)
        {
            return KIND_EMPTY;
        }
        return level == 0 || (entry & PS) != 0 ? KIND_LEAF : KIND_TABLE;
    }

    public WalkFault validate(final long entry, final int level, final int kind)
    {
        return (entry & reservedByLevel[FormatBits.reservedIndex(level, kind)]) != 0 ? WalkFault.RESERVED_BIT : WalkFault.NONE;
    }

    public long tableStep(final long entry, final int level)
    {
        // Present, PS clear, no reserved bit: with PS clear a table entry's reserved bits are the address bits
        // above the output width at every level (PS is the only level-dependent one), so no per-level lookup. One
        // test (one branch) keeps the walker's compiled code small.
        if (level == 0 || (((entry & (P | PS)) ^ P) | (entry & reservedAddressBits)) != 0)
        {
            return NOT_A_TABLE;
        }
        return entry & ADDRESS;
    }

    public long reservedMask(final int level, final int kind, final int leafSizeLg2)
    {
        if (kind == KIND_LEAF)
        {
            switch (level)
            {
                case 0: return reservedAddressBits;
                case 1: return reservedAddressBits | RESERVED_2M;
                case 2: return gigabytePages ? reservedAddressBits | RESERVED_1G : reservedAddressBits | PS;
                default: return reservedAddressBits | PS;
            }
        }
        return level >= 3 ? reservedAddressBits | PS : reservedAddressBits;
    }

    public long leafSizes(final int level)
    {
        switch (level)
        {
            case 0: return 1L << 12;
            case 1: return 1L << 21;
            case 2: return gigabytePages ? 1L << 30 : 0;
            default: return 0;
        }
    }

    public long tableAddress(final long entry, final int level)
    {
        return entry & ADDRESS;
    }

    public long leafAddress(final long entry, final int level, final int sizeLg2)
    {
        return entry & ADDRESS & (-1L << sizeLg2);
    }

    public int permissions(final long entry, final int level)
    {
        // Branch-free: R/W (bit 1) is WRITE's position, U/S (bit 2) moves to USER (bit 3), XD clear gives EXECUTE.
        return Permissions.READ |
            (int)(entry & RW) |
            (int)((entry & US) << 1) |
            (int)((~entry >>> 63) << 2);
    }

    /** XD denies execute when set, at any level: {@link #pathPermissions} ORs it over the path. */
    @Override
    public long denyBits()
    {
        return XD;
    }

    /** {@link PageTableFormat#pathPermissions} decoded directly: R/W and U/S from the AND, XD from the OR. */
    @Override
    public int pathPermissions(final long allEntries, final long anyEntries, final int level)
    {
        return Permissions.READ |
            (int)(allEntries & RW) |
            (int)((allEntries & US) << 1) |
            (int)((~anyEntries >>> 63) << 2);
    }

    public int impliedPermissions()
    {
        return Permissions.READ;
    }

    public long makeTable(final long tableAddress, final int level)
    {
        return P | RW | US | (tableAddress & ADDRESS);
    }

    public long makeLeaf(final long outputAddress, final int sizeLg2, final int level, final long attributes)
    {
        return P | (attributes & ATTRIBUTE_BITS) | (level > 0 ? PS : 0) | (outputAddress & ADDRESS & (-1L << sizeLg2));
    }

    public long attributes(final long entry, final int level)
    {
        return entry & ATTRIBUTE_BITS;
    }

    public long attributesFor(final int permissions)
    {
        return withPermissions(0, permissions);
    }

    public long withPermissions(final long attributes, final int permissions)
    {
        if ((permissions & Permissions.READ) == 0)
        {
            throw new IllegalArgumentException("an x86-64 leaf always grants read: " + Permissions.toString(permissions));
        }
        return (attributes & ~(RW | US | XD)) |
            ((permissions & Permissions.WRITE) != 0 ? RW : 0) |
            ((permissions & Permissions.USER) != 0 ? US : 0) |
            ((permissions & Permissions.EXECUTE) == 0 ? XD : 0);
    }

    public String toString()
    {
        return "x86-64(" + levels + "-level, " + (signExtended ? "canonical" : "zero-extended") + ", " +
            outputLg2 + "-bit OA" + (gigabytePages ? "" : ", no 1G pages") + ")";
    }

    /** A (bit 5) in every entry a walk uses; D (bit 6) in the leaf a write goes through (x86 paging, AMD-Vi v2, VT-d first stage). */
    @Override
    public long accessedFlag(final int level)
    {
        return A;
    }

    @Override
    public long dirtyFlag(final int level)
    {
        return D;
    }
}
