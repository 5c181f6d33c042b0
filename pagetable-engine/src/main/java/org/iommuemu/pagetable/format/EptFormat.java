package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;

import static org.iommuemu.pagetable.format.FormatBits.genmask;

/**
 * Intel EPT, 4-level (48-bit GPA) and 5-level (57-bit): the base the TDX Secure EPT extends, and the
 * format a VT-d second stage shares with KVM when the tables are shared.
 * <pre>
 *  63   62:52   51:12              11   10  9  8  7    6    5:3   2  1  0
 * +---+-------+------------------+----+---+--+--+---+-----+-----+--+--+--+
 * |SVE|  IGN  | address [51:12]  |IGN |XU |D |A |PS |IPAT | MT  |X |W |R |
 * +---+-------+------------------+----+---+--+--+---+-----+-----+--+--+--+
 * </pre>
 * Sources: Intel SDM vol. 3 "EPT translation mechanism"; the S-EPT bit positions in the TDX module's
 * x86_defs.h agree for bits 0-10 and 63 (shared/reference/vtd-tdx.md 5.2).
 * <p>
 * Levels: level 0 is the EPT PT (4 KiB), 1 the PD (PS=1: 2 MiB), 2 the PDPT (PS=1: 1 GiB), 3 the PML4,
 * 4 the PML5.
 * <p>
 * An entry is present when any of R, W, X is set. Misconfigurations are reported as
 * {@link WalkFault#RESERVED_BIT} (the EPT-misconfiguration exit): W without R; X without R when
 * execute-only is not supported; a leaf memory type of 2, 3 or 7; bits 6:3 in a non-leaf entry (7:3 at levels 3 and 4); bits
 * 20:12 of a 2 MiB leaf or 29:12 of a 1 GiB leaf; PS at levels 3 and 4; address bits at or above the
 * output width. Mode-based execute (XU) is carried, not interpreted.
 * <p>
 * Not final: the S-EPT format extends it with its state bits. The constructor tabulates
 * {@link #reservedMask} per level, so an override must depend only on constants and this class's fields.
 */
public class EptFormat implements PageTableFormat
{
    public static final long R = 1L;
    public static final long W = 1L << 1;
    public static final long X = 1L << 2;
    public static final int MEMORY_TYPE_SHIFT = 3;
    public static final long MEMORY_TYPE = genmask(5, 3);
    public static final long IPAT = 1L << 6;
    public static final long PS = 1L << 7;
    public static final long A = 1L << 8;
    public static final long D = 1L << 9;
    public static final long XU = 1L << 10;
    public static final long ADDRESS = FormatBits.ADDRESS_51_12;
    public static final long SVE = 1L << 63;
    /** Memory type write-back, what KVM uses for RAM. */
    public static final int MEMORY_TYPE_WB = 6;

    protected static final long NON_LEAF_RESERVED_TOP = genmask(7, 3);
    protected static final long NON_LEAF_RESERVED = genmask(6, 3);
    protected static final long RESERVED_2M = genmask(20, 12);
    protected static final long RESERVED_1G = genmask(29, 12);
    private static final long ATTRIBUTE_BITS = R | W | X | MEMORY_TYPE | IPAT | XU | SVE;

    protected final int levels;
    protected final int outputLg2;
    protected final boolean executeOnly;
    protected final long reservedAddressBits;
    private final long[] reservedByLevel;
    /**
     * A table entry's reserved bits at any level once PS is known clear: PS (bit 7 at levels 3 and 4) is the
     * only level-dependent one, so the level-1 mask serves {@link #tableStep} at every level.
     */
    private final long tableReservedWithoutPs;
    /** PS and {@link #tableReservedWithoutPs}: any of them set and the entry is not a table entry ({@link #tableStep}). */
    private final long tableRejectBits;
    /**
     * Bit n set when an entry whose R, W and X bits (2:0) are n is present and not misconfigured: R with any of W and
     * X, and X alone when execute-only is supported. {@link #tableStep} tests all of it with one shift.
     */
    private final int tablePermissionCodes;
    /** Bit n set when R, W and X (bits 2:0) equal to n are a misconfiguration ({@link #validate}). */
    private final int misconfiguredCodes;
    /** The reserved bits of a 4 KiB leaf ({@code reservedByLevel} at level 0, kind LEAF). */
    private final long reservedLeaf4K;
    /** Bit n set for the memory types (bits 5:3) that are reserved in a leaf: 2, 3 and 7. */
    private static final int RESERVED_MEMORY_TYPES = (1 << 2) | (1 << 3) | (1 << 7);

    /** 4- or 5-level EPT, 52-bit output, execute-only supported. */
    public EptFormat(final int levels)
    {
        this(levels, 52, true);
    }

    public EptFormat(final int levels, final int outputLg2, final boolean executeOnly)
    {
        if (levels != 4 && levels != 5)
        {
            throw new IllegalArgumentException("EPT has 4 or 5 levels, not " + levels);
        }
        FormatBits.checkOutputWidth(outputLg2);
        this.levels = levels;
        this.outputLg2 = outputLg2;
        this.executeOnly = executeOnly;
        this.reservedAddressBits = FormatBits.aboveOutputWidth(outputLg2);
        this.reservedByLevel = FormatBits.reservedMasksByLevel(this);
        this.tableReservedWithoutPs = reservedMask(1, KIND_TABLE, 0);
        this.tableRejectBits = PS | tableReservedWithoutPs;
        int misconfigured = 0;
        for (int rwx = 0; rwx < 8; rwx++)
        {
            if ((rwx & (R | W)) == W || (!executeOnly && (rwx & (R | X)) == X))
            {
                misconfigured |= 1 << rwx;
            }
        }
        this.misconfiguredCodes = misconfigured;
        // Present (code 0 is not) and not misconfigured.
        this.tablePermissionCodes = 0xFE & ~misconfigured;
        this.reservedLeaf4K = reservedByLevel[FormatBits.reservedIndex(0, KIND_LEAF)];
    }

    public String name()
    {
        return "ept";
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

    public int kind(final long entry, final int level)
    {
        if ((entry & (R | W | X)) == 0)
        {
            return KIND_EMPTY;
        }
        return level == 0 || (entry & PS) != 0 ? KIND_LEAF : KIND_TABLE;
    }

    public WalkFault validate(final long entry, final int level, final int kind)
    {
        // Misconfigured permissions (W without R; X without R when execute-only is not supported), a reserved memory
        // type in a leaf (2, 3 or 7) and reserved bits, tested together: one branch keeps the walker's compiled code
        // small.
        final long misconfigured = (misconfiguredCodes >>> ((int)entry & (R | W | X))) & 1;
        final long badMemoryType = kind == KIND_LEAF ?
            (RESERVED_MEMORY_TYPES >>> ((int)(entry >>> MEMORY_TYPE_SHIFT) & 7)) & 1 : 0;
        // A 4 KiB leaf (the walk's common last entry) from a field: no array bounds check on the walk's path.
        final long reserved = level == 0 && kind == KIND_LEAF ? reservedLeaf4K : reservedByLevel[FormatBits.reservedIndex(level, kind)];
        return (misconfigured | badMemoryType | (entry & reserved)) != 0 ? WalkFault.RESERVED_BIT : WalkFault.NONE;
    }

    /**
     * Fused for plain EPT. A subclass that redefines {@link #kind} or {@link #validate} (the S-EPT) must
     * override this too; the contract tests catch one that does not.
     */
    public long tableStep(final long entry, final int level)
    {
        // Present (R, W or X), PS clear, not misconfigured, no reserved bit.
        // The permission code and the reject bits in one test: one branch keeps the walker's compiled code small.
        if (level == 0 || (((~tablePermissionCodes >>> ((int)entry & (R | W | X))) & 1) | (entry & tableRejectBits)) != 0)
        {
            return NOT_A_TABLE;
        }
        return entry & ADDRESS;
    }

    public long reservedMask(final int level, final int kind, final int leafSizeLg2)
    {
        if (kind != KIND_LEAF)
        {
            // Bits 6:3 are reserved in a non-leaf entry; bit 7 too at levels 3 and 4, where it cannot mean PS.
            return reservedAddressBits | (level >= 3 ? NON_LEAF_RESERVED_TOP : NON_LEAF_RESERVED);
        }
        switch (level)
        {
            case 0: return reservedAddressBits;
            case 1: return reservedAddressBits | RESERVED_2M;
            case 2: return reservedAddressBits | RESERVED_1G;
            default: return reservedAddressBits | PS;
        }
    }

    public long leafSizes(final int level)
    {
        switch (level)
        {
            case 0: return 1L << 12;
            case 1: return 1L << 21;
            case 2: return 1L << 30;
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
        // R, W and X sit at the positions of READ, WRITE and EXECUTE.
        return (int)(entry & (R | W | X)) | Permissions.USER;
    }

    public int impliedPermissions()
    {
        return Permissions.USER;
    }

    public long makeTable(final long tableAddress, final int level)
    {
        return R | W | X | (tableAddress & ADDRESS);
    }

    public long makeLeaf(final long outputAddress, final int sizeLg2, final int level, final long attributes)
    {
        return (attributes & ATTRIBUTE_BITS) | (level > 0 ? PS : 0) | (outputAddress & ADDRESS & (-1L << sizeLg2));
    }

    public long attributes(final long entry, final int level)
    {
        return entry & ATTRIBUTE_BITS;
    }

    public long attributesFor(final int permissions)
    {
        return withPermissions((long)MEMORY_TYPE_WB << MEMORY_TYPE_SHIFT, permissions);
    }

    public long withPermissions(final long attributes, final int permissions)
    {
        final boolean read = (permissions & Permissions.READ) != 0;
        final boolean write = (permissions & Permissions.WRITE) != 0;
        final boolean execute = (permissions & Permissions.EXECUTE) != 0;
        if ((write && !read) || (!read && !write && !execute) || (execute && !read && !write && !executeOnly))
        {
            throw new IllegalArgumentException("EPT cannot express " + Permissions.toString(permissions) +
                " (write needs read; execute-only " + (executeOnly ? "is" : "is not") + " supported)");
        }
        return (attributes & ~(R | W | X)) | (read ? R : 0) | (write ? W : 0) | (execute ? X : 0);
    }

    public String toString()
    {
        return name() + "(" + levels + "-level, " + outputLg2 + "-bit OA" + (executeOnly ? "" : ", no execute-only") + ")";
    }

    /** A (bit 8) and D (bit 9), set by the CPU when the EPTP enables accessed/dirty flags. */
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
