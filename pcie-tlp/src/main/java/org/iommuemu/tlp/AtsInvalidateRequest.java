package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * ATS Invalidate Request: a MsgD routed by ID, byte 0 = 0x72, Message Code 0x01, Length 2, whose 8-byte
 * payload names the untranslated range (PCIe Base Spec 10.3.1).
 *
 * <pre>
 *  DW0..DW1 as MessageHeader
 *  +-------------------------------+-----------------------+-------+
 *  |    Destination Device ID      |       Reserved        | ITag  |  DW2  (ITag position UNVERIFIED)
 *  +-------------------------------+-----------------------+-------+
 *  |                          Reserved                              |  DW3
 *  +---------------------------------------------------------------+
 *  payload, 64-bit big-endian:
 *   63                                            12 11 10          1  0
 *  +------------------------------------------------+--+-------------+--+
 *  |          Untranslated Address[63:12]           |S |  Reserved   |G |
 *  +------------------------------------------------+--+-------------+--+
 * </pre>
 *
 * The payload is read at {@code offset() + 16}, right after this header, so wrap this flyweight over a
 * whole TLP without prefixes (or at the header offset from {@link Tlp}).
 */
public final class AtsInvalidateRequest extends MessageHeader
{
    /** Length of the message payload. */
    public static final int PAYLOAD_LENGTH = 8;
    /** ITag[4:0]. */
    public static final int ITAG = UnverifiedLayout.INVALIDATE_REQUEST_ITAG;
    /** Payload: S bit. */
    public static final long PAYLOAD_S = 1L << 11;
    /** Payload: Global Invalidate. */
    public static final long PAYLOAD_GLOBAL = 1L;
    /** Payload offset from the header. */
    public static final int PAYLOAD_OFFSET = HEADER_4DW_LENGTH;

    /** {@inheritDoc} */
    @Override
    public AtsInvalidateRequest wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes DW0 and the message code of an Invalidate Request.
     *
     * @return this.
     */
    public AtsInvalidateRequest initialise()
    {
        message(true, ROUTE_BY_ID);
        length(PAYLOAD_LENGTH / DW);
        messageCode(CODE_ATS_INVALIDATE_REQUEST);
        return this;
    }

    /** @return ITag[4:0]. */
    public int itag()
    {
        return field(DW2, ITAG);
    }

    /**
     * @param value ITag, 0-31.
     * @return this.
     */
    public AtsInvalidateRequest itag(final int value)
    {
        field(DW2, ITAG, value);
        return this;
    }

    /** @return the payload as a 64-bit value. */
    public long payload()
    {
        return qw(PAYLOAD_OFFSET);
    }

    /**
     * @param value 64-bit payload.
     * @return this.
     */
    public AtsInvalidateRequest payload(final long value)
    {
        qw(PAYLOAD_OFFSET, value);
        return this;
    }

    /** @return the S bit of the payload. */
    public boolean s()
    {
        return (payload() & PAYLOAD_S) != 0;
    }

    /** @return the Global Invalidate bit of the payload. */
    public boolean global()
    {
        return (payload() & PAYLOAD_GLOBAL) != 0;
    }

    /** @return base of the invalidated untranslated range. */
    public long rangeBase()
    {
        return AtsRange.base(payload(), s());
    }

    /** @return size of the invalidated range in bytes. */
    public long rangeSize()
    {
        return AtsRange.size(payload(), s());
    }

    /**
     * Writes the payload for a range.
     *
     * @param base   aligned to size.
     * @param size   power of two, at least 4 KiB.
     * @param global Global Invalidate.
     * @return this.
     */
    public AtsInvalidateRequest range(final long base, final long size, final boolean global)
    {
        final long address = AtsRange.encode(base, size);
        return payload(address | (size > AtsRange.MIN_SIZE ? PAYLOAD_S : 0) | (global ? PAYLOAD_GLOBAL : 0));
    }
}
