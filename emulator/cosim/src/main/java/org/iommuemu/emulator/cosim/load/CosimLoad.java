package org.iommuemu.emulator.cosim.load;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.HdrHistogram.Histogram;
import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.client.PhysicalGuestMemory;
import org.iommuemu.emulator.cosim.client.RemoteIommuPort;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BlockingIo;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.Interrupt;
import org.iommuemu.emulator.cosim.codec.RemotePortEncoder;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.memory.RoutedMemory;
import org.iommuemu.emulator.cosim.memory.SharedFileMemory;
import org.iommuemu.emulator.cosim.server.CosimServer;
import org.iommuemu.emulator.cosim.server.ServerOptions;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.ScenarioReader;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.pagetable.memory.SparseMemory;

/**
 * A load benchmark of the co-simulation server on loopback, server and client in this one process (docs/benchmarks.md):
 * <ol>
 * <li>pipelined ATS_REQs from one client that all hit the IOTLB: translations per second;</li>
 * <li>one request outstanding at a time: the round trip's percentiles (p50, p99, p99.9), from the Java client and from
 *     a peer on a plain blocking socket (as a C peer such as QEMU's has it); the scenario's session answers them on
 *     its network thread (docs/protocol.md 1), and the blocking peer's requests to a guest-memory session (its guest's
 *     IOMMU not enabled: translations pass through) show the path through a session's model thread;</li>
 * <li>with {@code --sessions N}: N guest-memory sessions at once, each from a blocking peer with one request
 *     outstanding: round trips per second in all and the percentiles;</li>
 * <li>remote guest memory, the guest's AMD-Vi driver and 4 KiB pages, IOTLB misses: translations per second and the
 *     READ round trips per walk;</li>
 * <li>the same tables in a shared guest-RAM file: translations per second with IOTLB misses, and the single
 *     outstanding request's percentiles with IOTLB hits in that session from the Java client; then the QEMU case from
 *     a blocking-socket peer whose guest driver brings its own session's IOMMU up through MMIO with the tables in the
 *     shared RAM: the single outstanding request's percentiles with IOTLB hits (repeats of a clean hit, which the
 *     network thread answers itself, docs/protocol.md 1).</li>
 * </ol>
 * Run with {@code bin/iommu-emu cosim-load} (see {@code --help}); every translation's answer is checked, and a wrong
 * one fails the run.
 */
public final class CosimLoad
{
    static final int DEVICE = 0x0100;
    static final long IOVA = 0x1_0000_0000L;
    static final long SPA = 0x8000_0000L;
    /** A guest-driven AMD-Vi session (the guest's tables in its own memory, remote unless shared). */
    private static final String GUEST_SESSION = "name: NAME\nplatform:\n  iommu: amdvi\ncosim:\n  translation-requester: 0x100\n";

    private final PrintWriter out;
    private final long pipelined;
    private final int window;
    private final long single;
    private final long misses;
    /** The servers' options: loopback, any free port, the idle poll and answer wait asked for. */
    private final ServerOptions options;

    /** Guest-memory sessions measured at once (0: not measured). */
    private final int sessions;

    /** With the server's default options on a free loopback port, and no concurrent-sessions measurement. */
    public CosimLoad(final PrintWriter out, final long pipelined, final int window, final long single, final long misses)
    {
        this(out, pipelined, window, single, misses, ServerOptions.defaults().withAddress("127.0.0.1", 0), 0);
    }

    /**
     * @param options  the servers' options (their address is replaced by a free loopback port).
     * @param sessions guest-memory sessions to measure at once, each with one request outstanding; 0: not measured.
     */
    public CosimLoad(final PrintWriter out, final long pipelined, final int window, final long single, final long misses,
        final ServerOptions options, final int sessions)
    {
        this.options = options.withAddress("127.0.0.1", 0);
        this.out = out;
        this.pipelined = pipelined;
        this.window = window;
        this.single = single;
        this.misses = misses;
        this.sessions = sessions;
    }

    /** Run the measurements listed above and print one line each. */
    public void run() throws Exception
    {
        final String hitScenario = String.join("\n", "name: load-hits", "platform:", "  iommu: amdvi", "cosim:", "  setup: scenario",
            "domains:", "  - {id: 1, levels: 3, policy: x86-sizes, mappings: [{iova: 0x100000000, spa: 0x80000000, size: 64M}]}",
            "devices:", "  - {requester: 0x100, domain: 1}", "");
        try (Server server = new Server(hitScenario, options))
        {
            final CosimClient client = CosimClient.connect(server.address);
            try
            {
                pipelinedHits(client, pipelined / 10, false);
                final double rate = pipelinedHits(client, pipelined, true);
                out.printf(Locale.ROOT, "pipelined translations, IOTLB hits, window %d: %.0f translations/s (%d)%n",
                    window, rate, pipelined);
                singleOutstanding(client, Math.max(2000, single / 2), null);
                singleOutstanding(client, single, "");
            }
            finally
            {
                client.close();
            }
            singleOutstandingBlocking(server.address, Math.max(2000, single / 2), null, SPA);
            singleOutstandingBlocking(server.address, single, "", SPA);
        }
        // A guest-memory session whose guest has not enabled its IOMMU (every translation passes through): the same
        // requests from the blocking peer, each through the session's model thread.
        try (Server server = new Server(GUEST_SESSION.replace("NAME", "load-guest"), options))
        {
            singleOutstandingBlocking(server.address, Math.max(2000, single / 2), null, IOVA);
            singleOutstandingBlocking(server.address, single, ", guest-memory session (through the model thread)", IOVA);
        }
        if (sessions > 0)
        {
            concurrentSessions();
        }
        remoteMisses();
        sharedMisses();
        out.flush();
    }

    private double pipelinedHits(final CosimClient client, final long count, final boolean measure) throws Exception
    {
        final Semaphore slots = new Semaphore(window);
        final AtomicLong wrong = new AtomicLong();
        final long start = System.nanoTime();
        for (long i = 0; i < count; i++)
        {
            final long offset = (i & 15) << 21 | (i & 0xFF) << 4;
            if (!slots.tryAcquire())
            {
                client.flush();
                slots.acquire();
            }
            final Ats ats = Ats.request().address(IOVA + offset).length(8).attributes(AtsLayout.ATTR_READ);
            ats.dev(4);
            client.requestNoFlush(ats).whenComplete((r, e) ->
            {
                if (e != null || ((Ats)r).result() != AtsLayout.RESULT_OK || ((Ats)r).address() != SPA + offset)
                {
                    wrong.incrementAndGet();
                }
                slots.release();
            });
            if ((i & 63) == 63)
            {
                client.flush();
            }
        }
        client.flush();
        slots.acquire(window);
        slots.release(window);
        final double seconds = (System.nanoTime() - start) / 1e9;
        if (wrong.get() != 0)
        {
            throw new IllegalStateException(wrong.get() + " of " + count + " pipelined translations were wrong or failed");
        }
        return count / seconds;
    }

    /** One request outstanding at a time; prints the percentiles unless {@code label} is null (warm-up). */
    private void singleOutstanding(final CosimClient client, final long count, final String label)
    {
        final Histogram histogram = new Histogram(1_000_000_000L, 3);
        for (long i = 0; i < count; i++)
        {
            final long offset = (i & 7) << 21;
            final long start = System.nanoTime();
            final Ats answer = client.translate(CosimClient.Translation.of(DEVICE, IOVA + offset, false));
            final long took = System.nanoTime() - start;
            if (answer.result() != AtsLayout.RESULT_OK || answer.address() != SPA + offset)
            {
                throw new IllegalStateException("a single translation was wrong: " + answer.describe());
            }
            histogram.recordValue(took);
        }
        if (label != null)
        {
            out.printf(Locale.ROOT, "single outstanding request round trip%s (%d): %s%n", label, count, percentiles(histogram));
        }
    }

    /**
     * The same round trips from a peer on a plain blocking socket, as a C peer such as QEMU's has it (one thread, no
     * event loop on the peer's side): the server's own share of the round trip without the Java client's two thread
     * hand-offs. Plain remote-port ATS_REQs (no extension), the scenario's default requester.
     */
    private void singleOutstandingBlocking(final String address, final long count, final String label, final long outputBase)
        throws IOException
    {
        final Histogram histogram = blockingRoundTrips(address, count, outputBase);
        if (label != null)
        {
            this.out.printf(Locale.ROOT, "single outstanding request round trip, blocking-socket peer%s (%d): %s%n", label, count,
                percentiles(histogram));
        }
    }

    /** {@code count} round trips from one new blocking-socket peer, each answer checked; their times. */
    private static Histogram blockingRoundTrips(final String address, final long count, final long outputBase) throws IOException
    {
        try (BlockingPeer peer = new BlockingPeer(address))
        {
            return peer.roundTrips(count, outputBase);
        }
    }

    private static String percentiles(final Histogram histogram)
    {
        return String.format(Locale.ROOT, "p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us", histogram.getValueAtPercentile(50) / 1e3,
            histogram.getValueAtPercentile(99) / 1e3, histogram.getValueAtPercentile(99.9) / 1e3, histogram.getMaxValue() / 1e3);
    }

    /**
     * {@link #sessions} blocking peers at once, each to its own guest-memory session with one request outstanding:
     * what the idle poll and the answer wait cost when sessions outnumber cores.
     */
    private void concurrentSessions() throws Exception
    {
        final long each = Math.max(1000, single / 4);
        try (Server server = new Server(GUEST_SESSION.replace("NAME", "load-sessions"), options))
        {
            final Histogram all = new Histogram(1_000_000_000L, 3);
            final List<CompletableFuture<Histogram>> peers = new ArrayList<>();
            final long start = System.nanoTime();
            for (int s = 0; s < sessions; s++)
            {
                peers.add(CompletableFuture.supplyAsync(() ->
                {
                    try
                    {
                        return blockingRoundTrips(server.address, each, IOVA);
                    }
                    catch (final IOException ex)
                    {
                        throw new UncheckedIOException(ex);
                    }
                }, runnable -> new Thread(runnable, "cosim-load-peer").start()));
            }
            for (final CompletableFuture<Histogram> peer : peers)
            {
                all.add(peer.get());
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "%d guest-memory sessions at once, one request outstanding each (%d each): %.0f round trips/s in " +
                "all; p50 %.1f us, p99 %.1f us, p99.9 %.1f us%n", sessions, each, sessions * each / seconds,
                all.getValueAtPercentile(50) / 1e3, all.getValueAtPercentile(99) / 1e3, all.getValueAtPercentile(99.9) / 1e3);
        }
    }

    /** The guest's driver maps 64 MiB in 4 KiB pages: 16384 pages, far more than the IOTLB holds. */
    private static void guestTables(final CosimClient client, final PhysicalMemory memory)
    {
        final RemoteIommuPort port = new RemoteIommuPort(client, 0, AmdViRegisters.SIZE);
        final AmdViDriver driver = new AmdViDriver(port, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        final PageTable domain = driver.newDomain(3);
        if (domain.map(IOVA, SPA, 64L << 20, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K) != MapStatus.OK)
        {
            throw new IllegalStateException("cannot map the benchmark's domain");
        }
        driver.attach(DEVICE, domain, 1, true, true);
    }

    private double misses(final CosimClient client, final long count) throws Exception
    {
        final long start = System.nanoTime();
        final AtomicLong wrong = new AtomicLong();
        final Semaphore slots = new Semaphore(window);
        for (long i = 0; i < count; i++)
        {
            // A stride of 4097 pages through 16384: consecutive requests never share a page, nor an IOTLB set's recent entries.
            final long page = (i * 4097) & 16383;
            if (!slots.tryAcquire())
            {
                client.flush();
                slots.acquire();
            }
            final Ats ats = Ats.request().address(IOVA + (page << 12)).length(8).attributes(AtsLayout.ATTR_READ);
            ats.dev(4);
            final CompletableFuture<RpPacket> answer = client.requestNoFlush(ats);
            answer.whenComplete((r, e) ->
            {
                if (e != null || ((Ats)r).address() != SPA + (page << 12))
                {
                    wrong.incrementAndGet();
                }
                slots.release();
            });
            if ((i & 15) == 15)
            {
                client.flush();
            }
        }
        client.flush();
        slots.acquire(window);
        slots.release(window);
        if (wrong.get() != 0)
        {
            throw new IllegalStateException(wrong.get() + " of " + count + " translations with IOTLB misses were wrong");
        }
        return count / ((System.nanoTime() - start) / 1e9);
    }

    private void remoteMisses() throws Exception
    {
        try (Server server = new Server(GUEST_SESSION.replace("NAME", "load-remote"), options))
        {
            final SparseMemory ram = new SparseMemory();
            final CosimClient.Options options = new CosimClient.Options();
            options.memory = new PhysicalGuestMemory(ram);
            final CosimClient client = CosimClient.connect(server.address, options);
            try
            {
                guestTables(client, ram);
                misses(client, Math.min(misses, 20_000) / 10);
                final long readsBefore = client.memoryReads();
                final double rate = misses(client, misses);
                final String stats = client.stats();
                out.printf(Locale.ROOT, "remote memory, IOTLB misses: %.0f translations/s (%d), %.2f guest-memory READs per " +
                    "translation; server: %s%n", rate, misses, (client.memoryReads() - readsBefore) / (double)misses,
                    stats.replaceAll("(?s).*(\\d+\\.\\d+ reads per walk).*", "$1"));
            }
            finally
            {
                client.close();
            }
        }
    }

    private void sharedMisses() throws Exception
    {
        final Path dir = Files.createTempDirectory("iommu-emu-load");
        final Path ram = dir.resolve("guest-ram");
        try (RandomAccessFile file = new RandomAccessFile(ram.toFile(), "rw"))
        {
            file.setLength(64L << 20);
        }
        final List<long[]> ranges = List.of(new long[] {0, 0, 32L << 20}, new long[] {0x4_0000_0000L, 32L << 20, 32L << 20});
        final String yaml = String.join("\n", "name: load-shared", "platform:", "  iommu: amdvi", "cosim:",
            "  translation-requester: 0x100", "  memory:",
            "    backing: shared", "    file: " + ram,
                "    ranges: [{gpa: 0, offset: 0, size: 32M}, {gpa: 0x400000000, offset: 32M, size: 32M}]", "");
        try (Server server = new Server(yaml, options))
        {
            final RoutedMemory guestRam = new RoutedMemory(new SparseMemory(), List.of(),
                new SharedFileMemory(ram, ranges), new SparseMemory());
            final CosimClient.Options options = new CosimClient.Options();
            options.memory = new PhysicalGuestMemory(guestRam);
            final CosimClient client = CosimClient.connect(server.address, options);
            try
            {
                guestTables(client, guestRam);
                misses(client, Math.min(misses, 20_000) / 10);
                final long readsBefore = client.memoryReads();
                final double rate = misses(client, misses);
                out.printf(Locale.ROOT, "shared memory, IOTLB misses: %.0f translations/s (%d), %d guest-memory READs over the socket%n",
                    rate, misses, client.memoryReads() - readsBefore);
                // A session with guest memory: the Java client's requests, with its own event loop's hand-offs.
                singleOutstanding(client, Math.max(2000, single / 2), null);
                singleOutstanding(client, single, ", guest memory (shared)");
            }
            finally
            {
                client.close();
            }
            // The QEMU case from a peer on a blocking socket: its guest's driver brings its own session's IOMMU up
            // through MMIO, with the tables in the shared guest RAM; the translations then hit the IOTLB.
            try (BlockingPeer peer = new BlockingPeer(server.address))
            {
                final AmdViDriver driver = new AmdViDriver(peer.port(), guestRam, AmdViDriver.Layout.DEFAULT).bringUp();
                final PageTable domain = driver.newDomain(3);
                if (domain.map(IOVA, SPA, 64L << 20, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K) != MapStatus.OK)
                {
                    throw new IllegalStateException("cannot map the benchmark's domain");
                }
                driver.attach(DEVICE, domain, 1, true, true);
                peer.roundTrips(Math.max(2000, single / 2), SPA);
                final Histogram histogram = peer.roundTrips(single, SPA);
                out.printf(Locale.ROOT, "single outstanding request round trip, blocking-socket peer, its guest's tables in shared " +
                    "memory, IOTLB hits (%d): %s%n", single, percentiles(histogram));
            }
        }
        finally
        {
            Files.deleteIfExists(ram);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * A peer on a plain blocking socket, as a C peer such as QEMU's has it (one thread, no event loop): plain
     * remote-port (no extension), MMIO for a guest driver's bring-up, ATS_REQs one at a time; the server's posted
     * INTERRUPTs are skipped, anything else it sends fails the run (its guest memory must be the shared file).
     */
    private static final class BlockingPeer implements AutoCloseable
    {
        private final Socket socket;
        private final OutputStream out;
        private final DataInputStream in;
        private final ByteBuf buf = Unpooled.buffer(256);
        private final byte[] bytes = new byte[256];
        private int nextId;

        BlockingPeer(final String address) throws IOException
        {
            final String hostPort = address.substring("tcp:".length());
            final int colon = hostPort.lastIndexOf(':');
            socket = new Socket(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = new DataInputStream(socket.getInputStream());
            if (!(BlockingIo.receive(in, 0) instanceof Hello))
            {
                throw new IllegalStateException("the server did not start with its HELLO");
            }
            BlockingIo.send(new Hello(), out);
        }

        /** Send {@code request} and return its response (the time from the write to the response's arrival in nanos). */
        private RpPacket exchange(final RpPacket request, final long[] took) throws IOException
        {
            request.id(nextId++);
            buf.clear();
            RemotePortEncoder.encode(request, buf);
            final int length = buf.readableBytes();
            buf.readBytes(bytes, 0, length);
            final long start = System.nanoTime();
            out.write(bytes, 0, length);
            out.flush();
            while (true)
            {
                final RpPacket answer = BlockingIo.receive(in, 0);
                if (answer.isResponse() && answer.id() == request.id())
                {
                    took[0] = System.nanoTime() - start;
                    return answer;
                }
                if (!(answer instanceof Interrupt))
                {
                    throw new IllegalStateException("the blocking peer does not serve " + answer.describe());
                }
            }
        }

        /** {@code count} translations one at a time, each answer checked; their round trips. */
        Histogram roundTrips(final long count, final long outputBase) throws IOException
        {
            final Histogram histogram = new Histogram(1_000_000_000L, 3);
            final long[] took = new long[1];
            for (long i = 0; i < count; i++)
            {
                final long offset = (i & 7) << 21;
                final Ats ats = Ats.request().address(IOVA + offset).length(8).attributes(AtsLayout.ATTR_READ);
                ats.dev(4);
                final RpPacket answer = exchange(ats, took);
                if (!(answer instanceof Ats a) || a.result() != AtsLayout.RESULT_OK || a.address() != outputBase + offset)
                {
                    throw new IllegalStateException("a single translation from the blocking peer was wrong: " + answer.describe());
                }
                histogram.recordValue(took[0]);
            }
            return histogram;
        }

        private BusAccess mmio(final BusAccess access, final String what)
        {
            try
            {
                final RpPacket answer = exchange(access.dev(1), new long[1]);
                if (!(answer instanceof BusAccess response) || response.responseCode() != RemotePort.RESP_OK)
                {
                    throw new IllegalStateException(what + " failed: " + answer.describe());
                }
                return response;
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        /** The session's IOMMU registers over MMIO (register offset 0 at address 0), for the guest's driver. */
        IommuPort port()
        {
            return new IommuPort()
            {
                public boolean handle(final DmaRequest request, final RequestOutcome outcome)
                {
                    throw new UnsupportedOperationException("the blocking peer translates with roundTrips");
                }

                public String name()
                {
                    return "blocking peer";
                }

                public List<TranslationCache> caches()
                {
                    return List.of();
                }

                public long readRegister(final int offset, final int width)
                {
                    return mmio(BusAccess.read().address(offset).length(width).streamWidth(width),
                        "register read at 0x" + Integer.toHexString(offset)).dataValue(width);
                }

                public void writeRegister(final int offset, final int width, final long value)
                {
                    mmio(BusAccess.write().address(offset).length(width).streamWidth(width).dataValue(value, width),
                        "register write at 0x" + Integer.toHexString(offset));
                }

                public int registerBlockSize()
                {
                    return AmdViRegisters.SIZE;
                }

                public int registerWidth(final int offset)
                {
                    return 8;
                }
            };
        }

        @Override
        public void close() throws IOException
        {
            socket.close();
        }
    }

    /** A server on a free loopback port whose log is dropped (errors are counted in the statistics). */
    private static final class Server implements AutoCloseable
    {
        final CosimServer server;
        final String address;

        Server(final String yaml, final ServerOptions options) throws IOException, InterruptedException
        {
            final Scenario scenario = ScenarioReader.parse(new StringReader(yaml), "cosim-load", Path.of("."));
            server = new CosimServer(scenario, options, line -> { }, text -> { });
            address = server.start();
        }

        public void close()
        {
            server.close();
        }
    }
}
