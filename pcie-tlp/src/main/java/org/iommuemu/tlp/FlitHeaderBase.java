package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * First DW of a flit-mode (PCIe 6.0+) TLP header base, PCIe Base Spec 2.2.1.2. The order of the fields is
 * from two spec transcriptions that agree; their bit positions are from one third-party decoder and are
 * UNVERIFIED (see {@link UnverifiedLayout}).
 *
 * <pre>
 *   31            24 23  21 20      16 15  13 12  10 9                   0
 *  +----------------+------+----------+------+------+---------------------+
 *  |   Type[7:0]    |TC2:0 | OHC[4:0] |TS2:0 |Attr  |     Length[9:0]     |
 *  +----------------+------+----------+------+------+---------------------+
 * </pre>
 *
 * The header base is 3 DW or 4 DW; this codec takes the size from Type bit 5 and the presence of data from
 * Type bit 6, the same bits as Fmt[0] and Fmt[1] of a non-flit byte 0 (UNVERIFIED choice). A request header base's
 * Requester ID, address and AT have accessors ({@link #requesterId}, {@link #address}, {@link #at}, placed as
 * {@link UnverifiedLayout} says); other DWs after DW0 are exposed raw through {@link #headerDw(int)}. OHC blocks follow
 * the header base in A, B, C, E order.
 */
public final class FlitHeaderBase extends Flyweight
{
    /** Type[7:0]. */
    public static final int TYPE = UnverifiedLayout.FLIT_TYPE;
    /** TC[2:0]. */
    public static final int TC = UnverifiedLayout.FLIT_TC;
    /** OHC[4:0]. */
    public static final int OHC = UnverifiedLayout.FLIT_OHC;
    /** TS[2:0]. */
    public static final int TS = UnverifiedLayout.FLIT_TS;
    /** Attr[2:0]. */
    public static final int ATTR = UnverifiedLayout.FLIT_ATTR;
    /** Length[9:0]. */
    public static final int LENGTH = UnverifiedLayout.FLIT_LENGTH;
    /** Type bit that says a 4DW header base. */
    public static final int TYPE_4DW_BIT = 0x20;
    /** Type bit that says data follows. */
    public static final int TYPE_DATA_BIT = 0x40;
    /** OHC bit: OHC-A present. */
    public static final int OHC_A = 0b00001;
    /** OHC bit: OHC-B present. */
    public static final int OHC_B = 0b00010;
    /** OHC bit: OHC-C present. */
    public static final int OHC_C = 0b00100;
    /** OHC[4:3]: E1, E2 or E4 present. */
    public static final int OHC_E_MASK = 0b11000;
    /** TS: no trailer. */
    public static final int TS_NONE = 0b000;
    /** TS: 1 DW ECRC. */
    public static final int TS_ECRC = 0b001;
    /** TS: 3 DW IDE MAC. */
    public static final int TS_MAC = 0b101;
    /** TS: 4 DW IDE MAC and PCRC. */
    public static final int TS_MAC_PCRC = 0b110;
    private static final int DW0 = 0;

    /** {@inheritDoc} */
    @Override
    public FlitHeaderBase wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * @param ohc OHC[4:0].
     * @return DWs of OHC that follow the header base.
     */
    public static int ohcLengthDw(final int ohc)
    {
        int dws = Integer.bitCount(ohc & (OHC_A | OHC_B | OHC_C));
        switch (ohc & OHC_E_MASK)
        {
            case 0b01000:
                dws += 1;
                break;
            case 0b10000:
                dws += 2;
                break;
            case 0b11000:
                dws += 4;
                break;
            default:
                break;
        }
        return dws;
    }

    /**
     * @param ts TS[2:0].
     * @return trailer DWs, or -1 for a reserved TS value.
     */
    public static int trailerLengthDw(final int ts)
    {
        switch (ts)
        {
            case TS_NONE:
                return 0;
            case TS_ECRC:
                return 1;
            case TS_MAC:
                return 3;
            case TS_MAC_PCRC:
                return 4;
            default:
                return -1;
        }
    }

    /** @return Type[7:0]. */
    public int type()
    {
        return field(DW0, TYPE);
    }

    /**
     * @param value Type[7:0].
     * @return this.
     */
    public FlitHeaderBase type(final int value)
    {
        field(DW0, TYPE, value);
        return this;
    }

    /** @return header base length in bytes, 12 or 16. */
    public int headerLength()
    {
        return (type() & TYPE_4DW_BIT) != 0 ? TlpHeader.HEADER_4DW_LENGTH : TlpHeader.HEADER_3DW_LENGTH;
    }

    /** @return true when data follows. */
    public boolean hasData()
    {
        return (type() & TYPE_DATA_BIT) != 0;
    }

    /** @return TC. */
    public int tc()
    {
        return field(DW0, TC);
    }

    /**
     * @param value TC.
     * @return this.
     */
    public FlitHeaderBase tc(final int value)
    {
        field(DW0, TC, value);
        return this;
    }

    /** @return OHC[4:0]. */
    public int ohc()
    {
        return field(DW0, OHC);
    }

    /**
     * @param value OHC[4:0].
     * @return this.
     */
    public FlitHeaderBase ohc(final int value)
    {
        field(DW0, OHC, value);
        return this;
    }

    /** @return TS[2:0]. */
    public int ts()
    {
        return field(DW0, TS);
    }

    /**
     * @param value TS[2:0].
     * @return this.
     */
    public FlitHeaderBase ts(final int value)
    {
        field(DW0, TS, value);
        return this;
    }

    /** @return Attr[2:0]. */
    public int attr()
    {
        return field(DW0, ATTR);
    }

    /**
     * @param value Attr[2:0].
     * @return this.
     */
    public FlitHeaderBase attr(final int value)
    {
        field(DW0, ATTR, value);
        return this;
    }

    /** @return raw Length. */
    public int length()
    {
        return field(DW0, LENGTH);
    }

    /**
     * @param value raw Length, 1024 written as 0.
     * @return this.
     */
    public FlitHeaderBase length(final int value)
    {
        field(DW0, LENGTH, value);
        return this;
    }

    /** @return bytes of data: Length x 4 (0 read as 1024) when the type carries data, else 0. */
    public int dataLength()
    {
        if (!hasData())
        {
            return 0;
        }
        final int length = length();
        return (0 == length ? TlpHeader.MAX_LENGTH_DW : length) * DW;
    }

    /**
     * The kind of TLP a flit-mode Type is, in the non-flit kinds' terms: the Type as a non-flit byte 0, except NOP
     * (0x00, {@link TlpKind#RESERVED}) and MRd with a 32-bit address (0x03); types new in flit mode (UIO and the
     * reserved ones) are {@link TlpKind#RESERVED} (see {@link UnverifiedLayout}).
     *
     * @param type Type[7:0].
     * @return the kind.
     */
    public static TlpKind kindOf(final int type)
    {
        if (UnverifiedLayout.FLIT_TYPE_MRD32 == type)
        {
            return TlpKind.MRD;
        }
        return UnverifiedLayout.FLIT_TYPE_NOP == type ? TlpKind.RESERVED : TlpKind.of(type);
    }

    /** @return {@link #kindOf} this header's Type. */
    public TlpKind kind()
    {
        return kindOf(type());
    }

    /** @return Requester ID of a request header base. */
    public int requesterId()
    {
        return field(1, UnverifiedLayout.FLIT_REQUESTER_ID);
    }

    /**
     * @param value Requester ID.
     * @return this.
     */
    public FlitHeaderBase requesterId(final int value)
    {
        field(1, UnverifiedLayout.FLIT_REQUESTER_ID, value);
        return this;
    }

    /** @return the address of a memory request header base: DW2 (3 DW), or DW2:DW3 (4 DW), bits 1:0 clear. */
    public long address()
    {
        if (headerLength() == TlpHeader.HEADER_4DW_LENGTH)
        {
            return ((dw(2) & 0xFFFF_FFFFL) << 32) | (dw(3) & 0xFFFF_FFFCL);
        }
        return dw(2) & 0xFFFF_FFFCL;
    }

    /**
     * @param value address; bits 1:0 are not written (AT's place).
     * @return this.
     */
    public FlitHeaderBase address(final long value)
    {
        if (headerLength() == TlpHeader.HEADER_4DW_LENGTH)
        {
            dw(2, (int)(value >>> 32));
            dw(3, (dw(3) & 3) | ((int)value & ~3));
        }
        else
        {
            dw(2, (dw(2) & 3) | ((int)value & ~3));
        }
        return this;
    }

    /** @return AT[1:0] of a memory request header base. */
    public int at()
    {
        return field(headerLength() / DW - 1, UnverifiedLayout.FLIT_AT);
    }

    /**
     * @param value AT[1:0].
     * @return this.
     */
    public FlitHeaderBase at(final int value)
    {
        field(headerLength() / DW - 1, UnverifiedLayout.FLIT_AT, value);
        return this;
    }

    /**
     * @param dwIndex 0 to 3.
     * @return the header base DW, big-endian.
     */
    public int headerDw(final int dwIndex)
    {
        return dw(dwIndex);
    }

    /**
     * @param dwIndex 1 to 3.
     * @param value   raw header base DW.
     * @return this.
     */
    public FlitHeaderBase headerDw(final int dwIndex, final int value)
    {
        dw(dwIndex, value);
        return this;
    }
}
