package org.iommuemu.emulator.cosim.wire;

/**
 * The payload of an error response (flags {@code RESPONSE | IE_ERROR}; docs/protocol.md 9), sent only to a peer that
 * listed {@link RemotePort#IE_CONTROL}.
 * <pre>
 * @20 u32 error code   @24 u64 byte offset of the packet in the session's input stream
 * @32 u32 offset of the offending field in the packet   @36 UTF-8 reason (the rest)
 * </pre>
 */
public final class ErrorLayout
{
    public static final int CODE_OFFSET = RemotePort.HEADER_LENGTH;
    public static final int STREAM_OFFSET_OFFSET = CODE_OFFSET + 4;
    public static final int FIELD_OFFSET_OFFSET = STREAM_OFFSET_OFFSET + 8;
    public static final int REASON_OFFSET = FIELD_OFFSET_OFFSET + 4;
    public static final int LENGTH = REASON_OFFSET;

    public static final int MALFORMED = 1;
    public static final int UNKNOWN_COMMAND = 2;
    public static final int WRONG_CHANNEL = 3;
    public static final int NOT_NEGOTIATED = 4;
    public static final int SHUTTING_DOWN = 5;

    private ErrorLayout()
    {
    }

    public static String codeName(final int code)
    {
        switch (code)
        {
            case MALFORMED:
                return "malformed";
            case UNKNOWN_COMMAND:
                return "unknown command";
            case WRONG_CHANNEL:
                return "wrong channel";
            case NOT_NEGOTIATED:
                return "not negotiated";
            case SHUTTING_DOWN:
                return "shutting down";
            default:
                return "error " + code;
        }
    }
}
