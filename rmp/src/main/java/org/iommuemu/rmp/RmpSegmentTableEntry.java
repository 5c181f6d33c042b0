package org.iommuemu.rmp;

/**
 * One 8-byte entry of the RMP Segment Table (RST) of a segmented RMP. The RST is 4 KiB (up to 512 entries)
 * at RMP_BASE + 16 KiB, right after the CPU bookkeeping area.
 *
 * <pre>
 *  63      52 51                                20 19                     0
 * +----------+------------------------------------+-----------------------+
 * | reserved |  segment base PA[51:20]            | mapped size (GiB)     |
 * +----------+------------------------------------+-----------------------+
 * </pre>
 *
 * Segment {@code i} covers SPA {@code [i << shift, (i << shift) + min(mappedSize, 1 << shift))}; its RMP
 * entries are 16 bytes per 4 KiB from the segment base. A mapped size of 0 marks an unused slot.
 * Source (reference sheet section 6.2): segmented-RMP patch series for Linux {@code arch/x86/virt/svm/sev.c}:
 * {@code RST_ENTRY_MAPPED_SIZE}, {@code RST_ENTRY_SEGMENT_BASE}, {@code RST_ENTRY_INDEX}, {@code RMP_ENTRY_INDEX}.
 */
public final class RmpSegmentTableEntry
{
    public static final int LENGTH = 8;
    /** Offset of the RST from RMP_BASE: after the bookkeeping area. */
    public static final long TABLE_OFFSET = RmpTable.BOOKKEEPING_SIZE;
    public static final int MAX_ENTRIES = 512;

    public static final int MAPPED_SIZE_SHIFT = 0;
    public static final int MAPPED_SIZE_WIDTH = 20;
    public static final int MAPPED_SIZE_UNIT_LG2 = 30;
    public static final int SEGMENT_BASE_SHIFT = MAPPED_SIZE_SHIFT + MAPPED_SIZE_WIDTH;
    public static final int SEGMENT_BASE_HIGH_BIT = 51;

    public static final long MAPPED_SIZE_MASK = ((1L << MAPPED_SIZE_WIDTH) - 1) << MAPPED_SIZE_SHIFT;
    public static final long SEGMENT_BASE_MASK =
        ((1L << (SEGMENT_BASE_HIGH_BIT + 1)) - 1) & ~((1L << SEGMENT_BASE_SHIFT) - 1);

    private RmpSegmentTableEntry()
    {
    }

    /** Mapped size in bytes (the field counts GiB). */
    public static long mappedSize(final long entry)
    {
        return ((entry & MAPPED_SIZE_MASK) >>> MAPPED_SIZE_SHIFT) << MAPPED_SIZE_UNIT_LG2;
    }

    public static long segmentBase(final long entry)
    {
        return entry & SEGMENT_BASE_MASK;
    }

    /** Encode an entry; {@code segmentBase} must be 1 MiB aligned, {@code mappedSizeGb} fit 20 bits. */
    public static long encode(final long segmentBase, final long mappedSizeGb)
    {
        if ((segmentBase & ~SEGMENT_BASE_MASK) != 0 || mappedSizeGb < 0 || mappedSizeGb > (MAPPED_SIZE_MASK >>> MAPPED_SIZE_SHIFT))
        {
            throw new IllegalArgumentException(
                "segment base 0x" + Long.toHexString(segmentBase) + " mapped size " + mappedSizeGb + " GiB");
        }
        return segmentBase | (mappedSizeGb << MAPPED_SIZE_SHIFT);
    }
}
