package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * PRI Page Request Group Response: a Msg routed by ID, Message Code 0x05 (PCIe Base Spec 10.4.2).
 *
 * <pre>
 *  DW0..DW1 as MessageHeader
 *  +-------------------------------+-------+-------+-----------------+
 *  |    Destination Device ID      | Resp  | Rsvd  |    PRGI[8:0]    |  DW2  (UNVERIFIED)
 *  +-------------------------------+-------+-------+-----------------+
 *   31                           16 15   12 11    9 8               0
 *  |                           Reserved                              |  DW3
 * </pre>
 */
public final class PrgResponse extends MessageHeader
{
    /** Response Code. */
    public static final int RESPONSE_CODE = UnverifiedLayout.PRG_RESPONSE_CODE;
    /** PRG Index. */
    public static final int PRGI = UnverifiedLayout.PRG_RESPONSE_PRGI;
    /** Response: success. */
    public static final int RESPONSE_SUCCESS = 0x0;
    /** Response: invalid request. */
    public static final int RESPONSE_INVALID_REQUEST = 0x1;
    /** Response: response failure. */
    public static final int RESPONSE_FAILURE = 0xF;

    /** {@inheritDoc} */
    @Override
    public PrgResponse wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes DW0 and the message code of a PRG Response.
     *
     * @return this.
     */
    public PrgResponse initialise()
    {
        message(false, ROUTE_BY_ID);
        messageCode(CODE_PRG_RESPONSE);
        return this;
    }

    /** @return Response Code. */
    public int responseCode()
    {
        return field(DW2, RESPONSE_CODE);
    }

    /**
     * @param value Response Code.
     * @return this.
     */
    public PrgResponse responseCode(final int value)
    {
        field(DW2, RESPONSE_CODE, value);
        return this;
    }

    /** @return PRG Index. */
    public int prgIndex()
    {
        return field(DW2, PRGI);
    }

    /**
     * @param value PRG Index.
     * @return this.
     */
    public PrgResponse prgIndex(final int value)
    {
        field(DW2, PRGI, value);
        return this;
    }
}
