package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * Header of a completion, Cpl, CplD, CplLk and CplDLk, always 3DW (PCIe Base Spec 2.2.9). ATS Translation
 * Completions are CplDs whose data is a list of {@link TranslationCompletionEntry}.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |                     DW0, see TlpHeader                         |
 *  +-------------------------------+-----+-+-----------------------+
 *  |         Completer ID          |Stat |B|   Byte Count[11:0]    |  DW1
 *  |                               |     |C|                       |
 *  |                               |     |M|                       |
 *  +-------------------------------+-----+-+-+---------------------+
 *  |         Requester ID          |   Tag[7:0]    |R| Lower Addr  |  DW2
 *  +-------------------------------+---------------+-+-------------+
 *   31                           16 15 13 12 11   8 7 6           0
 * </pre>
 *
 * Byte Count 0 means 4096. Status: 000 SC, 001 UR, 010 CRS/RRS, 100 CA.
 */
public class CompletionHeader extends TlpHeader
{
    /** Index of DW1. */
    public static final int DW1 = 1;
    /** Index of DW2. */
    public static final int DW2 = 2;
    /** Completer ID. */
    public static final int COMPLETER_ID = BitField.of(16, 16);
    /** Completion Status. */
    public static final int STATUS = BitField.of(13, 3);
    /** Byte Count Modified. */
    public static final int BCM = BitField.of(12, 1);
    /** Byte Count, 0 = 4096. */
    public static final int BYTE_COUNT = BitField.of(0, 12);
    /** Requester ID. */
    public static final int REQUESTER_ID = BitField.of(16, 16);
    /** Tag[7:0]. */
    public static final int TAG = BitField.of(8, 8);
    /** Lower Address[6:0]. */
    public static final int LOWER_ADDRESS = BitField.of(0, 7);

    /** Status: Successful Completion. */
    public static final int STATUS_SC = 0b000;
    /** Status: Unsupported Request. */
    public static final int STATUS_UR = 0b001;
    /** Status: Configuration Request Retry Status (RRS in newer specs). */
    public static final int STATUS_CRS = 0b010;
    /** Status: Completer Abort. */
    public static final int STATUS_CA = 0b100;

    /** {@inheritDoc} */
    @Override
    public CompletionHeader wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * @param status Completion Status value.
     * @return "SC", "UR", "CRS", "CA" or "Rsvd".
     */
    public static String statusName(final int status)
    {
        switch (status)
        {
            case STATUS_SC:
                return "SC";
            case STATUS_UR:
                return "UR";
            case STATUS_CRS:
                return "CRS";
            case STATUS_CA:
                return "CA";
            default:
                return "Rsvd";
        }
    }

    /** @return Completer ID. */
    public int completerId()
    {
        return field(DW1, COMPLETER_ID);
    }

    /**
     * @param value Completer ID.
     * @return this.
     */
    public CompletionHeader completerId(final int value)
    {
        field(DW1, COMPLETER_ID, value);
        return this;
    }

    /** @return Completion Status. */
    public int status()
    {
        return field(DW1, STATUS);
    }

    /**
     * @param value Completion Status.
     * @return this.
     */
    public CompletionHeader status(final int value)
    {
        field(DW1, STATUS, value);
        return this;
    }

    /** @return BCM. */
    public boolean bcm()
    {
        return flag(DW1, BCM);
    }

    /**
     * @param value BCM.
     * @return this.
     */
    public CompletionHeader bcm(final boolean value)
    {
        flag(DW1, BCM, value);
        return this;
    }

    /** @return the raw Byte Count field, 0-4095. */
    public int byteCount()
    {
        return field(DW1, BYTE_COUNT);
    }

    /**
     * @param value Byte Count; 4096 is written as 0.
     * @return this.
     */
    public CompletionHeader byteCount(final int value)
    {
        field(DW1, BYTE_COUNT, value);
        return this;
    }

    /** @return Requester ID. */
    public int requesterId()
    {
        return field(DW2, REQUESTER_ID);
    }

    /**
     * @param value Requester ID.
     * @return this.
     */
    public CompletionHeader requesterId(final int value)
    {
        field(DW2, REQUESTER_ID, value);
        return this;
    }

    /** @return the 10-bit tag. */
    public int tag()
    {
        return tag10(field(DW2, TAG));
    }

    /**
     * @param value 10-bit tag.
     * @return this.
     */
    public CompletionHeader tag(final int value)
    {
        field(DW2, TAG, value);
        tagHigh(value);
        return this;
    }

    /** @return Lower Address[6:0]. */
    public int lowerAddress()
    {
        return field(DW2, LOWER_ADDRESS);
    }

    /**
     * @param value Lower Address[6:0].
     * @return this.
     */
    public CompletionHeader lowerAddress(final int value)
    {
        field(DW2, LOWER_ADDRESS, value);
        return this;
    }
}
