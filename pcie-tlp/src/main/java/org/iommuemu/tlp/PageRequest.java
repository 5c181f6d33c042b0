package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * PRI Page Request: a Msg routed to the Root Complex, Message Code 0x04 (PCIe Base Spec 10.4.1). The PASID,
 * if any, travels in a {@link PasidPrefix}.
 *
 * <pre>
 *  DW0..DW1 as MessageHeader
 *  +---------------------------------------------------------------+
 *  |                      Page Address[63:32]                       |  DW2
 *  +---------------------------------------+-----------------+-+-+-+
 *  |          Page Address[31:12]          |    PRGI[8:0]    |L|W|R|  DW3  (UNVERIFIED)
 *  +---------------------------------------+-----------------+-+-+-+
 *   31                                   12 11              3 2 1 0
 * </pre>
 */
public final class PageRequest extends MessageHeader
{
    /** PRG Index. */
    public static final int PRGI = UnverifiedLayout.PAGE_REQUEST_PRGI;
    /** Last request of the group. */
    public static final int LAST = UnverifiedLayout.PAGE_REQUEST_LAST;
    /** Write access requested. */
    public static final int WRITE = UnverifiedLayout.PAGE_REQUEST_WRITE;
    /** Read access requested. */
    public static final int READ = UnverifiedLayout.PAGE_REQUEST_READ;
    /** Page address bits. */
    public static final long PAGE_ADDRESS_MASK = ~0xFFFL;

    /** {@inheritDoc} */
    @Override
    public PageRequest wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes DW0 and the message code of a Page Request.
     *
     * @return this.
     */
    public PageRequest initialise()
    {
        message(false, ROUTE_TO_RC);
        messageCode(CODE_PAGE_REQUEST);
        return this;
    }

    /** @return page address, bits 11:0 clear. */
    public long pageAddress()
    {
        return ((dw(DW2) & 0xFFFF_FFFFL) << 32) | (dw(DW3) & PAGE_ADDRESS_MASK & 0xFFFF_FFFFL);
    }

    /**
     * @param value page address; bits 11:0 are ignored.
     * @return this.
     */
    public PageRequest pageAddress(final long value)
    {
        dw(DW2, (int)(value >>> 32));
        dw(DW3, (dw(DW3) & (int)~PAGE_ADDRESS_MASK) | ((int)value & (int)PAGE_ADDRESS_MASK));
        return this;
    }

    /** @return PRG Index. */
    public int prgIndex()
    {
        return field(DW3, PRGI);
    }

    /**
     * @param value PRG Index, 9 bits.
     * @return this.
     */
    public PageRequest prgIndex(final int value)
    {
        field(DW3, PRGI, value);
        return this;
    }

    /** @return L, last request in the group. */
    public boolean last()
    {
        return flag(DW3, LAST);
    }

    /**
     * @param value L.
     * @return this.
     */
    public PageRequest last(final boolean value)
    {
        flag(DW3, LAST, value);
        return this;
    }

    /** @return W. */
    public boolean write()
    {
        return flag(DW3, WRITE);
    }

    /**
     * @param value W.
     * @return this.
     */
    public PageRequest write(final boolean value)
    {
        flag(DW3, WRITE, value);
        return this;
    }

    /** @return R. */
    public boolean read()
    {
        return flag(DW3, READ);
    }

    /**
     * @param value R.
     * @return this.
     */
    public PageRequest read(final boolean value)
    {
        flag(DW3, READ, value);
        return this;
    }
}
