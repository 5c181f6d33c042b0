package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;

import static org.iommuemu.pagetable.format.FormatBits.genmask;

/**
 * Intel VT-d second-stage (SS, formerly SL) page tables, 2 to 5 levels (30/39/48/57-bit, CAP.SAGAW).
 * <pre>
 *  63   62   61:52   51:12             11   10   9  8  7   6:3   2  1  0
 * +---+----+-------+-----------------+----+----+--+--+---+-----+--+--+--+
 * |IGN| TM |  IGN  | address [51:12] |SNP |IGN |D |A |PS | EMT |X |W |R |
 * +---+----+-------+-----------------+----+----+--+--+---+-----+--+--+--+
 * </pre>
 * Sources: Linux generic_pt fmt/vtdss.h ({@code VTDSS_FMT_*}), intel iommu.h {@code dma_pte_present};
 * QEMU intel_iommu_internal.h {@code VTD_SPTE_*_RSVD_MASK}, intel_iommu.c {@code vtd_iova_to_slpte};
 * shared/reference/vtd-tdx.md 2.1-2.2.
 * <p>
 * Levels: level 0 is the SS-PTE table (4 KiB), 1 the SS-PDE (PS=1: 2 MiB, CAP.SSLPS bit 34), 2 the
 * SS-PDPE (PS=1: 1 GiB, CAP.SSLPS bit 35), 3 the SS-PML4E, 4 the SS-PML5E (PS reserved there).
 * <p>
 * There is no present bit: an entry is present when R or W is set. Permissions R, W (and X when the
 * PASID entry's SLEE enables execute) are ANDed down the walk; without SLEE execute is implied.
 * <p>
 * Reserved (QEMU masks): SNP (bit 11) in every entry unless ECAP.SC and the entry is a leaf; TM (bit 62)
 * unless enabled; bits 20:12 of a 2 MiB leaf and 29:12 of a 1 GiB leaf; PS at levels 3 and 4; address bits
 * at or above the output width (HAW). Bits 6:3 in leaves (EMT/IPAT-style) are not checked (UNVERIFIED).
 */
public final class VtdSecondStageFormat implements PageTableFormat
{
    public static final long R = 1L;
    public static final long W = 1L << 1;
    public static final long X = 1L << 2;
    /** EMT/IPAT-style memory type bits in leaves; meaning UNVERIFIED, carried but not interpreted. */
    public static final long MEMORY_TYPE = genmask(6, 3);
    public static final long PS = 1L << 7;
    public static final long A = 1L << 8;
    public static final long D = 1L << 9;
    public static final long SNP = 1L << 11;
    public static final long ADDRESS = FormatBits.ADDRESS_51_12;
    public static final long TM = 1L << 62;

    private static final long RESERVED_2M = genmask(20, 12);
    private static final long RESERVED_1G = genmask(29, 12);

    private final int levels;
    private final int outputLg2;
    private final boolean snoopControl;
    private final boolean executeEnabled;
    private final boolean transientMapping;
    private final long largePages;
    private final long reservedAddressBits;
    /** PS, SNP and the address bits above the output width: any of them set and the entry is not a table entry. */
    private final long tableRejectBits;
    private final long[] reservedByLevel;
    private final long permissionBits;
    private final int implied;

    /** {@code levels} levels, 52-bit HAW, 2 MiB and 1 GiB pages, snoop control, no SLEE, no TM. */
    public VtdSecondStageFormat(final int levels)
    {
        this(levels, 52, true, false, false, (1L << 21) | (1L << 30));
    }

    /**
     * @param snoopControl     ECAP.SC: SNP is allowed in leaves and set in new leaves.
     * @param executeEnabled   PASID-entry SLEE: the X bit controls execute.
     * @param transientMapping TM (bit 62) is allowed in leaves.
     * @param largePages       CAP.SSLPS as a size mask: {@code 1L << 21} for 2 MiB, {@code 1L << 30} for 1 GiB.
     */
    public VtdSecondStageFormat(final int levels, final int outputLg2, final boolean snoopControl,
        final boolean executeEnabled, final boolean transientMapping, final long largePages)
    {
        if (levels < 2 || levels > 5)
        {
            throw new IllegalArgumentException("VT-d second stage has 2..5 levels (SAGAW), not " + levels);
        }
        if ((largePages & ~((1L << 21) | (1L << 30))) != 0)
        {
            throw new IllegalArgumentException("VT-d second-stage large pages are 2 MiB and 1 GiB only");
        }
        FormatBits.checkOutputWidth(outputLg2);
        this.levels = levels;
        this.outputLg2 = outputLg2;
        this.snoopControl = snoopControl;
        this.executeEnabled = executeEnabled;
        this.transientMapping = transientMapping;
        this.largePages = largePages;
        this.reservedAddressBits = FormatBits.aboveOutputWidth(outputLg2);
        this.tableRejectBits = PS | SNP | reservedAddressBits;
        this.reservedByLevel = FormatBits.reservedMasksByLevel(this);
        // R, W and X sit at the positions of READ, WRITE and EXECUTE.
        this.permissionBits = executeEnabled ? R | W | X : R | W;
        this.implied = executeEnabled ? Permissions.USER : Permissions.USER | Permissions.EXECUTE;
    }

    public String name()
    {
        return "vtd-ss";
    }

    public int levels()
    {
        return levels;
    }

    /** {@link PageTableFormat#radixIndex}: exact here because the input width is 12 + 9 x levels, so the top table decodes 9 bits. */
    @Override
    public int index(final long inputAddress, final int level)
    {
        return PageTableFormat.radixIndex(inputAddress, level);
    }

    public int inputAddressLg2()
    {
        return GRANULE_LG2 + 9 * levels;
    }

    public int outputAddressLg2()
    {
        return outputLg2;
    }

    public int kind(final long entry, final int level)
    {
        if ((entry & (R | W)) == 0)
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
        // Present (R or W), PS clear, no reserved bit.
        // With PS clear a table entry's reserved bits are the same at every level (PS is the only level-dependent one).
        // Neither R nor W (the subtraction's sign), or a reject bit, in one test: one branch keeps the walker's compiled
        // code small.
        if (level == 0 || ((((entry & (R | W)) - 1) >>> 63) | (entry & tableRejectBits)) != 0)
        {
            return NOT_A_TABLE;
        }
        return entry & ADDRESS;
    }

    public long reservedMask(final int level, final int kind, final int leafSizeLg2)
    {
        if (kind != KIND_LEAF)
        {
            return reservedAddressBits | SNP | (level >= 3 ? PS : 0);
        }
        long mask = reservedAddressBits | (snoopControl ? 0 : SNP) | (transientMapping ? 0 : TM);
        switch (level)
        {
            case 0:
                return mask;
            case 1:
                return mask | ((largePages & (1L << 21)) != 0 ? RESERVED_2M : PS);
            case 2:
                return mask | ((largePages & (1L << 30)) != 0 ? RESERVED_1G : PS);
            default:
                return mask | PS;
        }
    }

    public long leafSizes(final int level)
    {
        switch (level)
        {
            case 0: return 1L << 12;
            case 1: return largePages & (1L << 21);
            case 2: return largePages & (1L << 30);
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
        return (int)(entry & permissionBits) | implied;
    }

    public int impliedPermissions()
    {
        return implied;
    }

    public long makeTable(final long tableAddress, final int level)
    {
        // Linux installs tables R|W (and X with SLEE) and controls permission in the leaf.
        return R | W | (executeEnabled ? X : 0) | (tableAddress & ADDRESS);
    }

    public long makeLeaf(final long outputAddress, final int sizeLg2, final int level, final long attributes)
    {
        return attributeBits(attributes) | (level > 0 ? PS : 0) | (outputAddress & ADDRESS & (-1L << sizeLg2));
    }

    public long attributes(final long entry, final int level)
    {
        return attributeBits(entry);
    }

    public long attributesFor(final int permissions)
    {
        return withPermissions(snoopControl ? SNP : 0, permissions);
    }

    public long withPermissions(final long attributes, final int permissions)
    {
        if ((permissions & Permissions.READ_WRITE) == 0)
        {
            throw new IllegalArgumentException("a VT-d second-stage leaf needs R or W to be present: " +
                Permissions.toString(permissions));
        }
        return (attributes & ~(R | W | X)) |
            ((permissions & Permissions.READ) != 0 ? R : 0) |
            ((permissions & Permissions.WRITE) != 0 ? W : 0) |
            (executeEnabled && (permissions & Permissions.EXECUTE) != 0 ? X : 0);
    }

    private static long attributeBits(final long entry)
    {
        return entry & (R | W | X | MEMORY_TYPE | SNP | TM);
    }

    public String toString()
    {
        return "vtd-ss(" + levels + "-level, " + inputAddressLg2() + "-bit IOVA, " + outputLg2 + "-bit OA" +
            (snoopControl ? ", SC" : "") + (executeEnabled ? ", SLEE" : "") + ")";
    }

    /** A (bit 8) and D (bit 9) of second-stage entries, set where the PASID entry's SSADE enables them (confidential-io-extras.md 3.3). */
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
