package org.iommuemu.emulator.cosim.server;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import org.iommuemu.emulator.cosim.codec.RemotePortEncoder;
import org.iommuemu.emulator.cosim.codec.RemotePortFrameDecoder;
import org.iommuemu.emulator.cosim.codec.RemotePortMessageDecoder;
import org.iommuemu.emulator.scenario.Scenario;

/**
 * The co-simulation server (docs/protocol.md): listens on a loopback TCP port by default, or on a UNIX domain socket
 * (Netty's NIO transport, which supports them on Java 16 and later, so no native transport is needed); every
 * connection is a {@link Session} with its own platform built from the scenario and its own model thread.
 * <p>
 * The pipeline per connection, roles kept apart: {@link IdleStateHandler} (the idle time-out),
 * {@link RemotePortFrameDecoder} (packets out of the stream, the maximum frame size), {@link RemotePortMessageDecoder}
 * (packets to typed messages), {@link RemotePortEncoder} (typed messages to bytes), {@link SessionHandler} (handshake,
 * negotiation, hand-over to the model thread). One event loop thread serves every connection; the models run on their
 * sessions' threads.
 * <p>
 * {@link #close()} is the graceful shutdown: stop accepting, let every session carry out what it has queued within the
 * grace period, fail the rest, print each session's statistics, close.
 */
public final class CosimServer implements AutoCloseable
{
    private final Scenario scenario;
    private final ServerOptions options;
    private final Consumer<String> log;
    private final Consumer<String> statistics;
    private volatile Consumer<ObjectNode> jsonStatistics = json -> { };
    private volatile SessionOutputs outputs = SessionOutputs.NONE;
    private final Map<Integer, Session> sessions = new ConcurrentHashMap<>();
    private final AtomicInteger sessionNumbers = new AtomicInteger();
    private EventLoopGroup group;
    private Channel serverChannel;
    private String address;
    private volatile boolean closed;

    /**
     * @param log        one line per event (connections, errors with the session, packet and offset).
     * @param statistics each session's statistics when it ends.
     */
    public CosimServer(final Scenario scenario, final ServerOptions options, final Consumer<String> log,
        final Consumer<String> statistics)
    {
        this.scenario = scenario;
        this.options = options;
        this.log = log;
        this.statistics = statistics;
    }

    /** Bind and start accepting; returns where it listens: {@code tcp:HOST:PORT} or {@code unix:PATH}. */
    public String start() throws IOException, InterruptedException
    {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final ServerBootstrap bootstrap = new ServerBootstrap().group(group)
            .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(ServerOptions.WRITE_BUFFER_LOW, ServerOptions.WRITE_BUFFER_HIGH))
            .childHandler(new ChannelInitializer<Channel>()
            {
                @Override
                protected void initChannel(final Channel channel)
                {
                    final ChannelPipeline p = channel.pipeline();
                    if (options.idleSeconds() > 0)
                    {
                        p.addLast("idle", new IdleStateHandler(options.idleSeconds(), 0, 0, TimeUnit.SECONDS));
                    }
                    p.addLast("frames", new RemotePortFrameDecoder(options.maxFrame()));
                    p.addLast("messages", new RemotePortMessageDecoder());
                    p.addLast("encoder", new RemotePortEncoder());
                    p.addLast("session", new SessionHandler(CosimServer.this));
                }
            });
        final Path unix = options.unixPath();
        try
        {
            if (unix != null)
            {
                if (Files.exists(unix))
                {
                    throw new IOException(unix + " exists: remove it (a socket left by an earlier server) or choose another path");
                }
                bootstrap.channel(NioServerDomainSocketChannel.class);
                serverChannel = bootstrap.bind(UnixDomainSocketAddress.of(unix)).sync().channel();
                address = "unix:" + unix;
            }
            else
            {
                bootstrap.channel(NioServerSocketChannel.class).childOption(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_REUSEADDR, true);
                serverChannel = bootstrap.bind(new InetSocketAddress(options.host(), options.port())).sync().channel();
                final InetSocketAddress bound = (InetSocketAddress)serverChannel.localAddress();
                address = "tcp:" + bound.getHostString() + ":" + bound.getPort();
            }
        }
        catch (final IOException | InterruptedException | RuntimeException ex)
        {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw ex;
        }
        return address;
    }

    /** Where the server listens ({@code tcp:HOST:PORT} or {@code unix:PATH}); null before {@link #start()}. */
    public String address()
    {
        return address;
    }

    /** The bound TCP port, or -1 for a UNIX socket. */
    public int port()
    {
        final SocketAddress local = serverChannel == null ? null : serverChannel.localAddress();
        return local instanceof InetSocketAddress inet ? inet.getPort() : -1;
    }

    public Scenario scenario()
    {
        return scenario;
    }

    public ServerOptions options()
    {
        return options;
    }

    /** Sessions connected now. */
    public int activeSessions()
    {
        return sessions.size();
    }

    void log(final String line)
    {
        log.accept("iommu-emu: " + line);
    }

    Session newSession(final Channel channel)
    {
        final Session session = new Session(sessionNumbers.incrementAndGet(), channel, this);
        sessions.put(session.number(), session);
        if (closed)
        {
            channel.close();
        }
        return session;
    }

    /**
     * Also hand each ended session's statistics as JSON (kind {@code cosim_session}, docs/results.md) to
     * {@code listener}, called from the session's thread before its text goes to the statistics consumer. Set it
     * before {@link #start()}.
     */
    public CosimServer jsonStatistics(final Consumer<ObjectNode> listener)
    {
        this.jsonStatistics = listener == null ? json -> { } : listener;
        return this;
    }

    /**
     * Have every session write its requests' results and logs into files of {@code outputs}' folder (which must exist).
     * Set it before {@link #start()}.
     */
    public CosimServer sessionOutputs(final SessionOutputs outputs)
    {
        this.outputs = outputs == null ? SessionOutputs.NONE : outputs;
        return this;
    }

    SessionOutputs sessionOutputs()
    {
        return outputs;
    }

    void sessionEnded(final Session session, final String text, final ObjectNode json)
    {
        sessions.remove(session.number());
        try
        {
            jsonStatistics.accept(json);
        }
        finally
        {
            statistics.accept(text);
        }
    }

    /**
     * Graceful shutdown: stop accepting; each session carries out what it has queued for up to the grace period and
     * fails the rest (docs/protocol.md 1, 9); wait for every session's statistics; release the event loop.
     */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        if (serverChannel != null)
        {
            serverChannel.close().awaitUninterruptibly();
        }
        final List<Session> open = new ArrayList<>(sessions.values());
        for (final Session session : open)
        {
            session.shutdown(options.graceMillis());
        }
        final long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.graceMillis());
        for (final Session session : open)
        {
            join(session, graceEnd);
        }
        for (final Session session : open)
        {
            if (session.thread() != null && session.thread().isAlive())
            {
                session.abortPending();
                join(session, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
            }
            if (session.thread() != null && session.thread().isAlive())
            {
                log(session.name() + ": its model did not stop within the grace period; closing its connection");
                session.channel().close();
            }
        }
        if (group != null)
        {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
        if (options.unixPath() != null)
        {
            try
            {
                Files.deleteIfExists(options.unixPath());
            }
            catch (final IOException ex)
            {
                log("cannot remove " + options.unixPath() + ": " + ex.getMessage());
            }
        }
    }

    private static void join(final Session session, final long deadline)
    {
        final Thread thread = session.thread();
        if (thread == null)
        {
            return;
        }
        final long remaining = deadline - System.nanoTime();
        if (remaining > 0)
        {
            try
            {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
