package org.iommuemu.pagetable;

/**
 * A page-table format: a small set of functions over one 64-bit entry, in the manner of Linux's
 * generic page table ({@code pt_common.h}). The {@link Walker} and the {@link PageTable} mapper are written
 * once against this interface; a format never repeats address arithmetic or iteration.
 * <p>
 * An instance is one configuration (level count, output width, feature switches) and is immutable. All
 * methods are pure functions of their arguments: they run on the walk hot path and must not allocate.
 * <p>
 * Call order contract: the walker calls {@link #kind}, then {@link #validate} (only for non-empty
 * entries), and only on a valid entry the decoding functions ({@link #tableAddress}, {@link #nextLevel},
 * {@link #leafSizeLg2}, {@link #leafAddress}, {@link #permissions}). Decoding functions may assume a valid
 * entry.
 */
public interface PageTableFormat
{
    int KIND_EMPTY = 0;
    int KIND_TABLE = 1;
    int KIND_LEAF = 2;

    /** Granule of every supported format: 4 KiB items at level 0, 8-byte entries, 4 KiB tables. */
    int GRANULE_LG2 = 12;
    int ENTRY_SIZE_LG2 = 3;

    /** Short name, such as {@code amdv1}, {@code x86-64}, {@code vtd-ss}, {@code ept}. */
    String name();

    /** Number of levels; the root points at a table of level {@code levels() - 1}. */
    int levels();

    /** log2 of the input address space; 64 for a full 64-bit space. */
    int inputAddressLg2();

    /** log2 of the output address space (the platform's physical address width, at most 52). */
    int outputAddressLg2();

    /** Whether inputs are sign-extended (x86 canonical addresses) rather than zero-extended. */
    default boolean signExtended()
    {
        return false;
    }

    /** The level of the top table. */
    default int topLevel()
    {
        return levels() - 1;
    }

    /** log2 of the IOVA span one item at {@code level} decodes. */
    default int itemSizeLg2(final int level)
    {
        return GRANULE_LG2 + 9 * level;
    }

    /** log2 of the number of items a table at {@code level} decodes (9 but for a narrow top level). */
    default int itemsPerTableLg2(final int level)
    {
        return Math.min(9, inputAddressLg2() - itemSizeLg2(level));
    }

    /** Whether {@code inputAddress} lies inside the input space (zero- or sign-extended as the format says). */
    default boolean isValidInput(final long inputAddress)
    {
        final int width = inputAddressLg2();
        if (width >= 64)
        {
            return true;
        }
        if (signExtended())
        {
            final long upper = inputAddress >> (width - 1);
            return upper == 0 || upper == -1;
        }
        return (inputAddress >>> width) == 0;
    }

    /** The value of an empty slot (0 for most formats; the S-EPT uses a FREE encoding). */
    default long emptyEntry(final int level)
    {
        return 0;
    }

    /** Sort an entry into {@link #KIND_EMPTY}, {@link #KIND_TABLE} or {@link #KIND_LEAF}. */
    int kind(long entry, int level);

    /**
     * Check a non-empty entry of the given kind: reserved bits ({@link #reservedMask}) and impossible
     * encodings. Returns {@link WalkFault#NONE} when the entry may be decoded.
     */
    default WalkFault validate(final long entry, final int level, final int kind)
    {
        final int sizeLg2 = kind == KIND_LEAF ? itemSizeLg2(level) : 0;
        return (entry & reservedMask(level, kind, sizeLg2)) != 0 ? WalkFault.RESERVED_BIT : WalkFault.NONE;
    }

    /**
     * Bits that must be zero in an entry of this kind at this level ({@code leafSizeLg2} for leaves,
     * ignored for tables). Exposed so the contract tests can set each reserved bit and expect a fault.
     */
    long reservedMask(int level, int kind, int leafSizeLg2);

    /** Bitmask of the leaf sizes the mapper may create at {@code level}: bit n set means 2^n bytes. */
    long leafSizes(int level);

    /** Union of {@link #leafSizes} over all levels. */
    default long allLeafSizes()
    {
        long sizes = 0;
        for (int level = 0; level < levels(); level++)
        {
            sizes |= leafSizes(level);
        }
        return sizes;
    }

    /** Physical address of the table a valid TABLE entry points at. */
    long tableAddress(long entry, int level);

    /** Level of the table a valid TABLE entry points at ({@code level - 1} unless the format skips levels). */
    default int nextLevel(final long entry, final int level)
    {
        return level - 1;
    }

    /** log2 of the size a valid LEAF entry maps (may exceed the item size for replicated leaves). */
    default int leafSizeLg2(final long entry, final int level)
    {
        return itemSizeLg2(level);
    }

    /** Base output address of a valid LEAF entry, aligned to {@code sizeLg2}. */
    long leafAddress(long entry, int level, int sizeLg2);

    /** {@link Permissions} an entry grants (ANDed down the walk), including the implied ones. */
    int permissions(long entry, int level);

    /** Permissions every present entry grants because the format has no bit to deny them. */
    int impliedPermissions();

    /** Build a TABLE entry pointing at {@code tableAddress} for a slot at {@code level}. */
    long makeTable(long tableAddress, int level);

    /**
     * Build a LEAF entry mapping {@code 2^sizeLg2} bytes at {@code outputAddress} with the format's leaf
     * {@code attributes} (see {@link #attributes}). For replicated sizes the same value is written to every
     * item the leaf covers.
     */
    long makeLeaf(long outputAddress, int sizeLg2, int level, long attributes);

    /**
     * The level-independent attributes of a valid leaf (permission and memory-type bits, no address, no
     * size encoding): what a split or merge carries over to the leaves it writes.
     */
    long attributes(long entry, int level);

    /**
     * Leaf attributes for a new mapping with the given permissions. Permissions the format cannot deny are
     * ignored; a set it cannot express (an x86 leaf without READ) throws {@link IllegalArgumentException}.
     */
    long attributesFor(int permissions);

    /** Replace the permission bits of {@code attributes}, keeping the other attribute bits. */
    long withPermissions(long attributes, int permissions);

    /** log2 of how many items a leaf of {@code sizeLg2} occupies at {@code level} (0 for one item). */
    default int replicaCountLg2(final int sizeLg2, final int level)
    {
        return sizeLg2 - itemSizeLg2(level);
    }

    /** {@link #tableStep}'s answer for anything but a valid table entry pointing one level down. */
    long NOT_A_TABLE = -1L;

    /**
     * The walker's hot-path step, fusing {@link #kind}, {@link #validate}, {@link #nextLevel} and
     * {@link #tableAddress} into one call: for a valid TABLE entry that points at level {@code level - 1}, the
     * (4 KiB-aligned) table address; for anything else (empty, leaf, invalid, level skip) {@link #NOT_A_TABLE},
     * and the walker decides the case with the separate functions. Permissions are not part of the step: the
     * walker folds the raw entries into {@link #pathPermissions} once per walk. Formats override it with fused
     * code; the contract tests check every override against {@link #composedTableStep}.
     */
    default long tableStep(final long entry, final int level)
    {
        return composedTableStep(this, entry, level);
    }

    /** {@link #tableStep} built from the separate functions: the reference every override must match. */
    static long composedTableStep(final PageTableFormat format, final long entry, final int level)
    {
        if (level == 0 || format.kind(entry, level) != KIND_TABLE ||
            format.validate(entry, level, KIND_TABLE) != WalkFault.NONE || format.nextLevel(entry, level) != level - 1)
        {
            return NOT_A_TABLE;
        }
        return format.tableAddress(entry, level);
    }

    /**
     * Entry bits that deny a permission when set (x86's XD); every other bit {@link #permissions} reads grants
     * a permission when set. Zero for formats with only granting bits.
     */
    default long denyBits()
    {
        return 0;
    }

    /**
     * The permissions a whole path of valid entries grants, from the AND and the OR of the raw entries: the
     * walker accumulates those two words (two instructions per level) instead of decoding permissions at every
     * level. Equal to the AND of {@link #permissions} over the path whenever each permission is one bit that
     * grants when set or, for {@link #denyBits}, denies when set, whatever the level (true of every format
     * here; the contract tests check it on random paths). A format whose permissions depend on more than that
     * overrides this.
     *
     * @param allEntries the AND of every entry on the path.
     * @param anyEntries the OR of every entry on the path.
     * @param level      the level of the last entry.
     */
    default int pathPermissions(final long allEntries, final long anyEntries, final int level)
    {
        final long deny = denyBits();
        return permissions((allEntries & ~deny) | (anyEntries & deny), level);
    }

    /**
     * The accessed flag hardware sets in an entry at {@code level} that a translation used (x86 and AMD-Vi v1 A,
     * bit 5; VT-d second stage and EPT A, bit 8), or 0 when the format has none. Hardware sets it only where the
     * translation context enables access/dirty tracking ({@link AccessedDirty}).
     */
    default long accessedFlag(final int level)
    {
        return 0;
    }

    /**
     * The dirty flag hardware sets in a leaf at {@code level} that a write went through (x86 and AMD-Vi v1 D, bit 6;
     * VT-d second stage and EPT D, bit 9), or 0 when the format has none. Splits copy it to every smaller leaf and
     * merges OR it over the leaves they fold, so no dirtiness is lost ({@link PageTable#readDirty}).
     */
    default long dirtyFlag(final int level)
    {
        return 0;
    }

    /** Index of the item at {@code level} that decodes {@code inputAddress}. */
    default int index(final long inputAddress, final int level)
    {
        return (int)((inputAddress >>> itemSizeLg2(level)) & ((1L << itemsPerTableLg2(level)) - 1));
    }

    /**
     * {@link #index} for a format with the default item sizes whose top table decodes 9 bits, or whose input
     * space ends at bit 63 (so nothing lies above its top index bits): then every level's index is the 9 bits
     * at {@code 12 + 9 * level}, with no per-level width to look up. Such formats override {@link #index} with
     * this (three instructions on the walk's hot path); the contract tests compare it with the general formula.
     */
    static int radixIndex(final long inputAddress, final int level)
    {
        // Masked as a long, then narrowed: the JIT then knows the index is in [0, 511] and widens it for free.
        return (int)((inputAddress >>> (GRANULE_LG2 + 9 * level)) & 511);
    }
}
