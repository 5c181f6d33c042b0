package org.iommuemu.emulator.cosim.codec;

import java.nio.charset.StandardCharsets;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.BusAccessLayout;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.HelloLayout;
import org.iommuemu.emulator.cosim.wire.InterruptLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.SyncLayout;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;

/**
 * The outbound stage: an {@link RpPacket} to its bytes (docs/protocol.md 2, 6, 7). The header's {@code len} is
 * computed here from what the packet carries. A bus access is written in the layout its EXT_BASE attribute selects;
 * the extended layout puts the data right after the 80 bytes and the byte enables after the data, as remote-port's
 * own encoder does. {@link RawPacket}s go out byte for byte.
 */
public final class RemotePortEncoder extends MessageToByteEncoder<RpPacket>
{
    public RemotePortEncoder()
    {
        super(RpPacket.class);
    }

    @Override
    protected void encode(final ChannelHandlerContext ctx, final RpPacket packet, final ByteBuf out)
    {
        encode(packet, out);
    }

    /** Append {@code packet}'s bytes to {@code out}. */
    public static void encode(final RpPacket packet, final ByteBuf out)
    {
        if (packet instanceof RawPacket raw)
        {
            out.writeBytes(raw.bytes());
            return;
        }
        final int start = out.writerIndex();
        out.writeInt(packet.command()).writeInt(0).writeInt(packet.id()).writeInt(packet.flags()).writeInt(packet.dev());
        if (packet instanceof Hello hello)
        {
            final int[] caps = hello.capabilities();
            out.writeShort(hello.major()).writeShort(hello.minor()).writeInt(HelloLayout.LENGTH).writeShort(caps.length).writeShort(0);
            for (final int cap : caps)
            {
                out.writeInt(cap);
            }
        }
        else if (packet instanceof BusAccess access)
        {
            busAccess(access, out);
        }
        else if (packet instanceof Ats ats)
        {
            out.writeLong(ats.timestamp()).writeLong(ats.attributes()).writeLong(ats.address())
                .writeLong(ats.length()).writeInt(ats.result());
            for (int i = 0; i < AtsLayout.RESERVED_COUNT; i++)
            {
                out.writeLong(ats.reserved(i));
            }
        }
        else if (packet instanceof Interrupt interrupt)
        {
            out.writeLong(interrupt.timestamp()).writeLong(interrupt.vector()).writeInt(interrupt.line()).writeByte(interrupt.value());
        }
        else if (packet instanceof Sync sync)
        {
            out.writeLong(sync.timestamp());
        }
        else if (packet instanceof Control control)
        {
            if (control.command() == RemotePort.CMD_CFG)
            {
                out.writeInt(control.option()).writeByte(control.set());
            }
        }
        else if (packet instanceof TlpRequest tlp)
        {
            out.writeLong(tlp.timestamp()).writeInt(tlp.tlpFlags()).writeInt(tlp.tlp().length).writeBytes(tlp.tlp());
        }
        else if (packet instanceof TlpResponse r)
        {
            tlpResponse(r, out);
        }
        else if (packet instanceof Stats stats)
        {
            out.writeCharSequence(stats.text(), StandardCharsets.UTF_8);
        }
        else if (packet instanceof ErrorResponse error)
        {
            out.writeInt(error.code()).writeLong(error.packetOffset()).writeInt(error.fieldOffset());
            out.writeCharSequence(error.reason(), StandardCharsets.UTF_8);
        }
        else
        {
            throw new IllegalArgumentException("cannot encode " + packet.getClass().getSimpleName() + ": " + packet.describe());
        }
        out.setInt(start + RemotePort.LEN_OFFSET, out.writerIndex() - start - RemotePort.HEADER_LENGTH);
    }

    private static void busAccess(final BusAccess access, final ByteBuf out)
    {
        final byte[] data = access.data();
        final byte[] enables = access.byteEnables();
        out.writeLong(access.timestamp()).writeLong(access.attributes()).writeLong(access.address()).writeInt(access.length())
            .writeInt(access.width()).writeInt(access.streamWidth()).writeShort((int)access.masterId());
        if (access.extended())
        {
            final int enableLength = enables == null ? 0 : enables.length;
            out.writeShort((int)(access.masterId() >>> 16)).writeInt((int)(access.masterId() >>> 32))
                .writeInt(BusAccessLayout.EXTENDED_LENGTH).writeInt((int)access.nextOffset())
                .writeInt(enableLength == 0 ? 0 : BusAccessLayout.EXTENDED_LENGTH + data.length).writeInt(enableLength);
            out.writeBytes(data);
            if (enableLength > 0)
            {
                out.writeBytes(enables);
            }
        }
        else
        {
            if (enables != null)
            {
                throw new IllegalArgumentException("byte enables need the extended layout: " + access.describe());
            }
            out.writeBytes(data);
        }
    }

    private static void tlpResponse(final TlpResponse r, final ByteBuf out)
    {
        final byte[] name = r.name.getBytes(StandardCharsets.US_ASCII);
        final int nameLength = Math.min(name.length, 255);
        out.writeLong(r.timestamp).writeByte(r.trafficClass).writeByte(r.outcome).writeByte(r.resultFlags).writeByte(r.access)
            .writeShort(r.requesterId).writeByte(r.pageSizeLg2).writeByte(r.permissions).writeInt(r.pasid)
            .writeLong(r.address).writeLong(r.outputAddress).writeLong(r.latencyCycles).writeLong(r.arrivalCycle)
            .writeInt(r.tableFetches).writeInt(r.rmpFetches).writeInt(r.faultCode).writeByte(r.faultFamily).writeByte(r.at)
            .writeByte(r.tlpError).writeByte(nameLength).writeInt(r.tlpErrorOffset).writeLong(r.completionEntry);
        out.writeBytes(name, 0, nameLength);
    }

    static
    {
        // The layouts this encoder writes field by field, checked once against the layout classes.
        check(InterruptLayout.LENGTH == 41 && SyncLayout.LENGTH == 28 && AtsLayout.LENGTH == 88 &&
            BusAccessLayout.BASE_LENGTH == 58 && BusAccessLayout.EXTENDED_LENGTH == 80 && HelloLayout.LENGTH == 32 &&
            TlpCommandLayout.REQUEST_LENGTH == 36 && TlpCommandLayout.RESPONSE_LENGTH == 100 && ErrorLayout.LENGTH == 36);
    }

    private static void check(final boolean layoutsAgree)
    {
        if (!layoutsAgree)
        {
            throw new ExceptionInInitializerError("a layout class disagrees with the encoder");
        }
    }
}
