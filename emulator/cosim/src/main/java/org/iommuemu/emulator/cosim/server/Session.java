package org.iommuemu.emulator.cosim.server;

import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationListener;
import org.iommuemu.emulator.cache.InvalidationScope;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.config.ConfigException;
import org.iommuemu.emulator.cosim.FaultFamily;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.BusAccess;
import org.iommuemu.emulator.cosim.codec.Control;
import org.iommuemu.emulator.cosim.codec.ErrorResponse;
import org.iommuemu.emulator.cosim.codec.Hello;
import org.iommuemu.emulator.cosim.codec.Interrupt;
import org.iommuemu.emulator.cosim.codec.RpPacket;
import org.iommuemu.emulator.cosim.codec.Stats;
import org.iommuemu.emulator.cosim.codec.Sync;
import org.iommuemu.emulator.cosim.codec.TlpRequest;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.memory.PeerAccess;
import org.iommuemu.emulator.cosim.memory.PeerGoneException;
import org.iommuemu.emulator.cosim.memory.RemoteMemory;
import org.iommuemu.emulator.cosim.memory.RoutedMemory;
import org.iommuemu.emulator.cosim.memory.SharedFileMemory;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.ErrorLayout;
import org.iommuemu.emulator.cosim.wire.RemotePort;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.log.KernelLog;
import org.iommuemu.emulator.log.QemuTraceLog;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.InterruptListener;
import org.iommuemu.emulator.platform.InterruptSource;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.replay.BinaryResultSink;
import org.iommuemu.emulator.replay.CsvResultSink;
import org.iommuemu.emulator.replay.JsonReport;
import org.iommuemu.emulator.replay.Replay;
import org.iommuemu.emulator.replay.ReplayListener;
import org.iommuemu.emulator.replay.ReplayRecord;
import org.iommuemu.emulator.replay.ResultSink;
import org.iommuemu.emulator.replay.Summary;
import org.iommuemu.emulator.replay.TrafficClass;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.tlp.AtsRange;
import org.iommuemu.tlp.TlpError;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * One co-simulation session: one peer, one platform built from the scenario, one model thread (docs/protocol.md 1).
 * <p>
 * The network event loop ({@link SessionHandler}) only decodes, checks what was negotiated and hands requests to this
 * session's queue; it never runs the model and never waits. The model thread takes the requests in order and carries
 * each out on the platform: MMIO accesses on the register block, ATS_REQ and IE_TLP through the same
 * {@link Replay} pipeline (decoder, classification, port, timing model, statistics) as a trace replay, SYNC in
 * lock-step. When the model needs the peer (a guest-memory fetch or store, an ATS_INV to acknowledge, an MSI written to
 * memory) the model thread sends the request and waits for its answer; the event loop hands the answer over. Responses
 * are batched and written by the event loop whenever the queue runs dry and before every wait.
 * <p>
 * One exception saves a single outstanding request its two thread hand-offs: a session whose model can never need
 * the peer for a translation (the scenario's own memory, interrupts on the wire) lets the event loop answer an ATS_REQ
 * itself while the model thread is idle with nothing queued (docs/protocol.md 1). Whoever runs the model owns it
 * ({@link #modelOwned}): the model thread from taking a packet until it is idle again, the event loop for one inline
 * request; requests are carried out in arrival order and responses written in that order either way.
 * <p>
 * Backpressure: the event loop stops reading from the peer while {@link ServerOptions#queueHigh()} requests are queued
 * or the channel is not writable (the peer does not read); the model thread starts it again below
 * {@link ServerOptions#queueLow()}, and waits before producing more while the channel is not writable.
 */
final class Session implements Runnable, PeerAccess, InterruptListener, InvalidationListener
{
    /** Queue markers: the peer's HELLO arrived (build the platform), or the session is over. */
    private static final RpPacket START = new Control(RemotePort.CMD_NOP);
    private static final RpPacket STOP = new Control(RemotePort.CMD_NOP);
    private static final int SPIN_NANOS = 20_000;
    /**
     * How long the idle model thread spins for the next request before it polls yielding the CPU
     * ({@link ServerOptions#idlePollMicros()}) and then parks.
     */
    private static final int IDLE_SPIN_NANOS = 5_000;

    private final int number;
    private final String peerName;
    private final Channel channel;
    private final CosimServer server;
    private final Scenario scenario;
    private final Scenario.CosimSpec spec;
    private final ServerOptions options;
    /** Requests for the model, from the event loop; {@link #queued} counts them, {@link #modelParked} says when to wake it. */
    private final ConcurrentLinkedQueue<RpPacket> inbox = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private volatile boolean modelParked;
    /**
     * Held by whoever runs the model: the model thread from taking a packet until it is idle again, or the event loop
     * for one request it answers inline. Taking it is the hand-over of the model's state between the two threads.
     */
    private final AtomicBoolean modelOwned = new AtomicBoolean(true);
    /**
     * Set once after the platform is built: the model answers an ATS_REQ without ever waiting for the peer (no remote
     * guest memory, interrupts as wire INTERRUPTs), so the event loop may answer one inline.
     */
    private volatile boolean inlineTranslations;
    /** Batches of responses for the event loop to write, in order; {@link #drainScheduled}: a write task is queued. */
    private final ConcurrentLinkedQueue<RpPacket[]> outbound = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    /** ATS_REQs the event loop answered inline (the model's own counters count them as any other request). */
    private long inlineAnswers;
    /** How long the event loop waits for the answer to a lone queued request (guest-memory sessions), or 0. */
    private final long answerWaitNanos;
    /** Lone requests whose answer (or first READ) the event loop waited for and wrote itself. */
    private volatile long answersAfterWait;
    /** Why an inline request ended the session (an emulator bug), or null. */
    private volatile String inlineFailure;
    private final long started = System.nanoTime();

    // Negotiated in the peer's HELLO (event loop), read by the model thread after START (the queue orders them).
    private volatile boolean helloDone;
    private volatile boolean extBase;
    private volatile boolean peerAts;
    private volatile boolean ieTranslate;
    private volatile boolean ieTlp;
    private volatile boolean ieControl;
    private volatile boolean closing;
    private volatile boolean shuttingDown;
    private volatile long deadline = Long.MAX_VALUE;
    private volatile boolean readingPaused;
    private volatile Thread modelThread;

    // The one round trip the model thread may have outstanding.
    private volatile boolean pendingWaiting;
    private volatile int pendingId;
    private volatile RpPacket pendingResponse;
    private volatile boolean pendingAborted;

    // Counters (event loop and model thread).
    final PacketCounters packetsIn = new PacketCounters();
    final PacketCounters packetsOut = new PacketCounters();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong unmatchedResponses = new AtomicLong();
    private volatile long maxOutboundBytes;

    // Model thread state.
    private final List<RpPacket> batch = new ArrayList<>();
    private final DmaRequest request = new DmaRequest();
    private final TraceRecord traceRecord = new TraceRecord();
    private final UnsafeBuffer tlpBuffer = new UnsafeBuffer(new byte[TlpCommandLayout.MAX_TLP_LENGTH]);
    private final TraceSummary tlpSummary = new TraceSummary();
    private final AtsShadow shadow = new AtsShadow();
    private final byte[] msi = new byte[4];
    private Platform platform;
    private Replay replay;
    private IommuPort port;
    private RemoteMemory remote;
    private SharedFileMemory shared;
    /** The guest session's memory (null with the scenario's own memory). */
    private RoutedMemory routed;
    /**
     * Requests of a session that cannot answer every request inline which the event loop may still answer (null in
     * a session that answers every lone request inline): see {@link RepeatHits}.
     */
    private RepeatHits repeats;
    /** Every cache of the model (their versions tell whether a request changed any). */
    private TranslationCache[] modelCaches = new TranslationCache[0];
    /** The last ATS_REQ went through the model with no timeline action due, and hit the IOTLB without a fault. */
    private boolean cleanHit;
    private double ghz;
    private int nextId = 1;
    private long requestIndex;
    private long peerBaseNanos = Long.MIN_VALUE;
    private long lastPeerNanos = Long.MIN_VALUE;
    private long timeWentBack;
    private long currentPeerTime;
    private long interruptsSent;
    private long atsInvalidationsSent;
    private long atsInvalidationsAcknowledged;
    private long atsInvalidationsTimedOut;
    private long invalidationsNotForwarded;
    private long memoryTimeouts;
    private long remoteReadsAtLastRequest;
    private long remoteReadsDuringRequests;
    private long mmioAccesses;
    private long mmioErrors;
    private long tlpErrors;
    private String endReason = "";
    /** The files of {@link CosimServer#sessionOutputs()} for this session, once built: results and logs. */
    private ResultSink results = ResultSink.NONE;
    private ReplayListener logs = ReplayListener.NONE;
    /** The open files, and the path of each file this session created (kept once closed, for its statistics). */
    private final List<Closeable> files = new ArrayList<>();
    private final List<Path> filePaths = new ArrayList<>();
    private Path resultsFile;

    Session(final int number, final Channel channel, final CosimServer server)
    {
        this.number = number;
        this.channel = channel;
        this.server = server;
        this.scenario = server.scenario();
        this.spec = scenario.cosim();
        this.options = server.options();
        this.answerWaitNanos = options.answerWaitMicros() * 1000L;
        this.peerName = describe(channel);
    }

    private static String describe(final Channel channel)
    {
        final Object remote = channel.remoteAddress();
        if (remote instanceof InetSocketAddress inet)
        {
            return "tcp:" + inet.getHostString() + ":" + inet.getPort();
        }
        final Object local = channel.localAddress();
        return "unix:" + (local == null ? "?" : local.toString());
    }

    int number()
    {
        return number;
    }

    /** "session 3 (tcp:127.0.0.1:51234)", how every log line names it. */
    String name()
    {
        return "session " + number + " (" + peerName + ")";
    }

    Channel channel()
    {
        return channel;
    }

    void start()
    {
        final Thread thread = new Thread(this, "cosim-session-" + number);
        thread.setDaemon(true);
        modelThread = thread;
        thread.start();
    }

    Thread thread()
    {
        return modelThread;
    }

    // -----------------------------------------------------------------------------------------------------------
    // Event loop side.

    boolean helloDone()
    {
        return helloDone;
    }

    boolean ieTranslate()
    {
        return ieTranslate;
    }

    boolean ieTlp()
    {
        return ieTlp;
    }

    boolean ieControl()
    {
        return ieControl;
    }

    /** The peer's HELLO was accepted: record what both sides support, then let the model build the platform. */
    void helloReceived(final Hello hello)
    {
        extBase = hello.has(RemotePort.CAP_BUSACCESS_EXT_BASE);
        peerAts = hello.has(RemotePort.CAP_ATS);
        ieTranslate = hello.has(RemotePort.IE_TRANSLATE);
        ieTlp = hello.has(RemotePort.IE_TLP);
        ieControl = hello.has(RemotePort.IE_CONTROL);
        helloDone = true;
        offer(START);
    }

    /** Queue a packet or marker for the model thread and wake it if it sleeps; returns the queue's length. */
    private int offer(final RpPacket packet)
    {
        inbox.offer(packet);
        final int n = queued.incrementAndGet();
        if (modelParked)
        {
            LockSupport.unpark(modelThread);
        }
        return n;
    }

    /**
     * The model thread's next packet: polls, flushes the batch, lets go of the model while idle (the event loop may
     * answer a request inline meanwhile), spins a little, polls yielding the CPU for {@code --idle-poll}, then parks
     * until one comes. Returns with the model owned.
     */
    private RpPacket take()
    {
        RpPacket packet = inbox.poll();
        if (packet != null)
        {
            queued.decrementAndGet();
            return packet;
        }
        flush();
        modelOwned.set(false);
        // Spin a few microseconds, then poll yielding the CPU (a peer with one request outstanding sends the next
        // about a round trip after its answer: the thread is then still awake), then sleep until woken.
        final long idleSince = System.nanoTime();
        final long spinEnd = idleSince + IDLE_SPIN_NANOS;
        final long pollEnd = idleSince + options.idlePollMicros() * 1000L;
        while (true)
        {
            packet = takeOwned();
            if (packet != null)
            {
                return packet;
            }
            final long now = System.nanoTime();
            if (now - spinEnd < 0)
            {
                Thread.onSpinWait();
            }
            else if (now - pollEnd < 0)
            {
                Thread.yield();
            }
            else
            {
                break;
            }
        }
        while (true)
        {
            modelParked = true;
            packet = takeOwned();
            if (packet != null)
            {
                modelParked = false;
                return packet;
            }
            LockSupport.park(this);
            modelParked = false;
        }
    }

    /**
     * While idle: the next queued packet with the model taken back, or null. The model is taken before the packet
     * leaves the count, so the event loop, which answers inline only with nothing counted, never overtakes it.
     */
    private RpPacket takeOwned()
    {
        if (queued.get() == 0)
        {
            return null;
        }
        while (!modelOwned.compareAndSet(false, true))
        {
            Thread.onSpinWait(); // the event loop is answering a request inline: a few microseconds at most
        }
        final RpPacket packet = inbox.poll();
        if (packet == null)
        {
            modelOwned.set(false);
            return null;
        }
        queued.decrementAndGet();
        return packet;
    }

    /**
     * Whether the event loop may hold {@code packet} for {@link #answerInline} (SessionHandler holds one at a time, to
     * the end of its read): every ATS_REQ, in any session. answerInline decides by the session (a lone request where
     * the model cannot need the peer, a clean repeat elsewhere); one it does not answer is queued with its answer
     * awaited ({@link #awaitAnswer}).
     */
    boolean inlineCandidate(final RpPacket packet)
    {
        return packet instanceof Ats;
    }

    /**
     * After a lone ATS_REQ was queued for the model thread (event loop; a session that cannot answer it inline): wait
     * up to {@link ServerOptions#answerWaitMicros()}, yielding the CPU, for the model thread's first batch of output
     * (the answer, or the READ of a walk that needs the peer) and write it now, rather than be woken for it later.
     * Every batch still leaves in order: this only drains the same ordered queue earlier.
     */
    void awaitAnswer()
    {
        if (inlineTranslations || answerWaitNanos == 0 || queued.get() > 1)
        {
            return; // with requests queued before it, the answer is not a few microseconds away: keep decoding
        }
        final long end = System.nanoTime() + answerWaitNanos;
        while (outbound.isEmpty())
        {
            if (System.nanoTime() - end >= 0 || closing || shuttingDown)
            {
                return;
            }
            Thread.yield();
        }
        answersAfterWait++;
        drainOutbound();
    }

    /**
     * An ATS_REQ the event loop may answer itself (event loop): when this session's model never needs the peer for a
     * translation, nothing is queued or running, no timeline action is due and the peer reads what it is sent. The
     * request is then carried out exactly as the model thread would, and its response written at once.
     *
     * @return whether it was answered (else the caller queues it).
     */
    boolean answerInline(final RpPacket packet)
    {
        if (!(packet instanceof Ats ats) || queued.get() != 0 || closing || shuttingDown || readingPaused ||
            !channel.isWritable() || !modelOwned.compareAndSet(false, true))
        {
            return false;
        }
        try
        {
            if (queued.get() != 0 || replay == null || replay.actionsDue(requestIndex) ||
                !inlineTranslations && (repeats == null || !repeats.contains(ats)))
            {
                return false;
            }
            processTracked(packet);
            inlineAnswers++;
            flush();
            return true;
        }
        catch (final RuntimeException | Error ex)
        {
            inlineFailure = emulatorBug(ex);
            channel.close();
            return true;
        }
        finally
        {
            modelOwned.set(false);
        }
    }

    /** A request for the model (event loop). */
    void enqueue(final RpPacket packet)
    {
        if (offer(packet) >= options.queueHigh() && !readingPaused)
        {
            readingPaused = true;
            channel.config().setAutoRead(false);
        }
    }

    /** A response from the peer (event loop): the answer to the model's round trip, or dropped. */
    void responseReceived(final RpPacket response)
    {
        if (response.isPosted())
        {
            return;
        }
        if (pendingWaiting && response.id() == pendingId)
        {
            pendingResponse = response;
            LockSupport.unpark(modelThread);
            return;
        }
        unmatchedResponses.incrementAndGet();
        server.log(name() + ": dropped " + response.describe() + ": it answers no request of this server's");
    }

    /** Count an error response; true when the session has had too many and must end. */
    boolean countError()
    {
        return protocolErrors.incrementAndGet() > options.maxErrors();
    }

    void writabilityChanged()
    {
        if (channel.isWritable())
        {
            if (readingPaused && queued.get() < options.queueLow())
            {
                readingPaused = false;
                channel.config().setAutoRead(true);
            }
            LockSupport.unpark(modelThread);
        }
        else if (!readingPaused)
        {
            readingPaused = true;
            channel.config().setAutoRead(false);
        }
    }

    /** The connection is gone (event loop): the model stops, whatever it was waiting for. */
    void closed()
    {
        closing = true;
        offer(STOP);
        LockSupport.unpark(modelThread);
    }

    /** Server shutdown: stop reading, finish what is queued within the grace period, fail the rest (any thread). */
    void shutdown(final long graceMillis)
    {
        deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
        shuttingDown = true;
        channel.eventLoop().execute(() ->
        {
            readingPaused = true;
            channel.config().setAutoRead(false);
            offer(STOP);
        });
    }

    /** After the grace period: a round trip still waiting gives up (its fetch reads as failed). */
    void abortPending()
    {
        pendingAborted = true;
        LockSupport.unpark(modelThread);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Model thread.

    @Override
    public void run()
    {
        try
        {
            final RpPacket first = take();
            if (first == STOP)
            {
                endReason = closing ? "the peer closed before its HELLO" : "shutdown before the peer's HELLO";
                return;
            }
            build();
            // A session that writes files answers on its model thread only: the event loop never waits for a disk.
            final boolean answersInline = options.inlineAnswers() && files.isEmpty();
            final boolean inline = answersInline && remote == null && spec.interrupts() == Scenario.CosimInterrupts.WIRE;
            repeats = inline || !answersInline ? null : new RepeatHits();
            inlineTranslations = inline;
            while (true)
            {
                final RpPacket packet = take();
                if (packet == STOP)
                {
                    break;
                }
                if (readingPaused && queued.get() < options.queueLow() && !shuttingDown)
                {
                    resumeReading();
                }
                awaitWritable();
                if (closing)
                {
                    continue;
                }
                if (shuttingDown && System.nanoTime() > deadline)
                {
                    fail(packet);
                }
                else
                {
                    processTracked(packet);
                }
            }
            endReason = inlineFailure != null ? inlineFailure : closing ? "the peer closed the connection" :
                shuttingDown ? "server shutdown" : "stopped";
        }
        catch (final PeerGoneException ex)
        {
            endReason = ex.getMessage();
        }
        catch (final ConfigException ex)
        {
            endReason = "cannot build the platform: " + ex.getMessage();
            server.log(name() + ": " + endReason);
        }
        catch (final IOException ex)
        {
            endReason = "cannot map the shared guest memory: " + ex.getMessage();
            server.log(name() + ": " + endReason);
        }
        catch (final OutputFailure ex)
        {
            endReason = ex.getMessage();
            server.log(name() + ": " + endReason);
        }
        catch (final UncheckedIOException ex)
        {
            // Only this session's logs throw it (they hear translations, actions and invalidations): a log that cannot
            // be written ends the session as the results file does.
            if (files.isEmpty())
            {
                endReason = emulatorBug(ex);
            }
            else
            {
                endReason = "cannot write " + ex.getMessage() + ": " + ex.getCause().getMessage();
                server.log(name() + ": " + endReason);
            }
        }
        catch (final RuntimeException | Error ex)
        {
            endReason = emulatorBug(ex);
        }
        finally
        {
            try
            {
                flush();
            }
            catch (final RuntimeException ignored)
            {
                // The channel may be gone; the statistics below still go out.
            }
            closeOutputs();
            server.sessionEnded(this, statistics(true), statisticsJson(true));
            channel.close();
        }
    }

    /**
     * Open this session's files of {@code outputs} (nothing when it asks for none): the results as CSV, the logs as
     * listeners of the replay. A file that cannot be opened ends the session ({@link OutputFailure}).
     */
    private void openOutputs(final SessionOutputs outputs)
    {
        if (!outputs.any())
        {
            return;
        }
        final List<ReplayListener> listeners = new ArrayList<>();
        resultsFile = outputs.results(number);
        try
        {
            results = outputs.binary() ? kept(new BinaryResultSink(resultsFile), resultsFile) : new CsvResultSink(open(resultsFile));
        }
        catch (final IOException ex)
        {
            throw new OutputFailure("cannot write " + resultsFile + ": " + ex.getMessage());
        }
        if (outputs.qemuLog())
        {
            listeners.add(new QemuTraceLog(platform, open(outputs.log(number, "qemu"))));
        }
        if (outputs.dmesgLog())
        {
            listeners.add(new KernelLog(platform, open(outputs.log(number, "dmesg"))));
        }
        logs = ReplayListener.all(listeners);
        replay.listener(logs);
        server.log(name() + ": writes its requests to " + resultsFile +
            (listeners.isEmpty() ? "" : " and its " + (listeners.size() == 2 ? "logs" : "log") + " beside it"));
    }

    /** Create (or truncate) one of this session's text files, {@link #kept}; a failure ends the session. */
    private Writer open(final Path file)
    {
        try
        {
            return kept(Files.newBufferedWriter(file, StandardCharsets.UTF_8), file);
        }
        catch (final IOException ex)
        {
            throw new OutputFailure("cannot write " + file + ": " + ex.getMessage());
        }
    }

    /** {@code file}, just opened at {@code path}: closed by {@link #closeOutputs}, named in the statistics. */
    private <T extends Closeable> T kept(final T file, final Path path)
    {
        files.add(file);
        filePaths.add(path);
        return file;
    }

    /** Hand one carried-out request to the results file (its logs heard it from the replay). */
    private void written(final ReplayRecord record)
    {
        if (results != ResultSink.NONE)
        {
            try
            {
                results.accept(record);
            }
            catch (final IOException ex)
            {
                throw new OutputFailure("cannot write " + resultsFile + ": " + ex.getMessage());
            }
        }
    }

    /**
     * End the logs (a dmesg log prints the faults still in the event log) and close every file. A file whose last
     * buffered lines cannot be written is named in the server's log and in the session's end reason.
     */
    private void closeOutputs()
    {
        if (files.isEmpty())
        {
            return;
        }
        try
        {
            logs.end(replay.statistics());
        }
        catch (final UncheckedIOException ex)
        {
            outputLost("cannot finish " + ex.getMessage() + ": " + ex.getCause().getMessage());
        }
        for (int i = 0; i < files.size(); i++)
        {
            try
            {
                files.get(i).close();
            }
            catch (final IOException ex)
            {
                outputLost("cannot write " + filePaths.get(i) + ": " + ex.getMessage());
            }
        }
        files.clear();
    }

    private void outputLost(final String what)
    {
        server.log(name() + ": " + what);
        endReason = endReason.isEmpty() ? what : endReason + "; " + what;
    }

    /** A session's results or log could not be written: the session ends, saying so (nothing is dropped silently). */
    private static final class OutputFailure extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        OutputFailure(final String message)
        {
            super(message, null, false, false);
        }
    }

    /** Log an emulator bug that ends the session, with its stack trace; returns the session's end reason. */
    private String emulatorBug(final Throwable ex)
    {
        server.log(name() + ": ends on an emulator bug while serving the peer: " + ex);
        final StringWriter trace = new StringWriter();
        ex.printStackTrace(new PrintWriter(trace));
        server.log(trace.toString());
        return "emulator bug: " + ex;
    }

    private void build() throws IOException
    {
        final Scenario.CosimSpec c = spec;
        if (c.setup() == Scenario.CosimSetup.GUEST)
        {
            remote = new RemoteMemory(this, c.errorsReadAsOnes() ? (byte)0xFF : 0);
            if (c.memory() == Scenario.CosimMemory.SHARED)
            {
                final List<long[]> ranges = new ArrayList<>();
                for (final Scenario.SharedRange r : c.sharedRanges())
                {
                    ranges.add(new long[] {r.gpa(), r.offset(), r.size()});
                }
                shared = new SharedFileMemory(c.sharedFile(), ranges);
            }
            routed = new RoutedMemory(new SparseMemory(), Platform.emulatorRanges(scenario), shared, remote);
            platform = Platform.forGuest(scenario, routed);
        }
        else
        {
            platform = Platform.build(scenario);
        }
        port = platform.port();
        modelCaches = port.caches().toArray(new TranslationCache[0]);
        replay = new Replay(platform);
        ghz = platform.profile().clock().frequencyGhz();
        if (port instanceof AmdViIommu amdvi)
        {
            amdvi.interruptListener(this);
            amdvi.dispatcher().addListener(this);
        }
        else if (port instanceof VtdIommu vtd)
        {
            vtd.interruptListener(this);
            vtd.dispatcher().addListener(this);
        }
        openOutputs(server.sessionOutputs());
        server.log(name() + ": connected, " + platform.describe() + ", profile " + platform.profile().name() +
            (remote == null ? ", the scenario's own memory" : shared == null ? ", remote guest memory" :
                ", shared guest memory (" + Summary.bytes(shared.mappedBytes()) + " mapped)"));
    }

    /**
     * Carry out a packet (with the model owned) and keep {@link #repeats}: a clean ATS_REQ is added,
     * anything else empties it.
     */
    private void processTracked(final RpPacket packet)
    {
        final RepeatHits r = repeats;
        if (r == null)
        {
            process(packet);
            return;
        }
        final long versions = cacheVersions();
        final long guest = guestAccesses();
        final long sent = sentToPeer();
        cleanHit = false;
        process(packet);
        if (cleanHit && versions == cacheVersions() && guest == guestAccesses() && sent == sentToPeer())
        {
            r.add((Ats)packet);
        }
        else
        {
            r.clear();
        }
    }

    /** Accesses to the peer's guest memory so far (0 with the scenario's own memory). */
    private long guestAccesses()
    {
        return routed == null ? 0 : routed.guestAccesses();
    }

    /** What the model sent the peer besides answers so far: interrupts and ATS invalidations. */
    private long sentToPeer()
    {
        return interruptsSent + atsInvalidationsSent;
    }

    private long cacheVersions()
    {
        long sum = 0;
        for (final TranslationCache cache : modelCaches)
        {
            sum += cache.version();
        }
        return sum;
    }

    private void process(final RpPacket packet)
    {
        if (packet instanceof BusAccess access)
        {
            if (access.dev() == spec.mmioChannel())
            {
                mmio(access);
            }
            else
            {
                busError(access, RemotePort.RESP_ADDR_ERROR, "a " + RemotePort.commandName(access.command()) + " from the peer on dev " +
                    Integer.toUnsignedString(access.dev()) + ", which is not the MMIO channel (" + spec.mmioChannel() + ")");
            }
        }
        else if (packet instanceof Ats ats)
        {
            translate(ats);
        }
        else if (packet instanceof TlpRequest tlp)
        {
            tlp(tlp);
        }
        else if (packet instanceof Sync sync)
        {
            final Sync response = new Sync();
            response.answering(sync);
            response.timestamp(Math.max(sync.timestamp(), toPeer(peerBaseNanos == Long.MIN_VALUE ? 0 :
                peerBaseNanos + cyclesToNanos(replay.timing().lastCompletion()))));
            send(response);
        }
        else if (packet instanceof Stats stats)
        {
            final Stats response = new Stats().text(statistics(false));
            response.answering(stats);
            send(response);
        }
        else
        {
            throw new IllegalStateException("the handler queued " + packet.describe());
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // MMIO.

    private void mmio(final BusAccess access)
    {
        mmioAccesses++;
        currentPeerTime = access.timestamp();
        final long offset = access.address() - spec.mmioBase();
        final int length = access.length();
        String problem = null;
        int code = RemotePort.RESP_BUS_GENERIC_ERROR;
        if (length != 4 && length != 8)
        {
            problem = "MMIO length " + Integer.toUnsignedString(length) + " (4 or 8)";
        }
        else if (offset < 0 || offset + length > port.registerBlockSize())
        {
            problem = "MMIO address 0x" + Long.toHexString(access.address()) + " is outside the " + port.name() +
                " register block [0x" + Long.toHexString(spec.mmioBase()) + ", +0x" + Integer.toHexString(port.registerBlockSize()) + ")";
            code = RemotePort.RESP_ADDR_ERROR;
        }
        else if ((offset & (length - 1)) != 0)
        {
            problem = "a " + length + "-byte MMIO access at 0x" + Long.toHexString(offset) + " is not naturally aligned";
        }
        else if (access.streamWidth() != length && access.streamWidth() != 0)
        {
            problem = "stream_width " + Integer.toUnsignedString(access.streamWidth()) + " is not len " + length;
        }
        else if (!access.isRead() && access.data().length != length)
        {
            problem = "the WRITE carries " + access.data().length + " data bytes for len " + length;
        }
        if (problem != null)
        {
            mmioErrors++;
            busError(access, code, problem);
            return;
        }
        final int at = (int)offset;
        if (access.isRead())
        {
            send(BusAccess.responseTo(access, RemotePort.RESP_OK).dataValue(readRegister(at, length), length));
            return;
        }
        // A WRITE's data is exactly its length (checked above).
        writeRegister(at, length, access.dataValue(length), enableMask(access.byteEnables(), length));
        if (!access.isPosted())
        {
            send(BusAccess.responseTo(access, RemotePort.RESP_OK));
        }
    }

    private long readRegister(final int offset, final int length)
    {
        if (length == 4 || port.registerWidth(offset) == 8)
        {
            return port.readRegister(offset, length);
        }
        return (port.readRegister(offset, 4) & 0xFFFF_FFFFL) | (port.readRegister(offset + 4, 4) << 32);
    }

    /** A write of the enabled bytes ({@code mask}, one bit per byte): partial words are read, merged and written. */
    private void writeRegister(final int offset, final int length, final long value, final int mask)
    {
        final int all = (1 << length) - 1;
        if (length == 8 && port.registerWidth(offset) == 8)
        {
            writeMerged(offset, 8, value, mask & all);
            return;
        }
        writeMerged(offset, 4, value & 0xFFFF_FFFFL, mask & 0xF);
        if (length == 8)
        {
            writeMerged(offset + 4, 4, value >>> 32, (mask >>> 4) & 0xF);
        }
    }

    private void writeMerged(final int offset, final int width, final long value, final int mask)
    {
        if (mask == 0)
        {
            return;
        }
        final int all = (1 << width) - 1;
        if (mask == all)
        {
            port.writeRegister(offset, width, value);
            return;
        }
        long bytes = 0;
        for (int i = 0; i < width; i++)
        {
            if ((mask & (1 << i)) != 0)
            {
                bytes |= 0xFFL << (8 * i);
            }
        }
        final long current = port.readRegister(offset, width);
        port.writeRegister(offset, width, (current & ~bytes) | (value & bytes));
    }

    /** Byte enables as a bit mask over {@code length} bytes (remote-port repeats the enables over the access). */
    private static int enableMask(final byte[] enables, final int length)
    {
        if (enables == null || enables.length == 0)
        {
            return (1 << length) - 1;
        }
        int mask = 0;
        for (int i = 0; i < length; i++)
        {
            if (enables[i % enables.length] != 0)
            {
                mask |= 1 << i;
            }
        }
        return mask;
    }

    // -----------------------------------------------------------------------------------------------------------
    // Translation.

    private void translate(final Ats ats)
    {
        currentPeerTime = ats.timestamp();
        if (ats.command() != RemotePort.CMD_ATS_REQ)
        {
            atsError(ats, "an ATS_INV request from the peer: this server keeps no translations a peer can invalidate");
            return;
        }
        if (ats.dev() != spec.translationChannel())
        {
            atsError(ats, "an ATS_REQ on dev " + Integer.toUnsignedString(ats.dev()) + ", which is not the translation channel (" +
                spec.translationChannel() + ")");
            return;
        }
        final long word = ieTranslate ? ats.reserved(0) : 0;
        if (ieTranslate && (ats.reserved(1) != 0 || ats.reserved(2) != 0 || ats.reserved(3) != 0))
        {
            atsError(ats, "reserved1..3 of an ATS_REQ must be 0");
            return;
        }
        final int at = TranslateWords.valid(word) ? TranslateWords.at(word) : 0;
        if (TranslateWords.valid(word) && ((word & TranslateWords.REQUEST_RESERVED) != 0 || at == 3))
        {
            atsError(ats, at == 3 ? "AT 11 is reserved" : "reserved bits of the request word are set: 0x" +
                Long.toHexString(word & TranslateWords.REQUEST_RESERVED));
            return;
        }
        final long attributes = ats.attributes();
        int access = ((attributes & AtsLayout.ATTR_READ) != 0 ? Permissions.READ : 0) |
            ((attributes & AtsLayout.ATTR_WRITE) != 0 ? Permissions.WRITE : 0) |
            ((attributes & AtsLayout.ATTR_EXEC) != 0 ? Permissions.EXECUTE : 0);
        if ((access & Permissions.READ_WRITE) == 0)
        {
            access |= Permissions.READ;
        }
        final int length = dmaLength(ats);
        final DmaRequest r = request.set(TranslateWords.valid(word) ? TranslateWords.requesterId(word) : defaultRequester(),
            ats.address(), length, access, AddressType.ofField(at), TranslateWords.valid(word) && TranslateWords.trusted(word));
        if (TranslateWords.valid(word))
        {
            r.pasid(TranslateWords.pasid(word)).privileged(TranslateWords.privileged(word));
        }
        final long timeNanos = arrival(ats.timestamp());
        final boolean actionsDue = replay.actionsDue(requestIndex);
        replay.applyActionsBefore(requestIndex);
        final long readsBefore = remoteReads();
        final ReplayRecord record = replay.stepRequest(requestIndex++, timeNanos, r);
        remoteReadsDuringRequests += remoteReads() - readsBefore;
        written(record);
        final RequestOutcome o = record.outcome();
        cleanHit = !actionsDue && o.isOk() && o.iotlbHit();
        final Ats response = Ats.request();
        response.answering(ats);
        response.timestamp(completionTime(ats.timestamp(), record));
        boolean ok = o.isOk();
        long address = 0;
        long size = 0;
        int permissions = 0;
        if (ok && at == 1)
        {
            final long entry = o.completionEntry();
            if ((entry & (TranslationCompletionEntry.R | TranslationCompletionEntry.W)) == 0)
            {
                ok = false;
            }
            else
            {
                final boolean s = (entry & TranslationCompletionEntry.S) != 0;
                size = AtsRange.size(entry & TranslationCompletionEntry.ADDRESS_MASK, s);
                final long base = AtsRange.base(entry & TranslationCompletionEntry.ADDRESS_MASK, s);
                address = base | (ats.address() & (size - 1));
                permissions = ((entry & TranslationCompletionEntry.R) != 0 ? Permissions.READ : 0) |
                    ((entry & TranslationCompletionEntry.W) != 0 ? Permissions.WRITE : 0) |
                    ((entry & TranslationCompletionEntry.EXE) != 0 ? Permissions.EXECUTE : 0);
            }
        }
        else if (ok)
        {
            size = 1L << o.pageSizeLg2();
            address = o.outputAddress();
            permissions = o.permissions();
        }
        if (ok)
        {
            response.result(AtsLayout.RESULT_OK).address(address).length(size - (ats.address() & (size - 1)))
                .attributes(((permissions & Permissions.READ) != 0 ? AtsLayout.ATTR_READ : 0) |
                    ((permissions & Permissions.WRITE) != 0 ? AtsLayout.ATTR_WRITE : 0) |
                    ((permissions & Permissions.EXECUTE) != 0 ? AtsLayout.ATTR_EXEC : 0));
            if (at != 2)
            {
                handedOut(o, r, ats.address(), Long.numberOfTrailingZeros(size));
            }
        }
        else
        {
            response.result(AtsLayout.RESULT_ERROR).address(0).length(0).attributes(0);
        }
        if (ieTranslate)
        {
            response.reserved(0, TranslateWords.outcome(o.pageSizeLg2(), o.iotlbHit(), !o.isOk(), o.recordLogged(),
                FaultFamily.of(o.fault()), o.domainId(), o.isOk() ? -1 : o.fault().faultCode()));
            response.reserved(1, record.latencyCycles());
            response.reserved(2, o.completionEntry());
            response.reserved(3, o.outputAddress());
        }
        if (!ats.isPosted())
        {
            send(response);
        }
    }

    /** The DMA length an ATS_REQ stands for: its length field, 0 meaning 4 bytes, at most one 4 KiB page. */
    static int dmaLength(final Ats ats)
    {
        return ats.length() == 0 ? 4 : (int)Math.min(ats.length(), 4096);
    }

    private int defaultRequester()
    {
        if (spec.translationRequester() >= 0)
        {
            return spec.translationRequester();
        }
        return scenario.devices().isEmpty() ? 0 : scenario.devices().get(0).requesterId();
    }

    private void atsError(final Ats ats, final String reason)
    {
        server.log(name() + ": " + ats.describe() + ": " + reason + "; answered with result 1");
        protocolErrors.incrementAndGet();
        if (!ats.isPosted())
        {
            final Ats response = Ats.request();
            response.answering(ats);
            response.timestamp(ats.timestamp()).result(AtsLayout.RESULT_ERROR);
            send(response);
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Raw TLPs.

    private void tlp(final TlpRequest tlp)
    {
        currentPeerTime = tlp.timestamp();
        final TlpResponse response = new TlpResponse();
        response.answering(tlp);
        if (tlp.dev() != spec.tlpChannel())
        {
            server.log(name() + ": " + tlp.describe() + ": not the TLP channel (" + spec.tlpChannel() + "); answered with an error");
            sendError(tlp, ErrorLayout.WRONG_CHANNEL, TlpCommandLayout.REQUEST_LENGTH, "dev " + Integer.toUnsignedString(tlp.dev()) +
                " is not the TLP channel " + spec.tlpChannel());
            return;
        }
        final byte[] bytes = tlp.tlp();
        tlpBuffer.putBytes(0, bytes);
        final int flags = tlp.tlpFlags();
        final long timeNanos = arrival(tlp.timestamp());
        traceRecord.set(timeNanos, TraceRecord.NANOSECONDS,
            (flags & TlpCommandLayout.FLAG_DOWNSTREAM) != 0 ? Direction.DOWNSTREAM : Direction.UPSTREAM, 0)
            .ide((flags & TlpCommandLayout.FLAG_T_VALID) != 0, (flags & TlpCommandLayout.FLAG_T) != 0, 0)
            .tlpBytes((flags & TlpCommandLayout.FLAG_FLIT) != 0, tlpBuffer, 0, bytes.length, bytes.length);
        traceRecord.position(requestIndex, tlp.streamOffset());
        final TlpError error = traceRecord.decode();
        if (error != TlpError.NONE)
        {
            tlpErrors++;
            tlpSummary.onSkipped(new TraceFormatException(name(), TraceError.UNDECODABLE_TLP, requestIndex, tlp.streamOffset(),
                error.description()), false);
            response.timestamp = tlp.timestamp();
            response.trafficClass = TlpCommandLayout.CLASS_NOT_DECODED;
            response.outcome = TlpCommandLayout.OUTCOME_TLP_ERROR;
            response.tlpError = error.ordinal();
            response.tlpErrorOffset = traceRecord.tlp().errorOffset();
            response.name = error.description();
            send(response);
            return;
        }
        tlpSummary.onDecoded(false);
        replay.applyActionsBefore(requestIndex);
        final long readsBefore = remoteReads();
        final ReplayRecord record = replay.step(requestIndex++, traceRecord);
        remoteReadsDuringRequests += remoteReads() - readsBefore;
        written(record);
        final DmaRequest r = record.request();
        final RequestOutcome o = record.outcome();
        response.trafficClass = record.trafficClass().ordinal();
        if (record.trafficClass() != TrafficClass.DMA)
        {
            response.timestamp = tlp.timestamp();
            response.outcome = TlpCommandLayout.OUTCOME_NOT_TRANSLATED;
            response.name = record.trafficClass().label();
            send(response);
            return;
        }
        response.timestamp = completionTime(tlp.timestamp(), record);
        response.outcome = o.isOk() ? TlpCommandLayout.OUTCOME_OK : TlpCommandLayout.OUTCOME_FAULT;
        response.resultFlags = (o.iotlbHit() ? TlpCommandLayout.RESULT_IOTLB_HIT : 0) |
            (o.recordLogged() ? TlpCommandLayout.RESULT_RECORDED : 0) | (r.trusted() ? TlpCommandLayout.RESULT_T : 0) |
            (r.hasPasid() ? TlpCommandLayout.RESULT_PASID_VALID : 0) | (r.privileged() ? TlpCommandLayout.RESULT_PRIVILEGED : 0);
        response.access = r.access() & 7;
        response.requesterId = r.requesterId();
        response.pasid = r.pasid();
        response.address = r.address();
        response.at = r.addressType().ordinal();
        response.latencyCycles = record.latencyCycles();
        response.arrivalCycle = record.arrivalCycle();
        response.tableFetches = record.tableFetches();
        response.rmpFetches = record.rmpFetches();
        response.completionEntry = o.completionEntry();
        if (o.isOk())
        {
            response.outputAddress = o.outputAddress();
            response.pageSizeLg2 = o.pageSizeLg2();
            response.permissions = o.permissions() & 0xF;
            if (r.addressType() == AddressType.TRANSLATION_REQUEST &&
                (o.completionEntry() & (TranslationCompletionEntry.R | TranslationCompletionEntry.W)) != 0)
            {
                handedOut(o, r, r.address(), Math.max(12, o.pageSizeLg2()));
            }
        }
        else
        {
            response.faultCode = o.fault().faultCode();
            response.faultFamily = FaultFamily.of(o.fault());
            response.name = o.fault().faultName();
        }
        send(response);
    }

    // -----------------------------------------------------------------------------------------------------------
    // Time (docs/protocol.md 8).

    private long toNanos(final long peerTime)
    {
        return spec.clock() == Scenario.CosimClock.PS ? peerTime / 1000 : peerTime;
    }

    private long toPeer(final long nanos)
    {
        return spec.clock() == Scenario.CosimClock.PS ? nanos * 1000 : nanos;
    }

    private long cyclesToNanos(final long cycles)
    {
        return ghz == 1.0 ? cycles : (long)Math.ceil(cycles / ghz);
    }

    /** The arrival time handed to the replay pipeline: the peer's time in lock-step, 0 (back to back) when free-running. */
    private long arrival(final long peerTime)
    {
        final long nanos = toNanos(peerTime);
        if (peerBaseNanos == Long.MIN_VALUE)
        {
            peerBaseNanos = nanos;
        }
        if (lastPeerNanos != Long.MIN_VALUE && nanos < lastPeerNanos)
        {
            timeWentBack++;
        }
        lastPeerNanos = Math.max(lastPeerNanos, nanos);
        return spec.sync() == Scenario.CosimSync.LOCK_STEP ? Math.max(0, nanos - peerBaseNanos) : 0;
    }

    /** The response's timestamp: the completion on the peer's time line. */
    private long completionTime(final long peerTime, final ReplayRecord record)
    {
        if (spec.sync() == Scenario.CosimSync.LOCK_STEP)
        {
            return Math.max(peerTime, toPeer(peerBaseNanos + cyclesToNanos(record.completionCycle())));
        }
        return peerTime + toPeer(cyclesToNanos(record.latencyCycles()));
    }

    // -----------------------------------------------------------------------------------------------------------
    // The model's listeners: interrupts and invalidations.

    @Override
    public void onInterrupt(final InterruptSource source, final long address, final int data)
    {
        interruptsSent++;
        if (spec.interrupts() == Scenario.CosimInterrupts.WIRE)
        {
            for (int value = 1; value >= 0; value--)
            {
                final Interrupt irq = new Interrupt().timestamp(currentPeerTime).vector(0).line(source.line()).value(value);
                irq.id(nextId()).flags(RemotePort.FLAG_POSTED).dev(spec.interruptChannel());
                send(irq);
            }
            return;
        }
        for (int i = 0; i < 4; i++)
        {
            msi[i] = (byte)(data >>> (8 * i));
        }
        if (write(address, msi, 4) != 0)
        {
            server.log(name() + ": the peer refused the " + source + " MSI write at 0x" + Long.toHexString(address));
        }
    }

    @Override
    public void onInvalidation(final InvalidationScope scope, final int roleMask)
    {
        if (!peerAts)
        {
            invalidationsNotForwarded += shadow.removeCovered(scope, (tag, key) -> { });
            return;
        }
        if (shadow.overflowed())
        {
            shadow.clear();
            invalidate(0, -1L, TranslateWords.VALID | TranslateWords.ALL);
            return;
        }
        shadow.removeCovered(scope, (tag, key) -> invalidate(CacheKey.first(key), 1L << CacheKey.sizeLg2(key),
            TranslateWords.scope(CacheTag.requesterId(tag), CacheTag.pasid(tag), CacheTag.isTrusted(tag))));
    }

    /**
     * Remember a translation the peer may now cache, under the tag the model's own IOTLB gave it (the PASID it was
     * cached under, not the request's: VT-d's RID_PASID, AMD-Vi's PASID 0 under GIOV), so that the invalidations
     * reaching the model's entry reach the peer's copy too.
     */
    private void handedOut(final RequestOutcome o, final DmaRequest r, final long address, final int sizeLg2)
    {
        shadow.add(CacheTag.of(o.domainId(), o.tagPasid(), r.requesterId(), r.trusted(), 0), CacheKey.of(address, sizeLg2));
    }

    /** One ATS_INV round trip; the guest's completion wait waits for it (docs/protocol.md 6.5). */
    private void invalidate(final long address, final long length, final long scopeWord)
    {
        final Ats inv = Ats.invalidation().timestamp(currentPeerTime).address(address).length(length);
        if (ieTranslate)
        {
            inv.reserved(0, scopeWord);
        }
        inv.id(nextId()).dev(spec.translationChannel());
        atsInvalidationsSent++;
        final RpPacket answer = roundTrip(inv);
        if (answer instanceof Ats ack && ack.command() == RemotePort.CMD_ATS_INV)
        {
            atsInvalidationsAcknowledged++;
            if (ack.result() != AtsLayout.RESULT_OK)
            {
                server.log(name() + ": the peer answered ATS_INV 0x" + Long.toHexString(address) + " with result " + ack.result());
            }
        }
        else if (answer == null)
        {
            atsInvalidationsTimedOut++;
        }
        else
        {
            server.log(name() + ": an ATS_INV was answered with " + answer.describe());
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // The peer's memory (PeerAccess).

    @Override
    public int read(final long address, final byte[] dst, final int length)
    {
        final BusAccess read = BusAccess.read().timestamp(currentPeerTime).address(address).length(length).streamWidth(length)
            .masterId(spec.requester()).extended(extBase);
        read.id(nextId()).dev(spec.memoryChannel());
        final RpPacket answer = roundTrip(read);
        if (answer instanceof BusAccess response && response.isRead())
        {
            if (response.responseCode() == RemotePort.RESP_OK && response.data().length == length)
            {
                System.arraycopy(response.data(), 0, dst, 0, length);
                return RemotePort.RESP_OK;
            }
            if (response.responseCode() == RemotePort.RESP_OK)
            {
                server.log(name() + ": " + response.describe() + " carries " + response.data().length + " bytes for " + length);
                return RemotePort.RESP_BUS_GENERIC_ERROR;
            }
            server.log(name() + ": the peer answered a " + length + "-byte READ of guest memory at 0x" + Long.toHexString(address) +
                " with response code " + response.responseCode() + "; it reads as " + (spec.errorsReadAsOnes() ? "all ones" : "zeros"));
            return response.responseCode();
        }
        if (answer != null)
        {
            server.log(name() + ": a READ of guest memory was answered with " + answer.describe());
        }
        return RemotePort.RESP_BUS_GENERIC_ERROR;
    }

    @Override
    public int write(final long address, final byte[] src, final int length)
    {
        final byte[] data = new byte[length];
        System.arraycopy(src, 0, data, 0, length);
        final BusAccess write = BusAccess.write().timestamp(currentPeerTime).address(address).length(length).streamWidth(length)
            .masterId(spec.requester()).extended(extBase).data(data);
        write.id(nextId()).dev(spec.memoryChannel());
        final RpPacket answer = roundTrip(write);
        if (answer instanceof BusAccess response && !response.isRead())
        {
            if (response.responseCode() != RemotePort.RESP_OK)
            {
                server.log(name() + ": the peer answered a " + length + "-byte WRITE of guest memory at 0x" + Long.toHexString(address) +
                    " with response code " + response.responseCode());
            }
            return response.responseCode();
        }
        return RemotePort.RESP_BUS_GENERIC_ERROR;
    }

    /** Send a request to the peer and wait for its answer; null after the memory time-out or a shutdown's abort. */
    private RpPacket roundTrip(final RpPacket packet)
    {
        if (channel.eventLoop().inEventLoop())
        {
            // answerInline runs only where no round trip can happen: waiting here would wait for the event loop itself.
            throw new IllegalStateException("a round trip to the peer from the event loop (" + packet.describe() + ")");
        }
        if (closing)
        {
            throw new PeerGoneException("the peer closed the connection while the model waited for it");
        }
        pendingResponse = null;
        pendingId = packet.id();
        pendingWaiting = true;
        send(packet);
        flush();
        final long start = System.nanoTime();
        final long limit = start + TimeUnit.MILLISECONDS.toNanos(options.memoryTimeoutMillis());
        try
        {
            while (true)
            {
                final RpPacket answer = pendingResponse;
                if (answer != null)
                {
                    return answer;
                }
                if (closing)
                {
                    throw new PeerGoneException("the peer closed the connection while the model waited for its answer to " +
                        packet.describe());
                }
                if (pendingAborted)
                {
                    server.log(name() + ": shutdown: gave up waiting for the answer to " + packet.describe());
                    return null;
                }
                final long now = System.nanoTime();
                if (now - limit > 0)
                {
                    memoryTimeouts++;
                    server.log(name() + ": no answer to " + packet.describe() + " within " + options.memoryTimeoutMillis() + " ms");
                    return null;
                }
                if (now - start < SPIN_NANOS)
                {
                    Thread.onSpinWait();
                }
                else
                {
                    LockSupport.parkNanos(this, Math.min(limit - now, 1_000_000));
                }
            }
        }
        finally
        {
            pendingWaiting = false;
        }
    }

    private long remoteReads()
    {
        return remote == null ? 0 : remote.reads();
    }

    // -----------------------------------------------------------------------------------------------------------
    // Output.

    private int nextId()
    {
        return nextId++;
    }

    private void send(final RpPacket packet)
    {
        packetsOut.count(packet.command());
        batch.add(packet);
    }

    /**
     * Hand the batch to the event loop, which encodes and writes it and flushes once: at once when called on the event
     * loop (an inline answer, after every batch queued before it), else in a task.
     */
    private void flush()
    {
        if (batch.isEmpty())
        {
            return;
        }
        outbound.offer(batch.toArray(new RpPacket[0]));
        batch.clear();
        if (channel.eventLoop().inEventLoop())
        {
            drainOutbound();
        }
        else if (drainScheduled.compareAndSet(false, true))
        {
            channel.eventLoop().execute(this::drainOutbound);
        }
    }

    /** Write every queued batch in order and flush once (event loop). */
    private void drainOutbound()
    {
        drainScheduled.set(false);
        boolean wrote = false;
        RpPacket[] out;
        while ((out = outbound.poll()) != null)
        {
            for (final RpPacket packet : out)
            {
                channel.write(packet, channel.voidPromise());
            }
            wrote = true;
        }
        if (!wrote)
        {
            return;
        }
        channel.flush();
        final ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
        if (buffer != null)
        {
            maxOutboundBytes = Math.max(maxOutboundBytes, buffer.totalPendingWriteBytes());
        }
    }

    private void resumeReading()
    {
        channel.eventLoop().execute(() ->
        {
            if (readingPaused && channel.isWritable() && queued.get() < options.queueLow() && !shuttingDown)
            {
                readingPaused = false;
                channel.config().setAutoRead(true);
            }
        });
    }

    /** While the peer does not read what we send, produce nothing more (the event loop stopped reading it too). */
    private void awaitWritable()
    {
        if (channel.isWritable() || !channel.isActive())
        {
            return;
        }
        flush();
        while (!channel.isWritable() && channel.isActive() && !closing)
        {
            LockSupport.parkNanos(this, 1_000_000);
        }
    }

    private void busError(final BusAccess access, final int code, final String reason)
    {
        protocolErrors.incrementAndGet();
        server.log(name() + ": " + access.describe() + ": " + reason + "; answered with response code " + code);
        if (!access.isPosted())
        {
            send(BusAccess.responseTo(access, code).data(access.isRead() ? new byte[Math.max(0, Math.min(access.length(), 4096))] : null));
        }
    }

    private void sendError(final RpPacket request, final int code, final int fieldOffset, final String reason)
    {
        protocolErrors.incrementAndGet();
        if (ieControl)
        {
            send(ErrorResponse.to(request.command(), request.id(), request.dev(), code, request.streamOffset(), fieldOffset, reason));
        }
    }

    /** Answer a request the grace period left no time for (docs/protocol.md 9). */
    private void fail(final RpPacket packet)
    {
        if (packet.isPosted())
        {
            return;
        }
        if (packet instanceof BusAccess access)
        {
            send(BusAccess.responseTo(access, RemotePort.RESP_BUS_GENERIC_ERROR).data(access.isRead() ? new byte[access.length()] : null));
        }
        else if (packet instanceof Ats ats)
        {
            final Ats response = Ats.request();
            response.answering(ats);
            send(response.timestamp(ats.timestamp()).result(AtsLayout.RESULT_ERROR));
        }
        else if (packet instanceof Sync sync)
        {
            final Sync response = new Sync().timestamp(sync.timestamp());
            response.answering(sync);
            send(response);
        }
        else if (ieControl)
        {
            send(ErrorResponse.to(packet.command(), packet.id(), packet.dev(), ErrorLayout.SHUTTING_DOWN, packet.streamOffset(), 0,
                "the server is shutting down"));
        }
    }

    // -----------------------------------------------------------------------------------------------------------
    // Statistics.

    /** The replay summary of this session's requests and the co-simulation counters (docs/protocol.md 7.3). */
    String statistics(final boolean ended)
    {
        final StringWriter text = new StringWriter();
        final PrintWriter out = new PrintWriter(text);
        final double seconds = (System.nanoTime() - started) / 1e9;
        out.printf(Locale.ROOT, "%s, %s, %.1f s%s%n", name(), platform == null ? "no platform" : platform.describe() + ", profile " +
            platform.profile().name(), seconds, ended ? ", ended: " + endReason : "");
        if (replay != null)
        {
            Summary.print(Summary.rows(replay.result(tlpSummary, System.nanoTime() - started)), out);
        }
        out.println("co-simulation:");
        if (!filePaths.isEmpty())
        {
            out.println("  files written: " + filePaths.stream().map(Path::toString).collect(Collectors.joining(", ")));
        }
        out.println("  packets in: " + packetsIn.describe());
        out.println("  packets out: " + packetsOut.describe());
        out.println("  MMIO accesses: " + mmioAccesses + (mmioErrors > 0 ? " (" + mmioErrors + " refused)" : ""));
        if (remote != null)
        {
            final long walks = replay == null ? 0 : replay.timing().totalWalks();
            out.printf(Locale.ROOT, "  guest memory: %d reads (%d failed), %d writes (%d failed), %d timed out; %.2f reads per walk%n",
                remote.reads(), remote.failedReads(), remote.writes(), remote.failedWrites(), memoryTimeouts,
                walks == 0 ? 0.0 : remoteReadsDuringRequests / (double)walks);
        }
        out.println("  interrupts sent: " + interruptsSent + " (" +
            spec.interrupts().name().toLowerCase(Locale.ROOT).replace('_', '-') + ")");
        out.println("  ATS_INV: " + atsInvalidationsSent + " sent, " + atsInvalidationsAcknowledged + " acknowledged, " +
            atsInvalidationsTimedOut + " timed out" + (invalidationsNotForwarded > 0 ? ", " + invalidationsNotForwarded +
            " not forwarded (the peer has no ATS)" : "") + "; " + shadow.size() + " translations held by the peer");
        out.println("  TLPs that did not decode: " + tlpErrors);
        out.println("  protocol errors: " + protocolErrors.get() + ", unmatched responses: " + unmatchedResponses.get() +
            (timeWentBack > 0 ? ", timestamps that went back: " + timeWentBack : ""));
        out.println("  most bytes waiting for the peer to read: " + maxOutboundBytes);
        out.println("  ATS_REQs answered by the network thread: " + inlineAnswers + (inlineTranslations ? "" :
            repeats != null ? " (repeats of a clean IOTLB hit only: this session's model may need the peer)" :
            " (--no-inline-answers)") + "; answers it waited for: " + answersAfterWait);
        out.flush();
        return text.toString();
    }

    /**
     * The session's statistics as JSON (kind {@code cosim_session}, docs/results.md): the session, the replay
     * summary of its requests as {@code replay} writes it (null before a platform was built), and the
     * co-simulation counters of {@link #statistics(boolean)}.
     */
    ObjectNode statisticsJson(final boolean ended)
    {
        final ObjectNode root = JsonReport.header("cosim_session");
        final ObjectNode session = root.putObject("session");
        session.put("number", number);
        session.put("name", name());
        session.put("platform", platform == null ? null : platform.describe());
        session.put("profile", platform == null ? null : platform.profile().name());
        session.put("duration_s", (System.nanoTime() - started) / 1e9);
        session.put("ended", ended);
        session.put("end_reason", ended ? endReason : null);
        final ArrayNode written = session.putArray("files");
        filePaths.forEach(path -> written.add(path.toString()));
        if (replay != null)
        {
            root.set("replay", JsonReport.replay(replay.result(tlpSummary, System.nanoTime() - started)));
        }
        else
        {
            root.putNull("replay");
        }
        final ObjectNode cosim = root.putObject("cosim");
        packetsIn.putInto(cosim.putObject("packets_in"));
        packetsOut.putInto(cosim.putObject("packets_out"));
        cosim.put("mmio_accesses", mmioAccesses);
        cosim.put("mmio_refused", mmioErrors);
        final ObjectNode memory = cosim.putObject("guest_memory");
        memory.put("backing", remote != null ? "remote" : shared != null ? "shared" : "none");
        if (remote != null)
        {
            final long walks = replay == null ? 0 : replay.timing().totalWalks();
            memory.put("reads", remote.reads());
            memory.put("failed_reads", remote.failedReads());
            memory.put("writes", remote.writes());
            memory.put("failed_writes", remote.failedWrites());
            memory.put("timed_out", memoryTimeouts);
            memory.put("reads_per_walk", walks == 0 ? 0.0 : remoteReadsDuringRequests / (double)walks);
        }
        cosim.put("interrupts_sent", interruptsSent);
        cosim.put("interrupt_mode", spec.interrupts().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        final ObjectNode ats = cosim.putObject("ats_inv");
        ats.put("sent", atsInvalidationsSent);
        ats.put("acknowledged", atsInvalidationsAcknowledged);
        ats.put("timed_out", atsInvalidationsTimedOut);
        ats.put("not_forwarded", invalidationsNotForwarded);
        ats.put("held_by_peer", shadow.size());
        cosim.put("tlps_not_decoded", tlpErrors);
        cosim.put("protocol_errors", protocolErrors.get());
        cosim.put("unmatched_responses", unmatchedResponses.get());
        cosim.put("timestamps_went_back", timeWentBack);
        cosim.put("max_outbound_bytes", maxOutboundBytes);
        cosim.put("answered_inline", inlineAnswers);
        cosim.put("answers_awaited", answersAfterWait);
        return root;
    }

    long maxOutboundBytes()
    {
        return maxOutboundBytes;
    }

    long protocolErrors()
    {
        return protocolErrors.get();
    }

    int queued()
    {
        return queued.get();
    }
}
