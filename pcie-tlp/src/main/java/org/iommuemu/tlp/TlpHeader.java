package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * DW0 of a non-flit TLP header, common to every TLP (PCIe Base Spec 2.2.1.1); the subclasses add the
 * DWs that follow for requests, configuration requests, completions and messages.
 *
 * <pre>
 *   0                   1                   2                   3
 *   7 6 5 4 3 2 1 0 7 6 5 4 3 2 1 0 7 6 5 4 3 2 1 0 7 6 5 4 3 2 1 0   (bit within byte)
 *  +-----+---------+-+-----+-+-+-+-+-+-+---+---+-------------------+
 *  | Fmt |  Type   |T|  TC |T|A|L|T|T|E|Attr|AT |      Length       |  DW0
 *  |     |         |9|     |8|2|N|H|D|P|1 0|   |                   |
 *  +-----+---------+-+-----+-+-+-+-+-+-+---+---+-------------------+
 *   31-29  28-24   23 22-20 19 18 17 16 15 14 13-12 11-10   9-0       (bit of DW0, read big-endian)
 * </pre>
 *
 * Length counts DWs, 0 meaning 1024; it is reserved for TLPs without data except memory reads (whose
 * Length is the amount requested). LN is reserved in current specs (it was Lightweight Notification).
 * The 10-bit tag is {T9, T8, Tag[7:0]}; Tag[7:0] lives in DW1 or DW2 depending on the kind.
 */
public class TlpHeader extends Flyweight
{
    /** Fmt[2:0]: bit 0 = 4DW header, bit 1 = with data, 100 = prefix. */
    public static final int FMT = BitField.of(29, 3);
    /** Type[4:0]. */
    public static final int TYPE = BitField.of(24, 5);
    /** Fmt and Type together, i.e. byte 0. */
    public static final int FMT_TYPE = BitField.of(24, 8);
    /** Tag bit 9. */
    public static final int T9 = BitField.of(23, 1);
    /** Traffic Class. */
    public static final int TC = BitField.of(20, 3);
    /** Tag bit 8. */
    public static final int T8 = BitField.of(19, 1);
    /** Attr[2], ID-Based Ordering. */
    public static final int ATTR2 = BitField.of(18, 1);
    /** LN, now reserved. */
    public static final int LN = BitField.of(17, 1);
    /** TLP Processing Hints present. */
    public static final int TH = BitField.of(16, 1);
    /** TLP Digest (ECRC) present. */
    public static final int TD = BitField.of(15, 1);
    /** Error Poisoned. */
    public static final int EP = BitField.of(14, 1);
    /** Attr[1:0], Relaxed Ordering and No Snoop. */
    public static final int ATTR10 = BitField.of(12, 2);
    /** Address Type. */
    public static final int AT = BitField.of(10, 2);
    /** Length in DW, 0 = 1024. */
    public static final int LENGTH = BitField.of(0, 10);

    /** Fmt[0] seen in byte 0: set for a 4DW header. */
    public static final int BYTE0_4DW = 1 << (BitField.shift(FMT) - BitField.shift(FMT_TYPE));
    /** Fmt[1] seen in byte 0: set when data follows. */
    public static final int BYTE0_DATA = BYTE0_4DW << 1;
    /** Index of DW0. */
    public static final int DW0 = 0;
    /** Length of a 3DW header in bytes. */
    public static final int HEADER_3DW_LENGTH = 3 * DW;
    /** Length of a 4DW header in bytes. */
    public static final int HEADER_4DW_LENGTH = 4 * DW;
    /** Length of the ECRC (TLP digest) in bytes. */
    public static final int DIGEST_LENGTH = DW;
    /** Largest payload a Length field can describe, in DW. */
    public static final int MAX_LENGTH_DW = 1024;

    /** AT: untranslated (default). */
    public static final int AT_UNTRANSLATED = 0b00;
    /** AT: ATS translation request. */
    public static final int AT_TRANSLATION_REQUEST = 0b01;
    /** AT: translated. */
    public static final int AT_TRANSLATED = 0b10;

    /** Attr bit for No Snoop. */
    public static final int ATTR_NO_SNOOP = 0b001;
    /** Attr bit for Relaxed Ordering. */
    public static final int ATTR_RELAXED_ORDERING = 0b010;
    /** Attr bit for ID-Based Ordering. */
    public static final int ATTR_ID_BASED_ORDERING = 0b100;

    /** {@inheritDoc} */
    @Override
    public TlpHeader wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * @param buffer holding a TLP header.
     * @param offset of its DW0.
     * @return the header length in bytes, 12 or 16, from Fmt[0]; no other check is made.
     */
    public static int headerLength(final DirectBuffer buffer, final int offset)
    {
        return (buffer.getByte(offset) & BYTE0_4DW) != 0 ? HEADER_4DW_LENGTH : HEADER_3DW_LENGTH;
    }

    /** @return Fmt[2:0]. */
    public int fmt()
    {
        return field(DW0, FMT);
    }

    /** @return Type[4:0]. */
    public int type()
    {
        return field(DW0, TYPE);
    }

    /** @return byte 0, {@code Fmt << 5 | Type}. */
    public int fmtType()
    {
        return field(DW0, FMT_TYPE);
    }

    /**
     * @param byte0 {@code Fmt << 5 | Type}.
     * @return this.
     */
    public TlpHeader fmtType(final int byte0)
    {
        field(DW0, FMT_TYPE, byte0);
        return this;
    }

    /** @return what the TLP is, from byte 0. */
    public TlpKind kind()
    {
        return TlpKind.of(fmtType());
    }

    /**
     * Sets Fmt and Type for a kind.
     *
     * @param kind   of TLP.
     * @param fourDw true for a 4DW header where the kind allows both sizes.
     * @return this.
     */
    public TlpHeader kind(final TlpKind kind, final boolean fourDw)
    {
        return fmtType(kind.byte0(fourDw, 0));
    }

    /** @return true when Fmt says a 4DW header. */
    public boolean is4Dw()
    {
        return (fmt() & 0b001) != 0;
    }

    /** @return true when Fmt says data follows the header. */
    public boolean hasData()
    {
        return (fmt() & 0b010) != 0;
    }

    /** @return the header length in bytes, 12 or 16. */
    public int headerLength()
    {
        return is4Dw() ? HEADER_4DW_LENGTH : HEADER_3DW_LENGTH;
    }

    /** @return tag bit 9. */
    public boolean t9()
    {
        return flag(DW0, T9);
    }

    /**
     * @param value of tag bit 9.
     * @return this.
     */
    public TlpHeader t9(final boolean value)
    {
        flag(DW0, T9, value);
        return this;
    }

    /** @return tag bit 8. */
    public boolean t8()
    {
        return flag(DW0, T8);
    }

    /**
     * @param value of tag bit 8.
     * @return this.
     */
    public TlpHeader t8(final boolean value)
    {
        flag(DW0, T8, value);
        return this;
    }

    /** @return Traffic Class. */
    public int tc()
    {
        return field(DW0, TC);
    }

    /**
     * @param value Traffic Class, 0-7.
     * @return this.
     */
    public TlpHeader tc(final int value)
    {
        field(DW0, TC, value);
        return this;
    }

    /** @return Attr[2:0] as one value: {@link #ATTR_ID_BASED_ORDERING}, RO, NS. */
    public int attr()
    {
        final int dw0 = dw(DW0);
        return (BitField.get(dw0, ATTR2) << 2) | BitField.get(dw0, ATTR10);
    }

    /**
     * @param value Attr[2:0].
     * @return this.
     */
    public TlpHeader attr(final int value)
    {
        int dw0 = dw(DW0);
        dw0 = BitField.set(dw0, ATTR2, value >>> 2);
        dw0 = BitField.set(dw0, ATTR10, value);
        dw(DW0, dw0);
        return this;
    }

    /** @return the LN bit (reserved in current specs). */
    public boolean ln()
    {
        return flag(DW0, LN);
    }

    /**
     * @param value of LN.
     * @return this.
     */
    public TlpHeader ln(final boolean value)
    {
        flag(DW0, LN, value);
        return this;
    }

    /** @return TH, processing hints present. */
    public boolean th()
    {
        return flag(DW0, TH);
    }

    /**
     * @param value of TH.
     * @return this.
     */
    public TlpHeader th(final boolean value)
    {
        flag(DW0, TH, value);
        return this;
    }

    /** @return TD, an ECRC follows the data. */
    public boolean td()
    {
        return flag(DW0, TD);
    }

    /**
     * @param value of TD.
     * @return this.
     */
    public TlpHeader td(final boolean value)
    {
        flag(DW0, TD, value);
        return this;
    }

    /** @return EP, the data is poisoned. */
    public boolean ep()
    {
        return flag(DW0, EP);
    }

    /**
     * @param value of EP.
     * @return this.
     */
    public TlpHeader ep(final boolean value)
    {
        flag(DW0, EP, value);
        return this;
    }

    /** @return AT[1:0], see {@link #AT_TRANSLATION_REQUEST} and friends. */
    public int at()
    {
        return field(DW0, AT);
    }

    /**
     * @param value AT[1:0].
     * @return this.
     */
    public TlpHeader at(final int value)
    {
        field(DW0, AT, value);
        return this;
    }

    /** @return the raw Length field, 0-1023. */
    public int length()
    {
        return field(DW0, LENGTH);
    }

    /**
     * @param value raw Length field; 1024 is written as 0.
     * @return this.
     */
    public TlpHeader length(final int value)
    {
        field(DW0, LENGTH, value);
        return this;
    }

    /** @return Length in DW, with 0 read as 1024. */
    public int lengthDw()
    {
        final int length = length();
        return 0 == length ? MAX_LENGTH_DW : length;
    }

    /** @return bytes of data that follow the header: Length x 4 when Fmt says data, else 0. */
    public int dataLength()
    {
        return hasData() ? lengthDw() * DW : 0;
    }

    /**
     * Tag bits 9 and 8 combined with the 8-bit tag from DW1/DW2.
     *
     * @param tag8 Tag[7:0].
     * @return the 10-bit tag.
     */
    protected final int tag10(final int tag8)
    {
        final int dw0 = dw(DW0);
        return (BitField.get(dw0, T9) << 9) | (BitField.get(dw0, T8) << 8) | (tag8 & 0xFF);
    }

    /**
     * Writes tag bits 9 and 8.
     *
     * @param tag 10-bit tag.
     */
    protected final void tagHigh(final int tag)
    {
        int dw0 = dw(DW0);
        dw0 = BitField.set(dw0, T9, tag >>> 9);
        dw0 = BitField.set(dw0, T8, tag >>> 8);
        dw(DW0, dw0);
    }
}
