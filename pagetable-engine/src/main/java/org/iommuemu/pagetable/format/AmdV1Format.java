package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;

import static org.iommuemu.pagetable.format.FormatBits.genmask;

/**
 * AMD-Vi v1 host (I/O) page tables, DTE Mode 1 to 6.
 * <pre>
 *  63  62  61  60  59  58:57  56:52     51:12           11:9  8:7  6  5  4:1  0
 * +---+---+---+---+---+-----+-------+-----------------+-----+----+--+--+----+--+
 * |IGN|IW |IR |FC | U | PMC |  rsvd | address [51:12] | NL  |IGN |D |A |IGN |PR|
 * +---+---+---+---+---+-----+-------+-----------------+-----+----+--+--+----+--+
 * </pre>
 * Sources: Linux amd_iommu_types.h ({@code IOMMU_PTE_PR/U/FC/IR/IW}, {@code PM_ADDR_MASK},
 * {@code PM_LEVEL_ENC}), generic_pt fmt/amdv1.h, FreeBSD amd_reg.h; see the project's
 * shared/reference/amd-vi-rmp.md section 2.
 * <p>
 * Levels: Mode m has m levels; level x decodes IOVA bits {@code [12+9x+8 : 12+9x]} and the spec's "mode
 * 1" table is level 0. A table entry's NextLevel is the spec's 1-based level of the table it points at,
 * which equals the 0-based level of the entry itself (Linux {@code amdv1pt_install_table}). Mode 6 decodes 64 bits, its top table only bits
 * 63:57 (128 items).
 * <p>
 * Leaves: an entry at level 0, or with NextLevel=0 at a higher level, maps one item of its level. With
 * NextLevel=7 the size is encoded in the low address bits (address bits 12 up to {@code lg2(size)-2} are
 * 1, bit {@code lg2(size)-1} is 0) and a leaf smaller than the next level is written into
 * {@code 2^((lg2(size)-12) mod 9)} replicated, naturally aligned items. The mapper creates every power of
 * two from a level's item size up to 256 items except 512 GiB ("hardware bug", Linux
 * {@code AMD_IOMMU_PGSIZES}); the top level of Mode 6 holds no leaves.
 * <p>
 * Permissions: IR/IW are ANDed at every level (the DTE's IR/IW come in as the walk's initial
 * permissions). v1 tables have no execute or user control, so those are implied. Table entries are
 * written with IR|IW and leaves with FC set, as Linux does.
 * <p>
 * Choices on unverified points (shared/reference/amd-vi-rmp.md 2.4): level skipping (a PDE whose
 * NextLevel points below the next level) is refused as {@link WalkFault#BAD_LEVEL_ENCODING} by default,
 * as Linux's walker does; with {@code allowLevelSkip} the walker follows it and faults NOT_PRESENT
 * unless the skipped IOVA index bits are zero. A level-0 entry with NextLevel 1..6 is a bad encoding.
 * Bits 56:52 are not checked (the reference lists no rule); address bits at or above the configured
 * output width are reserved.
 */
public final class AmdV1Format implements PageTableFormat
{
    /** PR: present. */
    public static final long PR = 1L;
    /** A: accessed. */
    public static final long A = 1L << 5;
    /** D: dirty, set by hardware when DTE.HAD enables it. */
    public static final long D = 1L << 6;
    public static final int NEXT_LEVEL_SHIFT = 9;
    /** NextLevel, bits 11:9. */
    public static final long NEXT_LEVEL = genmask(11, 9);
    /** NextLevel value of a leaf whose size is encoded in the address bits. */
    public static final int NEXT_LEVEL_SIZE_ENCODED = 7;
    /** Address, bits 51:12. */
    public static final long ADDRESS = FormatBits.ADDRESS_51_12;
    /** U: the ATS "untranslated access only" attribute. */
    public static final long U = 1L << 59;
    /** FC: force coherent. */
    public static final long FC = 1L << 60;
    /** IR: read permission. */
    public static final long IR = 1L << 61;
    /** IW: write permission. */
    public static final long IW = 1L << 62;

    private static final long ATTRIBUTE_BITS = U | FC | IR | IW;
    private static final int LG2_512G = 39;

    private final int mode;
    private final int outputLg2;
    private final boolean allowLevelSkip;
    private final long reservedAddressBits;
    private final long[] leafSizes;

    /** Mode {@code mode} (1..6) tables with a 52-bit output width and no level skipping. */
    public AmdV1Format(final int mode)
    {
        this(mode, 52, false);
    }

    public AmdV1Format(final int mode, final int outputLg2, final boolean allowLevelSkip)
    {
        if (mode < 1 || mode > 6)
        {
            throw new IllegalArgumentException("AMD-Vi v1 mode " + mode + " is not 1..6 (mode 0 has no table, 7 is reserved)");
        }
        FormatBits.checkOutputWidth(outputLg2);
        this.mode = mode;
        this.outputLg2 = outputLg2;
        this.allowLevelSkip = allowLevelSkip;
        this.reservedAddressBits = FormatBits.aboveOutputWidth(outputLg2);
        this.leafSizes = new long[mode];
        for (int level = 0; level < mode; level++)
        {
            long sizes = 0;
            if (level < 5)
            {
                final int item = itemSizeLg2(level);
                sizes = FormatBits.sizeRange(item, Math.min(Math.min(51, outputLg2), item + 8)) & ~(1L << LG2_512G);
            }
            leafSizes[level] = sizes;
        }
    }

    public int mode()
    {
        return mode;
    }

    public boolean allowLevelSkip()
    {
        return allowLevelSkip;
    }

    public String name()
    {
        return "amdv1";
    }

    public int levels()
    {
        return mode;
    }

    /**
     * {@link PageTableFormat#radixIndex}: exact here because the input width is 12 + 9 x mode (9 bits at the top), or 64 bits in mode 6,
     * where the top index is bits 63:57 and the mask cannot reach beyond them.
     */
    @Override
    public int index(final long inputAddress, final int level)
    {
        return PageTableFormat.radixIndex(inputAddress, level);
    }

    public int inputAddressLg2()
    {
        return mode == 6 ? 64 : GRANULE_LG2 + 9 * mode;
    }

    public int outputAddressLg2()
    {
        return outputLg2;
    }

    public int kind(final long entry, final int level)
    {
        if ((entry & PR) == 0)
        {
            return KIND_EMPTY;
        }
        final int nextLevel = nextLevelField(entry);
        return level == 0 || nextLevel == 0 || nextLevel == NEXT_LEVEL_SIZE_ENCODED ? KIND_LEAF : KIND_TABLE;
    }

    public WalkFault validate(final long entry, final int level, final int kind)
    {
        if ((entry & reservedAddressBits) != 0)
        {
            return WalkFault.RESERVED_BIT;
        }
        final int nextLevel = nextLevelField(entry);
        if (kind == KIND_TABLE)
        {
            // NextLevel is the spec's 1-based level of the next table, which is our 0-based level of this entry.
            if (nextLevel > level || (nextLevel != level && !allowLevelSkip))
            {
                return WalkFault.BAD_LEVEL_ENCODING;
            }
            return WalkFault.NONE;
        }
        if (level == 5 || (level == 0 && nextLevel != 0 && nextLevel != NEXT_LEVEL_SIZE_ENCODED))
        {
            return WalkFault.BAD_LEVEL_ENCODING;
        }
        if (nextLevel == NEXT_LEVEL_SIZE_ENCODED)
        {
            final int sizeLg2 = encodedSizeLg2(entry);
            final int item = itemSizeLg2(level);
            // The encoded size must span at least this level's item and stay below the next level's.
            if (sizeLg2 < item || sizeLg2 > item + 8)
            {
                return WalkFault.BAD_LEVEL_ENCODING;
            }
        }
        return WalkFault.NONE;
    }

    public long tableStep(final long entry, final int level)
    {
        // Present with NextLevel equal to this entry's level (a table one level down, no skip), no reserved bit.
        // PR, NextLevel and the reserved bits in one test: one branch keeps the walker's compiled code small.
        if (level == 0 ||
            (((entry & (PR | NEXT_LEVEL)) ^ (PR | ((long)level << NEXT_LEVEL_SHIFT))) | (entry & reservedAddressBits)) != 0)
        {
            return NOT_A_TABLE;
        }
        return entry & ADDRESS;
    }

    public long reservedMask(final int level, final int kind, final int leafSizeLg2)
    {
        return reservedAddressBits;
    }

    public long leafSizes(final int level)
    {
        return leafSizes[level];
    }

    public long tableAddress(final long entry, final int level)
    {
        return entry & ADDRESS;
    }

    public int nextLevel(final long entry, final int level)
    {
        return nextLevelField(entry) - 1;
    }

    public int leafSizeLg2(final long entry, final int level)
    {
        return nextLevelField(entry) == NEXT_LEVEL_SIZE_ENCODED ? encodedSizeLg2(entry) : itemSizeLg2(level);
    }

    public long leafAddress(final long entry, final int level, final int sizeLg2)
    {
        return entry & ADDRESS & (-1L << sizeLg2);
    }

    public int permissions(final long entry, final int level)
    {
        // IR (bit 61) and IW (bit 62) shift down onto READ and WRITE.
        return (int)((entry >>> 61) & (Permissions.READ | Permissions.WRITE)) | Permissions.EXECUTE | Permissions.USER;
    }

    public int impliedPermissions()
    {
        return Permissions.EXECUTE | Permissions.USER;
    }

    public long makeTable(final long tableAddress, final int level)
    {
        // As Linux's amdv1pt_install_table: NextLevel = the entry's own 0-based level (the next table's 1-based one).
        return PR | IR | IW | ((long)level << NEXT_LEVEL_SHIFT) | (tableAddress & ADDRESS);
    }

    public long makeLeaf(final long outputAddress, final int sizeLg2, final int level, final long attributes)
    {
        final long attrs = attributes & ATTRIBUTE_BITS;
        if (sizeLg2 == itemSizeLg2(level))
        {
            return PR | attrs | (outputAddress & ADDRESS);
        }
        final long size = 1L << sizeLg2;
        // Linux PAGE_SIZE_PTE: ones from bit 12 up to lg2-2, zero at lg2-1.
        final long encoded = ((outputAddress | (size - 1)) & ~(size >>> 1)) & ADDRESS;
        return PR | attrs | ((long)NEXT_LEVEL_SIZE_ENCODED << NEXT_LEVEL_SHIFT) | encoded;
    }

    public long attributes(final long entry, final int level)
    {
        return entry & ATTRIBUTE_BITS;
    }

    public long attributesFor(final int permissions)
    {
        return withPermissions(FC, permissions);
    }

    public long withPermissions(final long attributes, final int permissions)
    {
        return (attributes & ~(IR | IW)) |
            ((permissions & Permissions.READ) != 0 ? IR : 0) |
            ((permissions & Permissions.WRITE) != 0 ? IW : 0);
    }

    public int replicaCountLg2(final int sizeLg2, final int level)
    {
        return sizeLg2 - itemSizeLg2(level);
    }

    /** log2 of the size a NextLevel=7 entry encodes: one more than the position of the first zero bit from 12. */
    public static int encodedSizeLg2(final long entry)
    {
        return 1 + Long.numberOfTrailingZeros(~(entry | 0xFFFL));
    }

    private static int nextLevelField(final long entry)
    {
        return (int)((entry & NEXT_LEVEL) >>> NEXT_LEVEL_SHIFT);
    }

    public String toString()
    {
        return "amdv1(mode " + mode + ", " + inputAddressLg2() + "-bit IOVA, " + outputLg2 + "-bit OA" +
            (allowLevelSkip ? ", level skipping" : "") + ")";
    }

    /** A (bit 5) and D (bit 6), set by hardware where DTE.HAD enables them (confidential-io-extras.md 3.2). */
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
