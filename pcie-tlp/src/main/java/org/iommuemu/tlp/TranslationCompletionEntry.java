package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * One 8-byte entry in the data of an ATS Translation Completion (a CplD answering an MRd with AT = 01),
 * PCIe Base Spec 10.2.3. Read as a 64-bit big-endian value, high DW first:
 *
 * <pre>
 *   63                                            12 11 10  9  8   6  5  4  3  2  1  0
 *  +------------------------------------------------+--+--+---+-----+--+--+--+--+--+--+
 *  |           Translated Address[63:12]            |S |N |CXL| AMA |G |Pv|Ex|U |W |R |
 *  +------------------------------------------------+--+--+---+-----+--+--+--+--+--+--+
 * </pre>
 *
 * R = W = 0 means no mapping. S selects a range larger than 4 KiB, see {@link AtsRange}. Layout from the
 * Intel Simics PCIe header ({@code pcie_ats_translation_completion_entry_t}).
 */
public final class TranslationCompletionEntry extends Flyweight
{
    /** Length of one entry. */
    public static final int LENGTH = 8;
    /** R, read permitted. */
    public static final long R = 1L;
    /** W, write permitted. */
    public static final long W = 1L << 1;
    /** U, untranslated access only. */
    public static final long U = 1L << 2;
    /** Exe, execute permitted. */
    public static final long EXE = 1L << 3;
    /** Priv, privileged mode. */
    public static final long PRIV = 1L << 4;
    /** Global mapping. */
    public static final long GLOBAL = 1L << 5;
    /** AMA[2:0] shift. */
    public static final int AMA_SHIFT = 6;
    /** AMA[2:0] mask, in place. */
    public static final long AMA_MASK = 0b111L << AMA_SHIFT;
    /** CXL.io. */
    public static final long CXL_IO = 1L << 9;
    /** N, non-snooped accesses. */
    public static final long N = 1L << 10;
    /** S, range size above 4 KiB. */
    public static final long S = 1L << 11;
    /** Translated Address[63:12]. */
    public static final long ADDRESS_MASK = AtsRange.ADDRESS_MASK;

    /** {@inheritDoc} */
    @Override
    public TranslationCompletionEntry wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /** @return the whole entry as a 64-bit value. */
    public long value()
    {
        return qw(0);
    }

    /**
     * @param value whole entry.
     * @return this.
     */
    public TranslationCompletionEntry value(final long value)
    {
        qw(0, value);
        return this;
    }

    /** @return Translated Address field, bits 11:0 clear (not yet reduced by S). */
    public long address()
    {
        return value() & ADDRESS_MASK;
    }

    /** @return base of the translated range, see {@link AtsRange#base}. */
    public long rangeBase()
    {
        return AtsRange.base(value(), s());
    }

    /** @return size of the translated range in bytes, see {@link AtsRange#size}. */
    public long rangeSize()
    {
        return AtsRange.size(value(), s());
    }

    /** @return R. */
    public boolean r()
    {
        return (value() & R) != 0;
    }

    /** @return W. */
    public boolean w()
    {
        return (value() & W) != 0;
    }

    /** @return U. */
    public boolean u()
    {
        return (value() & U) != 0;
    }

    /** @return Exe. */
    public boolean exe()
    {
        return (value() & EXE) != 0;
    }

    /** @return Priv. */
    public boolean priv()
    {
        return (value() & PRIV) != 0;
    }

    /** @return Global. */
    public boolean global()
    {
        return (value() & GLOBAL) != 0;
    }

    /** @return AMA[2:0]. */
    public int ama()
    {
        return (int)((value() & AMA_MASK) >>> AMA_SHIFT);
    }

    /** @return CXL.io. */
    public boolean cxlIo()
    {
        return (value() & CXL_IO) != 0;
    }

    /** @return N. */
    public boolean n()
    {
        return (value() & N) != 0;
    }

    /** @return S. */
    public boolean s()
    {
        return (value() & S) != 0;
    }

    /**
     * Composes an entry value.
     *
     * @param base  of the translated range, aligned to size.
     * @param size  of the range, a power of two of at least 4 KiB.
     * @param flags OR of {@link #R}, {@link #W}, {@link #U}, {@link #EXE}, {@link #PRIV}, {@link #GLOBAL},
     *              {@link #N}, {@link #CXL_IO} and an AMA value shifted by {@link #AMA_SHIFT}.
     * @return the 64-bit entry.
     */
    public static long compose(final long base, final long size, final long flags)
    {
        final long address = AtsRange.encode(base, size);
        return address | (flags & ~ADDRESS_MASK & ~S) | (size > AtsRange.MIN_SIZE ? S : 0);
    }
}
