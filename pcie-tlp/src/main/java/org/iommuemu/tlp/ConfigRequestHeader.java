package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * Header of a configuration request, CfgRd0/1 and CfgWr0/1, always 3DW (PCIe Base Spec 2.2.7).
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                     DW0, see TlpHeader                         |
 *  +-------------------------------+---------------+-------+-------+
 *  |         Requester ID          |   Tag[7:0]    |Last BE|1st BE |  DW1
 *  +---------------+---------+-----+-------+-------+-----------+---+
 *  |      Bus      | Device  |Func | Rsvd  |Ext Reg| Register  |Rsv|  DW2
 *  +---------------+---------+-----+-------+-------+-----------+---+
 *   31           24 23     19 18 16 15   12 11    8 7         2 1 0
 * </pre>
 *
 * The destination Bus/Device/Function form a 16-bit ID at DW2[31:16]; Ext Reg and Register form the
 * 10-bit DW register number at DW2[11:2].
 */
public class ConfigRequestHeader extends TlpHeader
{
    /** Index of DW1. */
    public static final int DW1 = 1;
    /** Index of DW2. */
    public static final int DW2 = 2;
    /** Requester ID. */
    public static final int REQUESTER_ID = RequestHeader.REQUESTER_ID;
    /** Tag[7:0]. */
    public static final int TAG = RequestHeader.TAG;
    /** Last DW BE. */
    public static final int LAST_BE = RequestHeader.LAST_BE;
    /** First DW BE. */
    public static final int FIRST_BE = RequestHeader.FIRST_BE;
    /** Destination ID (Bus, Device, Function). */
    public static final int DESTINATION_ID = BitField.of(16, 16);
    /** DW register number, Ext Reg[3:0] and Register[5:0] together. */
    public static final int REGISTER_NUMBER = BitField.of(2, 10);

    /** {@inheritDoc} */
    @Override
    public ConfigRequestHeader wrap(final DirectBuffer buffer, final int offset)
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
    public ConfigRequestHeader requesterId(final int value)
    {
        field(DW1, REQUESTER_ID, value);
        return this;
    }

    /** @return the 10-bit tag. */
    public int tag()
    {
        return tag10(field(DW1, TAG));
    }

    /**
     * @param value 10-bit tag.
     * @return this.
     */
    public ConfigRequestHeader tag(final int value)
    {
        field(DW1, TAG, value);
        tagHigh(value);
        return this;
    }

    /** @return Last DW BE (must be 0). */
    public int lastBe()
    {
        return field(DW1, LAST_BE);
    }

    /**
     * @param value Last DW BE.
     * @return this.
     */
    public ConfigRequestHeader lastBe(final int value)
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
    public ConfigRequestHeader firstBe(final int value)
    {
        field(DW1, FIRST_BE, value);
        return this;
    }

    /** @return destination Bus/Device/Function. */
    public int destinationId()
    {
        return field(DW2, DESTINATION_ID);
    }

    /**
     * @param value destination Bus/Device/Function.
     * @return this.
     */
    public ConfigRequestHeader destinationId(final int value)
    {
        field(DW2, DESTINATION_ID, value);
        return this;
    }

    /** @return the 10-bit DW register number; the byte offset is this x 4. */
    public int registerNumber()
    {
        return field(DW2, REGISTER_NUMBER);
    }

    /**
     * @param value 10-bit DW register number.
     * @return this.
     */
    public ConfigRequestHeader registerNumber(final int value)
    {
        field(DW2, REGISTER_NUMBER, value);
        return this;
    }
}
