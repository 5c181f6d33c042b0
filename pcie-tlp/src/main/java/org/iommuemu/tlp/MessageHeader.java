package org.iommuemu.tlp;

import org.agrona.DirectBuffer;

/**
 * Header of a message, Msg or MsgD, always 4DW (PCIe Base Spec 2.2.8). Type[2:0] is the routing.
 *
 * <pre>
 *  +---------------------------------------------------------------+
 *  |          DW0, see TlpHeader (Type = 1 0 r2 r1 r0)              |
 *  +-------------------------------+---------------+---------------+
 *  |         Requester ID          |   Tag[7:0]    | Message Code  |  DW1
 *  +-------------------------------+---------------+---------------+
 *  | address-routed: Address[63:32]; ID-routed: Destination ID     |  DW2
 *  | (DW2[31:16], UNVERIFIED); otherwise message specific          |
 *  +---------------------------------------------------------------+
 *  | address-routed: Address[31:2]; otherwise message specific      |  DW3
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * The ATS and PRI messages have their own flyweights extending this one:
 * {@link AtsInvalidateRequest}, {@link AtsInvalidateCompletion}, {@link PageRequest}, {@link PrgResponse}.
 */
public class MessageHeader extends TlpHeader
{
    /** Index of DW1. */
    public static final int DW1 = 1;
    /** Index of DW2. */
    public static final int DW2 = 2;
    /** Index of DW3. */
    public static final int DW3 = 3;
    /** Routing r[2:0], the low bits of Type. */
    public static final int ROUTING = BitField.of(24, 3);
    /** Requester ID. */
    public static final int REQUESTER_ID = BitField.of(16, 16);
    /** Tag[7:0]. */
    public static final int TAG = BitField.of(8, 8);
    /** Message Code. */
    public static final int MESSAGE_CODE = BitField.of(0, 8);
    /** Destination ID of an ID-routed message. */
    public static final int DESTINATION_ID = UnverifiedLayout.MESSAGE_DESTINATION_ID;

    /** Routing: to Root Complex. */
    public static final int ROUTE_TO_RC = 0b000;
    /** Routing: by address. */
    public static final int ROUTE_BY_ADDRESS = 0b001;
    /** Routing: by ID. */
    public static final int ROUTE_BY_ID = 0b010;
    /** Routing: broadcast from Root Complex. */
    public static final int ROUTE_BROADCAST = 0b011;
    /** Routing: local, terminate at receiver. */
    public static final int ROUTE_LOCAL = 0b100;
    /** Routing: gathered and routed to Root Complex. */
    public static final int ROUTE_GATHERED = 0b101;

    /** Message code: Unlock. */
    public static final int CODE_UNLOCK = 0x00;
    /** Message code: ATS Invalidate Request. */
    public static final int CODE_ATS_INVALIDATE_REQUEST = 0x01;
    /** Message code: ATS Invalidate Completion. */
    public static final int CODE_ATS_INVALIDATE_COMPLETION = 0x02;
    /** Message code: PRI Page Request. */
    public static final int CODE_PAGE_REQUEST = 0x04;
    /** Message code: PRI PRG Response. */
    public static final int CODE_PRG_RESPONSE = 0x05;
    /** Message code: LTR. */
    public static final int CODE_LTR = 0x10;
    /** Message code: PM_PME. */
    public static final int CODE_PM_PME = 0x18;
    /** Message code: ERR_COR. */
    public static final int CODE_ERR_COR = 0x30;
    /** Message code: ERR_NONFATAL. */
    public static final int CODE_ERR_NONFATAL = 0x31;
    /** Message code: ERR_FATAL. */
    public static final int CODE_ERR_FATAL = 0x33;
    /** Message code: PTM Request. */
    public static final int CODE_PTM_REQUEST = 0x52;
    /** Message code: PTM Response. */
    public static final int CODE_PTM_RESPONSE = 0x53;
    /** Message code: vendor-defined type 0. */
    public static final int CODE_VENDOR_0 = 0x7E;
    /** Message code: vendor-defined type 1. */
    public static final int CODE_VENDOR_1 = 0x7F;

    /** {@inheritDoc} */
    @Override
    public MessageHeader wrap(final DirectBuffer buffer, final int offset)
    {
        super.wrap(buffer, offset);
        return this;
    }

    /**
     * Sets Fmt/Type for a message.
     *
     * @param withData true for MsgD.
     * @param routing  r[2:0].
     * @return this.
     */
    public MessageHeader message(final boolean withData, final int routing)
    {
        fmtType((withData ? TlpKind.MSGD : TlpKind.MSG).byte0(true, routing));
        return this;
    }

    /** @return routing r[2:0]. */
    public int routing()
    {
        return field(DW0, ROUTING);
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
    public MessageHeader requesterId(final int value)
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
    public MessageHeader tag(final int value)
    {
        field(DW1, TAG, value);
        tagHigh(value);
        return this;
    }

    /** @return Message Code. */
    public int messageCode()
    {
        return field(DW1, MESSAGE_CODE);
    }

    /**
     * @param value Message Code.
     * @return this.
     */
    public MessageHeader messageCode(final int value)
    {
        field(DW1, MESSAGE_CODE, value);
        return this;
    }

    /** @return DW2 as a raw value. */
    public int dw2()
    {
        return dw(DW2);
    }

    /**
     * @param value raw DW2.
     * @return this.
     */
    public MessageHeader dw2(final int value)
    {
        dw(DW2, value);
        return this;
    }

    /** @return DW3 as a raw value. */
    public int dw3()
    {
        return dw(DW3);
    }

    /**
     * @param value raw DW3.
     * @return this.
     */
    public MessageHeader dw3(final int value)
    {
        dw(DW3, value);
        return this;
    }

    /** @return the destination ID of an ID-routed message. */
    public int destinationId()
    {
        return field(DW2, DESTINATION_ID);
    }

    /**
     * @param value destination ID of an ID-routed message.
     * @return this.
     */
    public MessageHeader destinationId(final int value)
    {
        field(DW2, DESTINATION_ID, value);
        return this;
    }

    /** @return the address of an address-routed message, bits 1:0 clear. */
    public long address()
    {
        return ((dw(DW2) & 0xFFFF_FFFFL) << 32) | (dw(DW3) & 0xFFFF_FFFCL);
    }

    /**
     * @param value address of an address-routed message.
     * @return this.
     */
    public MessageHeader address(final long value)
    {
        dw(DW2, (int)(value >>> 32));
        dw(DW3, (dw(DW3) & 0b11) | ((int)value & 0xFFFF_FFFC));
        return this;
    }

    /**
     * @param code Message Code.
     * @return a short name for the code, or "Msg" for codes not listed here.
     */
    public static String codeName(final int code)
    {
        switch (code)
        {
            case CODE_UNLOCK:
                return "Unlock";
            case CODE_ATS_INVALIDATE_REQUEST:
                return "InvReq";
            case CODE_ATS_INVALIDATE_COMPLETION:
                return "InvCpl";
            case CODE_PAGE_REQUEST:
                return "PageReq";
            case CODE_PRG_RESPONSE:
                return "PrgResp";
            case CODE_LTR:
                return "LTR";
            case CODE_PM_PME:
                return "PM_PME";
            case CODE_ERR_COR:
                return "ERR_COR";
            case CODE_ERR_NONFATAL:
                return "ERR_NONFATAL";
            case CODE_ERR_FATAL:
                return "ERR_FATAL";
            case CODE_PTM_REQUEST:
                return "PTMReq";
            case CODE_PTM_RESPONSE:
                return "PTMResp";
            case CODE_VENDOR_0:
                return "Vendor0";
            case CODE_VENDOR_1:
                return "Vendor1";
            default:
                return "Msg";
        }
    }
}
