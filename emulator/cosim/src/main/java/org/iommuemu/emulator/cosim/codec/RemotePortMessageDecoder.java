package org.iommuemu.emulator.cosim.codec;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.BusAccessLayout;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.HelloLayout;
import org.iommuemu.emulator.cosim.wire.InterruptLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.SyncLayout;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;

/**
 * The second stage: one packet's bytes (from {@link RemotePortFrameDecoder}) to an {@link RpPacket}, every field
 * checked against its command's layout (docs/protocol.md 6, 7). The wire is the one of docs/protocol.md 2:
 * <pre>
 * @0 cmd  @4 len  @8 id  @12 flags  @16 dev  @20 payload (len bytes), all big-endian
 * </pre>
 * A packet that cannot be what its command says (shorter than the command's fixed layout, a capability list or data
 * outside the packet, data that disagrees with the access length, reserved bits set, an unknown command) becomes a
 * {@link Malformed} naming the offset of the field found wrong; nothing here throws on bad bytes, and the decision
 * what to do with it (an error response, or the end of the session) is the handler's. The decoder does not know
 * what the session negotiated: an extension packet is decoded whoever sent it.
 */
public final class RemotePortMessageDecoder extends MessageToMessageDecoder<ByteBuf>
{
    private long streamOffset;

    public RemotePortMessageDecoder()
    {
        super(ByteBuf.class);
    }

    @Override
    protected void decode(final ChannelHandlerContext ctx, final ByteBuf frame, final List<Object> out)
    {
        final long offset = streamOffset;
        streamOffset += frame.readableBytes();
        out.add(decode(frame, offset));
    }

    /** Decode one packet (header included) that starts at {@code frame.readerIndex()}; {@code offset} is its stream offset. */
    public static RpPacket decode(final ByteBuf frame, final long offset)
    {
        final int base = frame.readerIndex();
        final int size = frame.readableBytes();
        if (size < RemotePort.HEADER_LENGTH)
        {
            return new Malformed(size >= 4 ? frame.getInt(base) : -1, ErrorLayout.MALFORMED, size, "a packet needs the 20-byte header, " +
                "only " + size + " bytes", 0).streamOffset(offset);
        }
        final int command = frame.getInt(base + RemotePort.CMD_OFFSET);
        final int length = frame.getInt(base + RemotePort.LEN_OFFSET);
        final int id = frame.getInt(base + RemotePort.ID_OFFSET);
        final int flags = frame.getInt(base + RemotePort.FLAGS_OFFSET);
        final int dev = frame.getInt(base + RemotePort.DEV_OFFSET);
        final RpPacket packet;
        if (Integer.toUnsignedLong(length) != size - RemotePort.HEADER_LENGTH)
        {
            packet = new Malformed(command, ErrorLayout.MALFORMED, RemotePort.LEN_OFFSET, "len " + Integer.toUnsignedString(length) +
                " but " + (size - RemotePort.HEADER_LENGTH) + " payload bytes", length);
        }
        else if ((flags & RemotePort.FLAG_IE_ERROR) != 0 && (flags & RemotePort.FLAG_RESPONSE) != 0)
        {
            packet = errorResponse(frame, base, size, command);
        }
        else
        {
            packet = byCommand(frame, base, size, command, flags);
        }
        packet.command(command).id(id).flags(flags).dev(dev).streamOffset(offset);
        return packet;
    }

    private static RpPacket byCommand(final ByteBuf frame, final int base, final int size, final int command, final int flags)
    {
        final boolean response = (flags & RemotePort.FLAG_RESPONSE) != 0;
        switch (command)
        {
            case RemotePort.CMD_NOP:
                return new Control(RemotePort.CMD_NOP);
            case RemotePort.CMD_HELLO:
                return hello(frame, base, size);
            case RemotePort.CMD_CFG:
                if (size < SyncLayout.CFG_LENGTH)
                {
                    return tooShort(command, size, SyncLayout.CFG_LENGTH);
                }
                return new Control(RemotePort.CMD_CFG).cfg(frame.getInt(base + SyncLayout.CFG_OPT_OFFSET),
                    frame.getUnsignedByte(base + SyncLayout.CFG_SET_OFFSET));
            case RemotePort.CMD_READ:
            case RemotePort.CMD_WRITE:
                return busAccess(frame, base, size, command, response);
            case RemotePort.CMD_INTERRUPT:
                if (size < InterruptLayout.LENGTH)
                {
                    return tooShort(command, size, InterruptLayout.LENGTH);
                }
                return new Interrupt().timestamp(frame.getLong(base + InterruptLayout.TIMESTAMP_OFFSET))
                    .vector(frame.getLong(base + InterruptLayout.VECTOR_OFFSET)).line(frame.getInt(base + InterruptLayout.LINE_OFFSET))
                    .value(frame.getUnsignedByte(base + InterruptLayout.VAL_OFFSET));
            case RemotePort.CMD_SYNC:
                if (size < SyncLayout.LENGTH)
                {
                    return tooShort(command, size, SyncLayout.LENGTH);
                }
                return new Sync().timestamp(frame.getLong(base + SyncLayout.TIMESTAMP_OFFSET));
            case RemotePort.CMD_ATS_REQ:
            case RemotePort.CMD_ATS_INV:
                return ats(frame, base, size, command);
            case RemotePort.CMD_IE_TLP:
                return response ? tlpResponse(frame, base, size) : tlpRequest(frame, base, size);
            case RemotePort.CMD_IE_STATS:
                if (!response && size != RemotePort.HEADER_LENGTH)
                {
                    return new Malformed(command, ErrorLayout.MALFORMED, RemotePort.LEN_OFFSET, "an IE_STATS request has no payload, not " +
                        (size - RemotePort.HEADER_LENGTH) + " bytes", size - RemotePort.HEADER_LENGTH);
                }
                return new Stats().text(frame.toString(base + RemotePort.HEADER_LENGTH, size - RemotePort.HEADER_LENGTH,
                    StandardCharsets.UTF_8));
            default:
                return new Malformed(command, ErrorLayout.UNKNOWN_COMMAND, RemotePort.CMD_OFFSET, "unknown command 0x" +
                    Integer.toHexString(command), size - RemotePort.HEADER_LENGTH);
        }
    }

    private static RpPacket hello(final ByteBuf frame, final int base, final int size)
    {
        if (size < HelloLayout.MINIMUM_LENGTH)
        {
            return tooShort(RemotePort.CMD_HELLO, size, HelloLayout.MINIMUM_LENGTH);
        }
        final Hello hello = new Hello().version(frame.getUnsignedShort(base + HelloLayout.MAJOR_OFFSET),
            frame.getUnsignedShort(base + HelloLayout.MINOR_OFFSET));
        if (size < HelloLayout.LENGTH)
        {
            // remote-port: a HELLO without the capability fields has no capabilities.
            return hello;
        }
        final long capsOffset = frame.getUnsignedInt(base + HelloLayout.CAPS_OFFSET_OFFSET);
        final int count = frame.getUnsignedShort(base + HelloLayout.CAPS_COUNT_OFFSET);
        if (count == 0)
        {
            return hello;
        }
        if (capsOffset < HelloLayout.LENGTH || capsOffset + (long)count * HelloLayout.CAP_SIZE > size)
        {
            return new Malformed(RemotePort.CMD_HELLO, ErrorLayout.MALFORMED, HelloLayout.CAPS_OFFSET_OFFSET, "the capability list (" +
                count + " at offset " + capsOffset + ") is not inside the " + size + "-byte packet after its fixed part",
                size - RemotePort.HEADER_LENGTH);
        }
        final int[] caps = new int[count];
        for (int i = 0; i < count; i++)
        {
            caps[i] = frame.getInt(base + (int)capsOffset + i * HelloLayout.CAP_SIZE);
        }
        return hello.capabilities(caps);
    }

    private static RpPacket busAccess(final ByteBuf frame, final int base, final int size, final int command, final boolean response)
    {
        if (size < BusAccessLayout.BASE_LENGTH)
        {
            return tooShort(command, size, BusAccessLayout.BASE_LENGTH);
        }
        final BusAccess access = new BusAccess(command)
            .timestamp(frame.getLong(base + BusAccessLayout.TIMESTAMP_OFFSET))
            .attributes(frame.getLong(base + BusAccessLayout.ATTRIBUTES_OFFSET))
            .address(frame.getLong(base + BusAccessLayout.ADDR_OFFSET))
            .length(frame.getInt(base + BusAccessLayout.LEN_OFFSET))
            .width(frame.getInt(base + BusAccessLayout.WIDTH_OFFSET))
            .streamWidth(frame.getInt(base + BusAccessLayout.STREAM_WIDTH_OFFSET))
            .masterId(frame.getUnsignedShort(base + BusAccessLayout.MASTER_ID_OFFSET));
        final boolean carriesData = command == RemotePort.CMD_WRITE ? !response : response;
        final long dataLength = carriesData ? Integer.toUnsignedLong(access.length()) : 0;
        if (!access.extended())
        {
            final long available = size - BusAccessLayout.BASE_LENGTH;
            // A response that reports an error may come without data.
            if (available != dataLength && !(response && available == 0 && access.responseCode() != 0))
            {
                return new Malformed(command, ErrorLayout.MALFORMED, BusAccessLayout.LEN_OFFSET, (carriesData ? "len " + dataLength +
                    " but " + available + " data bytes" : "no data expected, " + available + " bytes follow") + " (base layout)",
                    size - RemotePort.HEADER_LENGTH);
            }
            return access.data(copy(frame, base + BusAccessLayout.BASE_LENGTH, (int)available));
        }
        if (size < BusAccessLayout.EXTENDED_LENGTH)
        {
            return new Malformed(command, ErrorLayout.MALFORMED, BusAccessLayout.ATTRIBUTES_OFFSET, "attribute bit 2 (EXT_BASE) set but " +
                "the packet has " + size + " bytes, fewer than the extended layout's " + BusAccessLayout.EXTENDED_LENGTH,
                size - RemotePort.HEADER_LENGTH);
        }
        access.masterId(access.masterId() | ((long)frame.getUnsignedShort(base + BusAccessLayout.MASTER_ID_31_16_OFFSET) << 16) |
            (frame.getUnsignedInt(base + BusAccessLayout.MASTER_ID_63_32_OFFSET) << 32));
        final long dataOffset = frame.getUnsignedInt(base + BusAccessLayout.DATA_OFFSET_OFFSET);
        access.nextOffset(frame.getUnsignedInt(base + BusAccessLayout.NEXT_OFFSET_OFFSET));
        final long enableOffset = frame.getUnsignedInt(base + BusAccessLayout.BYTE_ENABLE_OFFSET_OFFSET);
        final long enableLength = frame.getUnsignedInt(base + BusAccessLayout.BYTE_ENABLE_LEN_OFFSET);
        long dataPresent = dataLength;
        if (dataLength > 0)
        {
            if (dataOffset < BusAccessLayout.EXTENDED_LENGTH || dataOffset + dataLength > size)
            {
                if (response && access.responseCode() != 0 && dataOffset + dataLength > size)
                {
                    dataPresent = 0;
                }
                else
                {
                    return new Malformed(command, ErrorLayout.MALFORMED, BusAccessLayout.DATA_OFFSET_OFFSET, "data_offset " + dataOffset +
                        " with " + dataLength + " data bytes is not inside the " + size + "-byte packet after the extended layout",
                        size - RemotePort.HEADER_LENGTH);
                }
            }
        }
        if (enableLength > 0)
        {
            if (enableOffset < BusAccessLayout.EXTENDED_LENGTH || enableOffset + enableLength > size)
            {
                return new Malformed(command, ErrorLayout.MALFORMED, BusAccessLayout.BYTE_ENABLE_OFFSET_OFFSET, "byte enables (" +
                    enableLength + " at " + enableOffset + ") are not inside the " + size + "-byte packet after the extended layout",
                    size - RemotePort.HEADER_LENGTH);
            }
            access.byteEnables(copy(frame, base + (int)enableOffset, (int)enableLength));
        }
        return access.data(copy(frame, base + (int)dataOffset, (int)dataPresent));
    }

    private static RpPacket ats(final ByteBuf frame, final int base, final int size, final int command)
    {
        if (size < AtsLayout.LENGTH)
        {
            return tooShort(command, size, AtsLayout.LENGTH);
        }
        final Ats ats = new Ats(command).timestamp(frame.getLong(base + AtsLayout.TIMESTAMP_OFFSET))
            .attributes(frame.getLong(base + AtsLayout.ATTRIBUTES_OFFSET))
            .address(frame.getLong(base + AtsLayout.ADDR_OFFSET))
            .length(frame.getLong(base + AtsLayout.LEN_OFFSET))
            .result(frame.getInt(base + AtsLayout.RESULT_OFFSET));
        for (int i = 0; i < AtsLayout.RESERVED_COUNT; i++)
        {
            ats.reserved(i, frame.getLong(base + AtsLayout.RESERVED0_OFFSET + i * 8));
        }
        return ats;
    }

    private static RpPacket tlpRequest(final ByteBuf frame, final int base, final int size)
    {
        final int command = RemotePort.CMD_IE_TLP;
        if (size < TlpCommandLayout.REQUEST_LENGTH)
        {
            return tooShort(command, size, TlpCommandLayout.REQUEST_LENGTH);
        }
        final int tlpFlags = frame.getInt(base + TlpCommandLayout.FLAGS_OFFSET);
        if ((tlpFlags & ~TlpCommandLayout.FLAGS_DEFINED) != 0)
        {
            return new Malformed(command, ErrorLayout.MALFORMED, TlpCommandLayout.FLAGS_OFFSET, "reserved TLP flags 0x" +
                Integer.toHexString(tlpFlags & ~TlpCommandLayout.FLAGS_DEFINED) + " set", size - RemotePort.HEADER_LENGTH);
        }
        final long tlpLength = frame.getUnsignedInt(base + TlpCommandLayout.TLP_LENGTH_OFFSET);
        if (tlpLength != size - TlpCommandLayout.REQUEST_LENGTH || tlpLength > TlpCommandLayout.MAX_TLP_LENGTH)
        {
            return new Malformed(command, ErrorLayout.MALFORMED, TlpCommandLayout.TLP_LENGTH_OFFSET, "tlp_len " + tlpLength + " but " +
                (size - TlpCommandLayout.REQUEST_LENGTH) + " TLP bytes follow (at most " + TlpCommandLayout.MAX_TLP_LENGTH + ")",
                size - RemotePort.HEADER_LENGTH);
        }
        final TlpRequest request = new TlpRequest().timestamp(frame.getLong(base + TlpCommandLayout.TIMESTAMP_OFFSET)).tlpFlags(tlpFlags);
        return request.tlp(copy(frame, base + TlpCommandLayout.TLP_OFFSET, (int)tlpLength));
    }

    private static RpPacket tlpResponse(final ByteBuf frame, final int base, final int size)
    {
        final int command = RemotePort.CMD_IE_TLP;
        if (size < TlpCommandLayout.RESPONSE_LENGTH)
        {
            return tooShort(command, size, TlpCommandLayout.RESPONSE_LENGTH);
        }
        final TlpResponse r = new TlpResponse();
        r.timestamp = frame.getLong(base + TlpCommandLayout.TIMESTAMP_OFFSET);
        r.trafficClass = frame.getUnsignedByte(base + TlpCommandLayout.CLASS_OFFSET);
        r.outcome = frame.getUnsignedByte(base + TlpCommandLayout.OUTCOME_OFFSET);
        r.resultFlags = frame.getUnsignedByte(base + TlpCommandLayout.RESULT_FLAGS_OFFSET);
        r.access = frame.getUnsignedByte(base + TlpCommandLayout.ACCESS_OFFSET);
        r.requesterId = frame.getUnsignedShort(base + TlpCommandLayout.REQUESTER_OFFSET);
        r.pageSizeLg2 = frame.getUnsignedByte(base + TlpCommandLayout.PAGE_SIZE_OFFSET);
        r.permissions = frame.getUnsignedByte(base + TlpCommandLayout.PERMISSIONS_OFFSET);
        r.pasid = frame.getInt(base + TlpCommandLayout.PASID_OFFSET);
        r.address = frame.getLong(base + TlpCommandLayout.ADDRESS_OFFSET);
        r.outputAddress = frame.getLong(base + TlpCommandLayout.OUTPUT_ADDRESS_OFFSET);
        r.latencyCycles = frame.getLong(base + TlpCommandLayout.LATENCY_OFFSET);
        r.arrivalCycle = frame.getLong(base + TlpCommandLayout.ARRIVAL_OFFSET);
        r.tableFetches = frame.getInt(base + TlpCommandLayout.TABLE_FETCHES_OFFSET);
        r.rmpFetches = frame.getInt(base + TlpCommandLayout.RMP_FETCHES_OFFSET);
        r.faultCode = frame.getInt(base + TlpCommandLayout.FAULT_CODE_OFFSET);
        r.faultFamily = frame.getUnsignedByte(base + TlpCommandLayout.FAULT_FAMILY_OFFSET);
        r.at = frame.getUnsignedByte(base + TlpCommandLayout.AT_OFFSET);
        r.tlpError = frame.getUnsignedByte(base + TlpCommandLayout.TLP_ERROR_OFFSET);
        final int nameLength = frame.getUnsignedByte(base + TlpCommandLayout.NAME_LENGTH_OFFSET);
        r.tlpErrorOffset = frame.getInt(base + TlpCommandLayout.TLP_ERROR_POSITION_OFFSET);
        r.completionEntry = frame.getLong(base + TlpCommandLayout.COMPLETION_ENTRY_OFFSET);
        if (TlpCommandLayout.RESPONSE_LENGTH + nameLength != size)
        {
            return new Malformed(command, ErrorLayout.MALFORMED, TlpCommandLayout.NAME_LENGTH_OFFSET, "name length " + nameLength +
                " but " + (size - TlpCommandLayout.RESPONSE_LENGTH) + " bytes follow", size - RemotePort.HEADER_LENGTH);
        }
        for (int i = 0; i < nameLength; i++)
        {
            final int b = frame.getUnsignedByte(base + TlpCommandLayout.NAME_OFFSET + i);
            if (b < 0x20 || b > 0x7E)
            {
                return new Malformed(command, ErrorLayout.MALFORMED, TlpCommandLayout.NAME_OFFSET + i, "the outcome name holds byte 0x" +
                    Integer.toHexString(b) + ", not printable ASCII", size - RemotePort.HEADER_LENGTH);
            }
        }
        r.name = frame.toString(base + TlpCommandLayout.NAME_OFFSET, nameLength, StandardCharsets.US_ASCII);
        return r;
    }

    private static RpPacket errorResponse(final ByteBuf frame, final int base, final int size, final int command)
    {
        if (size < ErrorLayout.LENGTH)
        {
            return tooShort(command, size, ErrorLayout.LENGTH);
        }
        final ErrorResponse error = new ErrorResponse(command);
        return error.set(frame.getInt(base + ErrorLayout.CODE_OFFSET), frame.getLong(base + ErrorLayout.STREAM_OFFSET_OFFSET),
            frame.getInt(base + ErrorLayout.FIELD_OFFSET_OFFSET),
            frame.toString(base + ErrorLayout.REASON_OFFSET, size - ErrorLayout.LENGTH, StandardCharsets.UTF_8));
    }

    private static Malformed tooShort(final int command, final int size, final int needed)
    {
        return new Malformed(command, ErrorLayout.MALFORMED, RemotePort.LEN_OFFSET, RemotePort.commandName(command) + " needs " + needed +
            " bytes, the packet has " + size, size - RemotePort.HEADER_LENGTH);
    }

    private static final byte[] NO_BYTES = new byte[0];

    /** {@code length} bytes at {@code index}; no read at all for none (the offset of an empty field may be anything). */
    private static byte[] copy(final ByteBuf frame, final int index, final int length)
    {
        if (length == 0)
        {
            return NO_BYTES;
        }
        final byte[] bytes = new byte[length];
        frame.getBytes(index, bytes);
        return bytes;
    }
}
