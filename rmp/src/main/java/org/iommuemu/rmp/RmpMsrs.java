package org.iommuemu.rmp;

/**
 * The model-specific registers that place the RMP in physical memory.
 *
 * <pre>
 * RMP_BASE (0xC001_0132), RMP_END (0xC001_0133):
 *  63      52 51                                 13 12       0
 * +----------+-------------------------------------+----------+
 * | reserved |  physical address[51:13]            | reserved |
 * +----------+-------------------------------------+----------+
 *
 * RMP_CFG (0xC001_0136):
 *  63        14 13         8 7        1   0
 * +------------+------------+----------+---+
 * |  reserved  | seg. shift | reserved |SEG|
 * +------------+------------+----------+---+
 * </pre>
 *
 * Sources (reference sheet section 6.1, 6.2): {@code msr-index.h MSR_AMD64_RMP_BASE/END/CFG},
 * Linux {@code arch/x86/virt/svm/sev.c RMP_ADDR_MASK = GENMASK(51, 13)}, the segmented-RMP patch series
 * ({@code MSR_AMD64_SEG_RMP_ENABLED_BIT}, {@code MSR_AMD64_RMP_SEGMENT_SHIFT}).
 */
public final class RmpMsrs
{
    public static final int RMP_BASE = 0xC001_0132;
    public static final int RMP_END = 0xC001_0133;
    public static final int RMP_CFG = 0xC001_0136;

    public static final int ADDRESS_SHIFT = 13;
    public static final int ADDRESS_HIGH_BIT = 51;
    /** Bits 51:13 of RMP_BASE and RMP_END: the RMP is 8 KiB granular. */
    public static final long ADDRESS_MASK = ((1L << (ADDRESS_HIGH_BIT + 1)) - 1) & ~((1L << ADDRESS_SHIFT) - 1);
    public static final long ADDRESS_GRANULE = 1L << ADDRESS_SHIFT;

    public static final int CFG_SEGMENTED_BIT = 0;
    public static final int CFG_SEGMENT_SHIFT_SHIFT = 8;
    public static final int CFG_SEGMENT_SHIFT_WIDTH = 6;
    public static final long CFG_SEGMENTED_MASK = 1L << CFG_SEGMENTED_BIT;
    public static final long CFG_SEGMENT_SHIFT_MASK = ((1L << CFG_SEGMENT_SHIFT_WIDTH) - 1) << CFG_SEGMENT_SHIFT_SHIFT;

    private RmpMsrs()
    {
    }

    /** The address an RMP_BASE or RMP_END value holds. */
    public static long address(final long msrValue)
    {
        return msrValue & ADDRESS_MASK;
    }

    public static boolean segmented(final long rmpCfg)
    {
        return (rmpCfg & CFG_SEGMENTED_MASK) != 0;
    }

    public static int segmentShift(final long rmpCfg)
    {
        return (int)((rmpCfg & CFG_SEGMENT_SHIFT_MASK) >>> CFG_SEGMENT_SHIFT_SHIFT);
    }

    public static long rmpCfg(final boolean segmented, final int segmentShift)
    {
        return (segmented ? CFG_SEGMENTED_MASK : 0) | (((long)segmentShift << CFG_SEGMENT_SHIFT_SHIFT) & CFG_SEGMENT_SHIFT_MASK);
    }
}
