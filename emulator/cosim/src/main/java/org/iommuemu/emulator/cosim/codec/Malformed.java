package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.cosim.wire.ErrorLayout;

/**
 * What {@link RemotePortMessageDecoder} emits for a packet whose header was read but whose payload is not valid
 * (short, inconsistent offsets, an unknown command): the header, the offset of the offending field and why. The
 * handler answers it (an error response) or ends the session; it is never encoded.
 */
public final class Malformed extends RpPacket
{
    private final int code;
    private final int fieldOffset;
    private final String reason;
    private final int length;

    public Malformed(final int command, final int code, final int fieldOffset, final String reason, final int length)
    {
        super(command);
        this.code = code;
        this.fieldOffset = fieldOffset;
        this.reason = reason;
        this.length = length;
    }

    /** {@link ErrorLayout#MALFORMED} or {@link ErrorLayout#UNKNOWN_COMMAND}. */
    public int code()
    {
        return code;
    }

    /** Offset, in the packet, of the field found wrong. */
    public int fieldOffset()
    {
        return fieldOffset;
    }

    public String reason()
    {
        return reason;
    }

    /** The header's {@code len}. */
    public int length()
    {
        return length;
    }

    public String describe()
    {
        return super.describe() + " len " + Integer.toUnsignedString(length) + ": " + ErrorLayout.codeName(code) + " at @" +
            fieldOffset + ": " + reason;
    }
}
