package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.Control;
import org.iommuemu.emulator.cosim.codec.ErrorResponse;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.Interrupt;
import org.iommuemu.emulator.cosim.codec.Malformed;
import org.iommuemu.emulator.cosim.codec.ProtocolException;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.codec.Stats;
import org.iommuemu.emulator.cosim.codec.Sync;
import org.iommuemu.emulator.cosim.codec.TlpRequest;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.scenario.Scenario;

/**
 * The last stage of a session's pipeline, on the network event loop: the handshake, the checks that need what the
 * session negotiated (docs/protocol.md 3, 9), answers that need no model (free-running SYNC, error responses), and the
 * hand-over of every other request to the {@link Session}'s model thread. Never runs the model, never waits.
 */
final class SessionHandler extends ChannelInboundHandlerAdapter
{
    /** The capabilities this server lists in its HELLO. */
    static final int[] CAPABILITIES = {RemotePort.CAP_BUSACCESS_EXT_BASE, RemotePort.CAP_BUSACCESS_EXT_BYTE_EN,
        RemotePort.CAP_WIRE_POSTED_UPDATES, RemotePort.CAP_ATS, RemotePort.IE_TRANSLATE, RemotePort.IE_TLP, RemotePort.IE_CONTROL};

    private final CosimServer server;
    private Session session;
    /** How long a session that ended on a fatal error keeps reading (and dropping) the peer's packets. */
    static final long LINGER_MILLIS = 2000;

    /** A fatal error ended the session: what still arrives is dropped until the channel closes. */
    private boolean closing;
    private boolean cfgLogged;
    /**
     * An ATS_REQ the event loop may answer itself ({@link Session#answerInline}) when it turns out to be the only
     * request of this read: a burst of pipelined requests goes to the model thread instead, in order, so that
     * decoding and the model run on two threads.
     */
    private RpPacket held;
    private boolean interruptLogged;

    SessionHandler(final CosimServer server)
    {
        this.server = server;
    }

    @Override
    public void channelActive(final ChannelHandlerContext ctx)
    {
        session = server.newSession(ctx.channel());
        final Hello hello = new Hello().capabilities(CAPABILITIES);
        hello.id(0).dev(0);
        ctx.writeAndFlush(hello);
        session.start();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(final ChannelHandlerContext ctx, final Object msg)
    {
        final RpPacket packet = (RpPacket)msg;
        session.packetsIn.count(packet.command());
        if (closing)
        {
            return; // after a fatal error: read and dropped, so that closing never resets what the peer has yet to read
        }
        if (!session.helloDone())
        {
            if (packet instanceof Hello hello)
            {
                if (hello.major() != RemotePort.VERSION_MAJOR)
                {
                    fatal(ctx, packet, ErrorLayout.MALFORMED, 20, "the peer speaks remote-port " + hello.major() + "." + hello.minor() +
                        ", this server " + RemotePort.VERSION_MAJOR + "." + RemotePort.VERSION_MINOR + " (the major versions must match)");
                    return;
                }
                server.log(session.name() + ": " + hello.describe());
                session.helloReceived(hello);
                return;
            }
            fatal(ctx, packet, ErrorLayout.MALFORMED, 0, "the first packet must be the peer's HELLO");
            return;
        }
        if (packet instanceof Hello)
        {
            fatal(ctx, packet, ErrorLayout.MALFORMED, 0, "a second HELLO");
            return;
        }
        if (packet instanceof Malformed malformed)
        {
            malformed(ctx, malformed);
            return;
        }
        if (packet.isResponse())
        {
            if (packet instanceof ErrorResponse error)
            {
                server.log(session.name() + ": the peer reports " + error.describe());
            }
            session.responseReceived(packet);
            return;
        }
        if (packet instanceof Control control)
        {
            if (control.command() == RemotePort.CMD_CFG && !cfgLogged)
            {
                cfgLogged = true;
                server.log(session.name() + ": ignoring CFG (remote-port 4.3 defines it but implements none)");
            }
            return;
        }
        if (packet instanceof Interrupt interrupt)
        {
            if (!interruptLogged)
            {
                interruptLogged = true;
                server.log(session.name() + ": ignoring " + interrupt.describe() + ": the IOMMU has no wires the peer can drive");
            }
            if (!interrupt.isPosted())
            {
                final Interrupt response = new Interrupt().timestamp(interrupt.timestamp()).vector(interrupt.vector())
                    .line(interrupt.line()).value(interrupt.value());
                response.answering(interrupt);
                ctx.writeAndFlush(response);
            }
            return;
        }
        if (packet instanceof Sync sync && server.scenario().cosim().sync() == Scenario.CosimSync.FREE_RUNNING)
        {
            final Sync response = new Sync().timestamp(sync.timestamp());
            response.answering(sync);
            ctx.writeAndFlush(response);
            return;
        }
        if (packet instanceof TlpRequest && !session.ieTlp())
        {
            fatal(ctx, packet, ErrorLayout.NOT_NEGOTIATED, 0, "IE_TLP from a peer that did not list the IE_TLP capability");
            return;
        }
        if (packet instanceof Stats && !session.ieControl())
        {
            fatal(ctx, packet, ErrorLayout.NOT_NEGOTIATED, 0, "IE_STATS from a peer that did not list the IE_CONTROL capability");
            return;
        }
        if (packet instanceof Ats ats && TranslateWords.valid(ats.reserved(0)) && !session.ieTranslate())
        {
            fatal(ctx, packet, ErrorLayout.NOT_NEGOTIATED, 56, "an ATS request word (reserved0 bit 63) from a peer that did not list " +
                "the IE_TRANSLATE capability");
            return;
        }
        if (packet instanceof BusAccess || packet instanceof Ats || packet instanceof TlpRequest || packet instanceof Stats ||
            packet instanceof Sync)
        {
            if (held != null)
            {
                session.enqueue(held);
                held = null;
            }
            else if (session.inlineCandidate(packet))
            {
                held = packet;
                return;
            }
            session.enqueue(packet);
            return;
        }
        fatal(ctx, packet, ErrorLayout.UNKNOWN_COMMAND, 0, "no handler for " + packet.describe());
    }

    private void malformed(final ChannelHandlerContext ctx, final Malformed malformed)
    {
        server.log(session.name() + ": " + malformed.describe());
        if (!session.ieControl())
        {
            server.log(session.name() + ": closing: the peer did not list IE_CONTROL, so it cannot be sent an error response");
            ctx.close();
            return;
        }
        if (session.countError())
        {
            fatal(ctx, malformed, malformed.code(), malformed.fieldOffset(), "more than " + server.options().maxErrors() +
                " bad packets");
            return;
        }
        if (!malformed.isResponse() && !malformed.isPosted())
        {
            ctx.writeAndFlush(ErrorResponse.to(malformed.command(), malformed.id(), malformed.dev(), malformed.code(),
                malformed.streamOffset(), malformed.fieldOffset(), malformed.reason()));
        }
    }

    /** End the session: logged with the packet and the field; an error response first when the peer can read one. */
    private void fatal(final ChannelHandlerContext ctx, final RpPacket packet, final int code, final int fieldOffset, final String reason)
    {
        server.log(session.name() + ": closing: " + packet.describe() + ", field @" + fieldOffset + ": " + reason);
        if (session.helloDone() && session.ieControl() && !packet.isResponse())
        {
            closing = true;
            ctx.writeAndFlush(ErrorResponse.to(packet.command(), packet.id(), packet.dev(), code, packet.streamOffset(), fieldOffset,
                reason)).addListener(future -> closeGracefully(ctx));
            return;
        }
        ctx.close();
    }

    /**
     * Close after the last response went out without losing it: closing a socket whose receive buffer still holds the
     * peer's unread packets makes TCP reset the connection, and a reset can discard responses the peer has not read yet
     * (a flood of bad packets ends exactly so). So the server half-closes (FIN after its last response), keeps reading
     * and dropping what arrives until the peer closes, and closes anyway after {@link #LINGER_MILLIS}.
     */
    private static void closeGracefully(final ChannelHandlerContext ctx)
    {
        if (ctx.channel() instanceof DuplexChannel duplex && duplex.isActive())
        {
            duplex.shutdownOutput();
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            return;
        }
        ctx.close();
    }

    @Override
    public void channelReadComplete(final ChannelHandlerContext ctx)
    {
        final RpPacket packet = held;
        if (packet != null)
        {
            held = null;
            if (!session.answerInline(packet))
            {
                session.enqueue(packet);
                session.awaitAnswer();
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
    {
        final Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (c instanceof ProtocolException)
        {
            server.log(session.name() + ": closing: " + c.getMessage());
        }
        else if (c instanceof IOException)
        {
            server.log(session.name() + ": connection error: " + c.getMessage());
        }
        else
        {
            server.log(session.name() + ": closing on " + c);
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(final ChannelHandlerContext ctx, final Object event)
    {
        if (event instanceof IdleStateEvent)
        {
            server.log(session.name() + ": closing: no packet from the peer for " + server.options().idleSeconds() + " s (--idle-timeout)");
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelWritabilityChanged(final ChannelHandlerContext ctx)
    {
        session.writabilityChanged();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(final ChannelHandlerContext ctx)
    {
        if (session != null)
        {
            session.closed();
        }
        ctx.fireChannelInactive();
    }
}
