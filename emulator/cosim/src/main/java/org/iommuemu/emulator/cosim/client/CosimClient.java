package org.iommuemu.emulator.cosim.client;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.ErrorResponse;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.Interrupt;
import org.iommuemu.emulator.cosim.codec.RawPacket;
import org.iommuemu.emulator.cosim.codec.RemotePortEncoder;
import org.iommuemu.emulator.cosim.codec.RemotePortFrameDecoder;
import org.iommuemu.emulator.cosim.codec.RemotePortMessageDecoder;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.codec.Stats;
import org.iommuemu.emulator.cosim.codec.Sync;
import org.iommuemu.emulator.cosim.codec.TlpRequest;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TranslateWords;

/**
 * A Java peer of the co-simulation server (docs/protocol.md), playing the part QEMU plays: it says HELLO, reads and
 * writes the IOMMU's registers on the MMIO channel, asks for translations (ATS_REQ, with the extension's attributes),
 * sends raw TLPs, asks for statistics, and serves the server's guest-memory READs and WRITEs from a {@link GuestMemory}.
 * The server's INTERRUPTs and ATS_INVs are queued for the caller ({@link #interrupts()}, {@link #invalidations()}) and
 * ATS_INVs are acknowledged.
 * <p>
 * Requests are pipelined: every call sends at once and the {@code ...Async} forms return a future completed by the
 * answer with the same id; the plain forms wait for it. Thread-safe; the network work happens on the client's own
 * event loop thread.
 */
public final class CosimClient implements AutoCloseable
{
    /** Every capability this client can use. */
    public static final int[] ALL_CAPABILITIES = {RemotePort.CAP_BUSACCESS_EXT_BASE, RemotePort.CAP_BUSACCESS_EXT_BYTE_EN,
        RemotePort.CAP_WIRE_POSTED_UPDATES, RemotePort.CAP_ATS, RemotePort.IE_TRANSLATE, RemotePort.IE_TLP, RemotePort.IE_CONTROL};

    /** How the client connects and behaves. Mutable; set before {@link #connect}. */
    public static final class Options
    {
        public int[] capabilities = ALL_CAPABILITIES.clone();
        public int mmioChannel = 1;
        public int memoryChannel = 2;
        public int interruptChannel = 3;
        public int translationChannel = 4;
        public int tlpChannel = 5;
        /**
         * How long a blocking call (translate, MMIO, statistics) polls for its answer, yielding the CPU, before it
         * sleeps until the answer arrives; 0: sleep at once.
         */
        public int answerPollMicros = 200;
        /** Serves the server's guest-memory accesses; null answers them with address errors. */
        public GuestMemory memory;
        /** Send MMIO accesses in the extended (80-byte) layout. */
        public boolean extendedRequests;
        /** Acknowledge ATS_INVs (a test may turn this off to make the server wait). */
        public boolean acknowledgeInvalidations = true;
        /** How long the waiting calls wait. */
        public long timeoutMillis = 10_000;
        public int maxFrame = RemotePortFrameDecoder.DEFAULT_MAX_FRAME;
        /** Whether the HELLO exchange completes before {@link #connect} returns. */
        public boolean awaitHello = true;
        /** Called on the network thread for each INTERRUPT, besides queueing it. */
        public Consumer<Interrupt> onInterrupt = i -> { };
        /** Called on the network thread for each ATS_INV, before it is acknowledged. */
        public Consumer<Ats> onInvalidation = a -> { };
    }

    /** One translation request: the ATS_REQ fields and the extension's request word. {@code pasid} -1: none. */
    public record Translation(int requesterId, int pasid, long address, long length, boolean read, boolean write, boolean execute,
        boolean privileged, boolean trusted, int at)
    {
        /** An untranslated read or write of 4 bytes, no PASID, T = 0. */
        public static Translation of(final int requesterId, final long address, final boolean write)
        {
            return new Translation(requesterId, -1, address, 4, !write, write, false, false, false, 0);
        }

        public Translation withPasid(final int pasid, final boolean privileged, final boolean execute)
        {
            return new Translation(requesterId, pasid, address, length, read, write, execute, privileged, trusted, at);
        }

        public Translation withTrusted(final boolean t)
        {
            return new Translation(requesterId, pasid, address, length, read, write, execute, privileged, t, at);
        }

        /** 0 untranslated, 1 an ATS translation request, 2 a translated request. */
        public Translation withAt(final int addressType)
        {
            return new Translation(requesterId, pasid, address, length, read, write, execute, privileged, trusted, addressType);
        }
    }

    private final Options options;
    private final EventLoopGroup group;
    private final Channel channel;
    private final CompletableFuture<Hello> serverHello = new CompletableFuture<>();
    private final Map<Integer, CompletableFuture<RpPacket>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger(1);
    private final BlockingQueue<Interrupt> interrupts = new LinkedBlockingQueue<>();
    private final BlockingQueue<Ats> invalidations = new LinkedBlockingQueue<>();
    private final BlockingQueue<ErrorResponse> errors = new LinkedBlockingQueue<>();
    private final AtomicLong memoryReads = new AtomicLong();
    private final AtomicLong memoryWrites = new AtomicLong();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile long timestamp;
    private final Handler handler = new Handler();

    private CosimClient(final Options options, final EventLoopGroup group, final Channel channel)
    {
        this.options = options;
        this.group = group;
        this.channel = channel;
    }

    /** Connect to {@code tcp:HOST:PORT} (or {@code HOST:PORT}) or {@code unix:PATH}, say HELLO and wait for the server's. */
    public static CosimClient connect(final String address, final Options options) throws IOException
    {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        final CosimClient[] client = new CosimClient[1];
        final CompletableFuture<CosimClient> ready = new CompletableFuture<>();
        try
        {
            final Bootstrap bootstrap = new Bootstrap().group(group).handler(new ChannelInitializer<Channel>()
            {
                @Override
                protected void initChannel(final Channel ch)
                {
                    ch.pipeline().addLast(new RemotePortFrameDecoder(options.maxFrame), new RemotePortMessageDecoder(),
                        new RemotePortEncoder(), new ClientHandler(ready));
                }
            });
            final SocketAddress target;
            if (address.startsWith("unix:"))
            {
                bootstrap.channel(NioDomainSocketChannel.class);
                target = UnixDomainSocketAddress.of(Path.of(address.substring("unix:".length())));
            }
            else
            {
                final String hostPort = address.startsWith("tcp:") ? address.substring(4) : address;
                final int colon = hostPort.lastIndexOf(':');
                if (colon < 0)
                {
                    throw new IllegalArgumentException("address " + address + " is not tcp:HOST:PORT or unix:PATH");
                }
                bootstrap.channel(NioSocketChannel.class).option(ChannelOption.TCP_NODELAY, true);
                target = new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
            }
            final Channel ch = bootstrap.connect(target).syncUninterruptibly().channel();
            client[0] = new CosimClient(options, group, ch);
            ready.complete(client[0]);
            ch.closeFuture().addListener(f -> client[0].connectionClosed());
            final Hello hello = new Hello().capabilities(options.capabilities);
            hello.id(0).dev(0);
            ch.writeAndFlush(hello);
            if (options.awaitHello)
            {
                client[0].serverHello();
            }
            return client[0];
        }
        catch (final Exception ex)
        {
            // Netty rethrows the connect's checked exceptions undeclared; all of them mean the same here.
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            if (client[0] != null)
            {
                client[0].channel.close();
            }
            throw new IOException("cannot connect to " + address + ": " + ex.getMessage(), ex);
        }
    }

    /** Connect with the default options. */
    public static CosimClient connect(final String address) throws IOException
    {
        return connect(address, new Options());
    }

    /** The server's HELLO (waits for it). */
    public Hello serverHello()
    {
        return await(serverHello, "the server's HELLO");
    }

    /** The timestamp (the peer's time) the following requests carry. */
    public CosimClient timestamp(final long time)
    {
        this.timestamp = time;
        return this;
    }

    // ------------------------------------------------------------------------------------------------------------
    // MMIO.

    /** Read {@code length} (4 or 8) bytes of the register block at {@code address}. */
    public long mmioRead(final long address, final int length)
    {
        final BusAccess response = (BusAccess)await(mmioReadAsync(address, length), "MMIO read at 0x" + Long.toHexString(address));
        if (response.responseCode() != RemotePort.RESP_OK)
        {
            throw new CosimException("MMIO read at 0x" + Long.toHexString(address) + ": response code " + response.responseCode());
        }
        return response.dataValue(length);
    }

    public CompletableFuture<RpPacket> mmioReadAsync(final long address, final int length)
    {
        final BusAccess read = BusAccess.read().timestamp(timestamp).address(address).length(length).streamWidth(length)
            .extended(options.extendedRequests);
        read.dev(options.mmioChannel);
        return request(read);
    }

    /** Write {@code length} (4 or 8) bytes and wait for the write response; returns its response code. */
    public int mmioWrite(final long address, final int length, final long value)
    {
        return ((BusAccess)await(mmioWriteAsync(address, length, value, null), "MMIO write at 0x" + Long.toHexString(address)))
            .responseCode();
    }

    /** A write with byte enables (the extended layout, remote-port's byte enable capability). */
    public CompletableFuture<RpPacket> mmioWriteAsync(final long address, final int length, final long value, final byte[] byteEnables)
    {
        return request(write(address, length, value, byteEnables, 0));
    }

    /** A POSTED write: no response is expected. */
    public void mmioWritePosted(final long address, final int length, final long value)
    {
        final BusAccess write = write(address, length, value, null, RemotePort.FLAG_POSTED);
        write.id(ids.getAndIncrement());
        channel.writeAndFlush(write);
    }

    private BusAccess write(final long address, final int length, final long value, final byte[] byteEnables, final int flags)
    {
        final BusAccess write = BusAccess.write().timestamp(timestamp).address(address).length(length).streamWidth(length)
            .dataValue(value, length).byteEnables(byteEnables).extended(options.extendedRequests || byteEnables != null);
        write.dev(options.mmioChannel).flags(flags);
        return write;
    }

    // ------------------------------------------------------------------------------------------------------------
    // Translation, TLPs, statistics, SYNC.

    public Ats translate(final Translation t)
    {
        return (Ats)await(translateAsync(t), "ATS_REQ 0x" + Long.toHexString(t.address()));
    }

    public CompletableFuture<RpPacket> translateAsync(final Translation t)
    {
        final Ats ats = Ats.request().timestamp(timestamp).address(t.address()).length(t.length())
            .attributes((t.read() ? AtsLayout.ATTR_READ : 0) | (t.write() ? AtsLayout.ATTR_WRITE : 0) |
                (t.execute() ? AtsLayout.ATTR_EXEC : 0));
        if (has(RemotePort.IE_TRANSLATE))
        {
            ats.reserved(0, TranslateWords.request(t.requesterId(), t.pasid(), t.privileged(), t.trusted(), t.at()));
        }
        ats.dev(options.translationChannel);
        return request(ats);
    }

    /** Send one TLP's wire bytes; {@code flags} are IE_TLP's (out-of-band T, direction, flit). */
    public TlpResponse tlp(final byte[] tlp, final int flags)
    {
        return (TlpResponse)await(tlpAsync(tlp, flags), "IE_TLP");
    }

    public CompletableFuture<RpPacket> tlpAsync(final byte[] tlp, final int flags)
    {
        final TlpRequest request = new TlpRequest().timestamp(timestamp).tlpFlags(flags).tlp(tlp);
        request.dev(options.tlpChannel);
        return request(request);
    }

    /** The session's statistics as the server prints them. */
    public String stats()
    {
        return ((Stats)await(request(new Stats()), "IE_STATS")).text();
    }

    /** SYNC with {@code time}; returns the server's time in its answer. */
    public long sync(final long time)
    {
        return ((Sync)await(request(new Sync().timestamp(time)), "SYNC")).timestamp();
    }

    /** Send {@code packet} with the next id; the future completes with its answer (exceptionally on an error response). */
    public CompletableFuture<RpPacket> request(final RpPacket packet)
    {
        final int id = ids.getAndIncrement();
        packet.id(id);
        final CompletableFuture<RpPacket> future = new CompletableFuture<>();
        pending.put(id, future);
        if (!channel.isActive())
        {
            pending.remove(id);
            future.completeExceptionally(new CosimException("the connection is closed"));
            return future;
        }
        channel.writeAndFlush(packet);
        return future;
    }

    /** Bytes as they are, header included (malformed packets for tests). */
    public void sendRaw(final byte[] bytes)
    {
        channel.writeAndFlush(new RawPacket(bytes));
    }

    /** Send without flushing: many requests, then {@link #flush()} (pipelined load). */
    public CompletableFuture<RpPacket> requestNoFlush(final RpPacket packet)
    {
        final int id = ids.getAndIncrement();
        packet.id(id);
        final CompletableFuture<RpPacket> future = new CompletableFuture<>();
        pending.put(id, future);
        channel.write(packet);
        return future;
    }

    public void flush()
    {
        channel.flush();
    }

    /** Stop reading from the server (a slow peer); the server's answers pile up in the socket. */
    public void pauseReading()
    {
        channel.config().setAutoRead(false);
    }

    public void resumeReading()
    {
        channel.config().setAutoRead(true);
    }

    public BlockingQueue<Interrupt> interrupts()
    {
        return interrupts;
    }

    public BlockingQueue<Ats> invalidations()
    {
        return invalidations;
    }

    /** Error responses that answered no pending request. */
    public BlockingQueue<ErrorResponse> errors()
    {
        return errors;
    }

    public long memoryReads()
    {
        return memoryReads.get();
    }

    public long memoryWrites()
    {
        return memoryWrites.get();
    }

    public int outstanding()
    {
        return pending.size();
    }

    public boolean isOpen()
    {
        return channel.isActive();
    }

    public CompletableFuture<Void> closeFuture()
    {
        return closed;
    }

    public boolean has(final int capability)
    {
        if (!serverHello.isDone())
        {
            return false;
        }
        boolean mine = false;
        for (final int c : options.capabilities)
        {
            mine |= c == capability;
        }
        return mine && serverHello.join().has(capability);
    }

    @Override
    public void close()
    {
        channel.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private void connectionClosed()
    {
        final CosimException gone = new CosimException("the server closed the connection");
        serverHello.completeExceptionally(gone);
        for (final CompletableFuture<RpPacket> future : pending.values())
        {
            future.completeExceptionally(gone);
        }
        pending.clear();
        closed.complete(null);
    }

    private <T> T await(final CompletableFuture<T> future, final String what)
    {
        try
        {
            if (!future.isDone() && options.answerPollMicros > 0)
            {
                // Most answers come within a loopback round trip: poll for it, yielding the CPU, rather than sleep
                // and be woken (a wake-up costs about as much as the round trip on a small VM).
                final long end = System.nanoTime() + options.answerPollMicros * 1000L;
                while (!future.isDone() && System.nanoTime() - end < 0)
                {
                    Thread.yield();
                }
            }
            return future.get(options.timeoutMillis, TimeUnit.MILLISECONDS);
        }
        catch (final ExecutionException ex)
        {
            throw ex.getCause() instanceof CosimException c ? c : new CosimException(what + ": " + ex.getCause(), ex.getCause());
        }
        catch (final TimeoutException ex)
        {
            throw new CosimException(what + ": no answer within " + options.timeoutMillis + " ms");
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new CosimException(what + ": interrupted");
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // The network side.

    private final class Handler
    {
        void read(final ChannelHandlerContext ctx, final RpPacket packet)
        {
            if (packet instanceof Hello hello)
            {
                serverHello.complete(hello);
                return;
            }
            if (packet.isResponse())
            {
                final CompletableFuture<RpPacket> future = pending.remove(packet.id());
                if (packet instanceof ErrorResponse error)
                {
                    if (future != null)
                    {
                        future.completeExceptionally(new CosimException("error response: " + error.describe()));
                    }
                    else
                    {
                        errors.add(error);
                    }
                    return;
                }
                if (future != null)
                {
                    future.complete(packet);
                }
                return;
            }
            if (packet instanceof BusAccess access)
            {
                serveMemory(ctx, access);
            }
            else if (packet instanceof Interrupt interrupt)
            {
                interrupts.add(interrupt);
                options.onInterrupt.accept(interrupt);
                if (!interrupt.isPosted())
                {
                    final Interrupt response = new Interrupt().timestamp(interrupt.timestamp()).line(interrupt.line())
                        .vector(interrupt.vector()).value(interrupt.value());
                    response.answering(interrupt);
                    ctx.writeAndFlush(response);
                }
            }
            else if (packet instanceof Ats ats && ats.command() == RemotePort.CMD_ATS_INV)
            {
                invalidations.add(ats);
                options.onInvalidation.accept(ats);
                if (options.acknowledgeInvalidations && !ats.isPosted())
                {
                    final Ats response = Ats.invalidation().timestamp(ats.timestamp()).address(ats.address()).length(ats.length())
                        .result(AtsLayout.RESULT_OK);
                    response.answering(ats);
                    ctx.writeAndFlush(response);
                }
            }
            else if (packet instanceof Sync sync)
            {
                final Sync response = new Sync().timestamp(sync.timestamp());
                response.answering(sync);
                ctx.writeAndFlush(response);
            }
        }

        private void serveMemory(final ChannelHandlerContext ctx, final BusAccess access)
        {
            final int length = access.length();
            int code;
            byte[] data = null;
            if (access.dev() != options.memoryChannel || options.memory == null || length < 0 || length > 65536)
            {
                code = RemotePort.RESP_ADDR_ERROR;
                data = access.isRead() ? new byte[Math.max(0, Math.min(length, 65536))] : null;
            }
            else if (access.isRead())
            {
                memoryReads.incrementAndGet();
                data = new byte[length];
                code = options.memory.read(access.address(), data, length);
                if (code != RemotePort.RESP_OK)
                {
                    data = new byte[length];
                }
            }
            else
            {
                memoryWrites.incrementAndGet();
                code = options.memory.write(access.address(), access.data(), Math.min(length, access.data().length));
            }
            if (!access.isPosted())
            {
                ctx.writeAndFlush(BusAccess.responseTo(access, code).data(data));
            }
        }
    }

    private static final class ClientHandler extends ChannelInboundHandlerAdapter
    {
        private final CompletableFuture<CosimClient> client;

        ClientHandler(final CompletableFuture<CosimClient> client)
        {
            this.client = client;
        }

        @Override
        public void channelRead(final ChannelHandlerContext ctx, final Object msg)
        {
            client.join().handler.read(ctx, (RpPacket)msg);
        }

        @Override
        public void exceptionCaught(final ChannelHandlerContext ctx, final Throwable cause)
        {
            ctx.close();
        }
    }
}
