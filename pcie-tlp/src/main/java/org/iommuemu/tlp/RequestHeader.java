package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * Header of an address-routed request: MRd, MRdLk, MWr, IORd, IOWr, the AtomicOps, DMWr and the ATS
 * Translation Request (an MRd with AT = 01) (PCIe Base Spec 2.2.7, 10.2.2).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                     DW0, see TlpHeader                         |
 *  +-------------------------------+---------------+-------+-------+
 *  |         Requester ID          |   Tag[7:0]    |Last BE|1st BE |  DW1
 *  +-------------------------------+---------------+-------+-------+
 *  3DW:
 *  |                    Address[31:2]                          | PH|  DW2
 *  4DW:
 *  |                    Address[63:32]                             |  DW2
 *  |                    Address[31:2]                          | PH|  DW3
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * PH[1:0] is the processing hint, meaningful when TH = 1. On a Translation Request the spec puts the
 * No-Write (NW) flag in the low address DW; this codec takes it to be bit 0 of that DW (UNVERIFIED, see
 * {@link #NO_WRITE}). 4DW headers must not carry an address below 4 GiB; {@link TlpDecoder} reports that.
 */
public class RequestHeader extends TlpHeader
{
    /** Index of DW1. */
    public static final int DW1 = 1;
    /** Index of DW2. */
    public static final int DW2 = 2;
    /** Index of DW3 (4DW only). */
    public static final int DW3 = 3;
    /** Requester ID: Bus[15:8], Device[7:3], Function[2:0]. */
    public static final int REQUESTER_ID = BitField.of(16, 16);
    /** Tag[7:0]. */
    public static final int TAG = BitField.of(8, 8);
    /** Last DW Byte Enables. */
    public static final int LAST_BE = BitField.of(4, 4);
    /** First DW Byte Enables. */
    public static final int FIRST_BE = BitField.of(0, 4);
    /** Processing Hint, the two low bits of the low address DW. */
    public static final int PH = BitField.of(0, 2);
    /**
     * No-Write flag of an ATS Translation Request in non-flit mode. UNVERIFIED: the fact sheet only says
     * "a bit in the low address DW"; bit 0 is this codec's choice.
     */
    public static final int NO_WRITE = BitField.of(0, 1);
    /** Mask of the address bits a header can carry. */
    public static final long ADDRESS_MASK = ~0b11L;

    /** {@inheritDoc} */
    @Override
    public RequestHeader wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /** @return Requester ID. */
    public int requesterId()
    {
        return field(DW1, REQUESTER_ID);
    }

    /**
     * @param value Requester ID.
     * @return this.
     */
    public RequestHeader requesterId(final int value)
    {
        field(DW1, REQUESTER_ID, value);
        return this;
    }

    /** @return the 10-bit tag {T9, T8, Tag[7:0]}. */
    public int tag()
    {
        return tag10(field(DW1, TAG));
    }

    /**
     * @param value 10-bit tag; bits 9 and 8 go to DW0.
     * @return this.
     */
    public RequestHeader tag(final int value)
    {
        field(DW1, TAG, value);
        tagHigh(value);
        return this;
    }

    /** @return Last DW BE. */
    public int lastBe()
    {
        return field(DW1, LAST_BE);
    }

    /**
     * @param value Last DW BE.
     * @return this.
     */
    public RequestHeader lastBe(final int value)
    {
        field(DW1, LAST_BE, value);
        return this;
    }

    /** @return First DW BE. */
    public int firstBe()
    {
        return field(DW1, FIRST_BE);
    }

    /**
     * @param value First DW BE.
     * @return this.
     */
    public RequestHeader firstBe(final int value)
    {
        field(DW1, FIRST_BE, value);
        return this;
    }

    private int lowAddressDw()
    {
        return is4Dw() ? DW3 : DW2;
    }

    /** @return the address with bits 1:0 clear. */
    public long address()
    {
        // DW0 read once; a 4DW header's DW2:DW3 is one big-endian quadword, Address[63:32] then Address[31:2].
        return is4Dw() ? qw(DW2 * DW) & ADDRESS_MASK : dw(DW2) & ADDRESS_MASK & 0xFFFF_FFFFL;
    }

    /**
     * Writes the address; Fmt must already say 3DW or 4DW. Bits 1:0 of the low DW (PH / NW) are kept.
     *
     * @param value address; bits 1:0 are ignored, bits 63:32 must be 0 for a 3DW header.
     * @return this.
     */
    public RequestHeader address(final long value)
    {
        final int dwIndex = lowAddressDw();
        dw(dwIndex, (dw(dwIndex) & (int)~ADDRESS_MASK) | ((int)value & (int)ADDRESS_MASK));
        if (is4Dw())
        {
            dw(DW2, (int)(value >>> 32));
        }
        else if ((value >>> 32) != 0)
        {
            throw new IllegalArgumentException("3DW header cannot carry address 0x" + Long.toHexString(value));
        }
        return this;
    }

    /** @return PH[1:0]. */
    public int ph()
    {
        return field(lowAddressDw(), PH);
    }

    /**
     * @param value PH[1:0].
     * @return this.
     */
    public RequestHeader ph(final int value)
    {
        field(lowAddressDw(), PH, value);
        return this;
    }

    /** @return true for an ATS Translation Request (AT = 01 on a memory read). */
    public boolean isTranslationRequest()
    {
        return AT_TRANSLATION_REQUEST == at() && (TlpKind.MRD == kind());
    }

    /** @return the NW flag of a Translation Request, see {@link #NO_WRITE}. */
    public boolean noWrite()
    {
        return flag(lowAddressDw(), NO_WRITE);
    }

    /**
     * @param value NW flag of a Translation Request.
     * @return this.
     */
    public RequestHeader noWrite(final boolean value)
    {
        flag(lowAddressDw(), NO_WRITE, value);
        return this;
    }
}
