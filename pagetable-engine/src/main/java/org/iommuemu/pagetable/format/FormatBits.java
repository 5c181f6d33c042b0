package org.iommuemu.pagetable.format;

import org.iommuemu.pagetable.PageTableFormat;

/** Bit-mask arithmetic shared by the format classes (GENMASK in Linux's words). */
final class FormatBits
{
    /** Bits 51:12, where every supported format keeps its output or table address. */
    static final long ADDRESS_51_12 = genmask(51, 12);

    private FormatBits()
    {
    }

    /** Mask of bits {@code high} down to {@code low}, inclusive. */
    static long genmask(final int high, final int low)
    {
        return (-1L >>> (63 - high)) & (-1L << low);
    }

    /** Address bits 51:12 that lie at or above the output width {@code outputLg2}: reserved. */
    static long aboveOutputWidth(final int outputLg2)
    {
        return outputLg2 >= 52 ? 0 : genmask(51, outputLg2);
    }

    /** Bitmask of sizes {@code 2^lowLg2 .. 2^highLg2}. */
    static long sizeRange(final int lowLg2, final int highLg2)
    {
        return highLg2 < lowLg2 ? 0 : genmask(highLg2, lowLg2);
    }

    /**
     * Reserved masks by {@code (level << 1) | (kind >> 1)}: table entries at even indices, item-sized leaves
     * at odd ones, so {@code validate} is one load and one AND per level.
     */
    static long[] reservedMasksByLevel(final PageTableFormat format)
    {
        final long[] masks = new long[format.levels() << 1];
        for (int level = 0; level < format.levels(); level++)
        {
            masks[level << 1] = format.reservedMask(level, PageTableFormat.KIND_TABLE, 0);
            masks[(level << 1) | 1] = format.reservedMask(level, PageTableFormat.KIND_LEAF,
                format.itemSizeLg2(level));
        }
        return masks;
    }

    /** Index into {@link #reservedMasksByLevel}: KIND_LEAF (2) selects the odd slot, KIND_TABLE (1) the even one. */
    static int reservedIndex(final int level, final int kind)
    {
        return (level << 1) | (kind >>> 1);
    }

    static void checkOutputWidth(final int outputLg2)
    {
        if (outputLg2 < 32 || outputLg2 > 52)
        {
            throw new IllegalArgumentException("output address width " + outputLg2 + " is not within 32..52 bits");
        }
    }
}
