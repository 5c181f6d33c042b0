package org.iommuemu.emulator.cosim.codec;

import org.iommuemu.emulator.config.Printable;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;

/**
 * An error response (flags RESPONSE | IE_ERROR; docs/protocol.md 9): the request's command, id and dev, the error
 * code, where the bad packet was and why.
 */
public final class ErrorResponse extends RpPacket
{
    private int code;
    private long packetOffset;
    private int fieldOffset;
    private String reason = "";

    public ErrorResponse(final int command)
    {
        super(command);
        flags(RemotePort.FLAG_RESPONSE | RemotePort.FLAG_IE_ERROR);
    }

    /** An error response to the packet with this header. */
    public static ErrorResponse to(final int command, final int id, final int dev, final int code, final long packetOffset,
        final int fieldOffset, final String reason)
    {
        final ErrorResponse response = new ErrorResponse(command);
        response.id(id).dev(dev);
        response.code = code;
        response.packetOffset = packetOffset;
        response.fieldOffset = fieldOffset;
        response.reason = reason;
        return response;
    }

    public int code()
    {
        return code;
    }

    public long packetOffset()
    {
        return packetOffset;
    }

    public int fieldOffset()
    {
        return fieldOffset;
    }

    public String reason()
    {
        return reason;
    }

    public ErrorResponse set(final int code, final long packetOffset, final int fieldOffset, final String reason)
    {
        this.code = code;
        this.packetOffset = packetOffset;
        this.fieldOffset = fieldOffset;
        this.reason = reason;
        return this;
    }

    /**
     * For logs: the reason shown with every character outside printable ASCII escaped (a backslash, x and two hex
     * digits below 0x100; a backslash, u and four above; a backslash doubled), since it is the peer's text: a reason with
     * line breaks or terminal control sequences could otherwise forge log lines or drive the operator's terminal.
     * Bytes that were not UTF-8 were decoded as U+FFFD and show escaped as that ({@link Printable#ascii}).
     */
    public String describe()
    {
        return super.describe() + " error " + ErrorLayout.codeName(code) + " (packet at byte " + packetOffset + ", field @" +
            fieldOffset + "): " + Printable.ascii(reason);
    }
}
