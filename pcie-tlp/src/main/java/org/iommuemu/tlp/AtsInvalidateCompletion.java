package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * ATS Invalidate Completion: a Msg routed by ID, byte 0 = 0x32, Message Code 0x02 (PCIe Base Spec 10.3.2).
 *
 * <pre>
 *  DW0..DW1 as MessageHeader
 *  +-------------------------------+-------------------------+-----+
 *  |    Destination Device ID      |        Reserved         | CC  |  DW2  (CC position UNVERIFIED)
 *  +-------------------------------+-------------------------+-----+
 *  |                        ITag Vector[31:0]                       |  DW3
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * CC is the completion count, 0 meaning 8.
 */
public final class AtsInvalidateCompletion extends MessageHeader
{
    /** CC[2:0]. */
    public static final int CC = UnverifiedLayout.INVALIDATE_COMPLETION_CC;

    /** {@inheritDoc} */
    @Override
    public AtsInvalidateCompletion wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Writes DW0 and the message code of an Invalidate Completion.
     *
     * @return this.
     */
    public AtsInvalidateCompletion initialise()
    {
        message(false, ROUTE_BY_ID);
        messageCode(CODE_ATS_INVALIDATE_COMPLETION);
        return this;
    }

    /** @return the raw CC field. */
    public int completionCount()
    {
        return field(DW2, CC);
    }

    /** @return CC as a count, 0 read as 8. */
    public int completionCountValue()
    {
        final int cc = completionCount();
        return 0 == cc ? 8 : cc;
    }

    /**
     * @param value CC; 8 is written as 0.
     * @return this.
     */
    public AtsInvalidateCompletion completionCount(final int value)
    {
        field(DW2, CC, value);
        return this;
    }

    /** @return the ITag Vector. */
    public int itagVector()
    {
        return dw3();
    }

    /**
     * @param value ITag Vector.
     * @return this.
     */
    public AtsInvalidateCompletion itagVector(final int value)
    {
        dw3(value);
        return this;
    }
}
