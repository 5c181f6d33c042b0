package org.iommuemu.emulator.replay;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.DeviceMessage;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.scenario.Platform;
import org.iommuemu.emulator.scenario.Scenario;
import org.iommuemu.emulator.scenario.Scenario.TimedAction;
import org.iommuemu.emulator.timing.TimingModel;
import org.iommuemu.tlp.MessageHeader;
import org.iommuemu.tlp.Tlp;
import org.iommuemu.tlp.trace.Direction;
import org.iommuemu.tlp.trace.TraceError;
import org.iommuemu.tlp.trace.TraceFormatException;
import org.iommuemu.tlp.trace.TraceReader;
import org.iommuemu.tlp.trace.TraceRecord;
import org.iommuemu.tlp.trace.TraceSummary;

/**
 * Runs a trace through a {@link Platform}: for each TLP, the timeline actions due before it, then
 * TLP -> request ({@link TlpRequests}) -> the IOMMU model ({@link IommuPort#handle}) priced by the
 * {@link TimingModel} -> statistics and result sinks. Streaming: memory does not grow with the trace; the
 * per-TLP path allocates nothing.
 * <p>
 * The timing is closed-loop: a trace's timestamp is the earliest a device may issue its request; the timing model's
 * device side (each device's tags, credits, engine and link, described in the scenario) decides when it leaves,
 * so traces without timestamps replay as fast as the devices and the IOMMU allow (docs/timing.md).
 */
public final class Replay
{
    /** Called now and then with the number of records and the reader's position (bytes, -1 when unknown). */
    @FunctionalInterface
    public interface ProgressListener
    {
        ProgressListener NONE = (records, position) -> { };

        void progress(long records, long position);
    }

    private final Platform platform;
    private final IommuPort port;
    private ReplayListener listener = ReplayListener.NONE;
    private final TimingModel timing;
    private final ReplayStatistics statistics = new ReplayStatistics();
    private final ReplayRecord record = new ReplayRecord();
    private final TlpMessages messages = new TlpMessages();
    private final DeviceMessage message = new DeviceMessage();
    private final List<TimedAction> timeline;
    /** The ATS devices of the scenario and the domain each is attached to now (empty without ATS). */
    private final Map<Integer, Integer> atsDevices = new LinkedHashMap<>();
    private int nextAction;
    /** The latest cycle a request left its device so far (Long.MIN_VALUE before the first). */
    private long previousIssue = Long.MIN_VALUE;
    private long pageTableBytes;
    private long peakPageTableBytes;
    private final long maxNanos;
    /** {@code platform.reserved-at: unsupported}: a request with the reserved AT value is not translated. */
    private final boolean refuseReservedAt;

    public Replay(final Platform platform)
    {
        this.platform = platform;
        this.port = platform.port();
        this.refuseReservedAt = platform.scenario().platform().reservedAt() == Scenario.ReservedAtRule.UNSUPPORTED;
        this.timing = new TimingModel(platform.profile(), platform::isRmpAddress);
        this.timeline = platform.scenario().timeline();
        this.maxNanos = (long)Math.min(Long.MAX_VALUE, (double)(1L << 62) / platform.profile().clock().frequencyGhz());
        platform.memory().listener(timing);
        for (final PageWalkCache walkCache : platform.walkCaches())
        {
            walkCache.probeListener(timing);
        }
        timing.trackCaches(port.caches());
        for (final Scenario.DeviceSpec device : platform.scenario().devices())
        {
            timing.device(device.requesterId(), device.dma(), device.ats());
            if (device.ats())
            {
                atsDevices.put(device.requesterId(), device.domain());
            }
        }
        pageTableBytes = platform.pageTableBytes();
        peakPageTableBytes = pageTableBytes;
        statistics.platformMachineChecks(platform.bindMachineChecks(), platform.tdAccessMachineChecks());
        statistics.series.watch(port.caches());
    }

    /** Who hears every DMA request and timeline action ({@link ReplayListener#NONE}, the default, hears nothing). */
    public Replay listener(final ReplayListener listener)
    {
        this.listener = listener == null ? ReplayListener.NONE : listener;
        return this;
    }

    /**
     * Replay every record of {@code reader}; {@code sink} receives every TLP's result in order, each with the
     * trace's own record index. Timeline actions count TLPs in replay order ({@code at: N} runs before the N-th
     * replayed TLP, 0-based). At the end the accounting is checked ({@link ReplayStatistics#accountingErrors}):
     * a broken count is an emulator bug and throws.
     *
     * @throws TraceFormatException when a record's timestamp is beyond what the replay can time (see
     *                              {@link #maxNanos()}), naming the record.
     */
    public ReplayResult run(final TraceReader reader, final ResultSink sink, final ProgressListener progress) throws IOException
    {
        final long started = System.nanoTime();
        long ordinal = 0;
        long delivered = 0;
        while (reader.next())
        {
            final TraceRecord traceRecord = reader.record();
            if (actionsDue(ordinal))
            {
                applyDueActions(ordinal, timeFits(traceRecord) ? actionCycle(traceRecord.timestampExponent() == TraceRecord.NANOSECONDS ?
                    traceRecord.timestamp() : traceRecord.timestampIn(TraceRecord.NANOSECONDS)) : clock());
            }
            if (!timeFits(traceRecord))
            {
                throw new TraceFormatException(reader.source(), TraceError.BAD_TIMESTAMP, traceRecord.recordIndex(),
                    traceRecord.fileOffset(), "timestamp " + traceRecord.timestamp() + " x 10^-" + traceRecord.timestampExponent() +
                    " s is beyond what the replay can time (at most " + maxNanos + " ns at " +
                    platform.profile().clock().frequencyGhz() + " GHz, so that cycle counts stay below 2^62)");
            }
            try
            {
                step(traceRecord.recordIndex(), traceRecord);
            }
            catch (final NotOnPlatform ex)
            {
                throw new TraceFormatException(reader.source(), TraceError.NOT_ON_PLATFORM, traceRecord.recordIndex(),
                    traceRecord.fileOffset(), ex.getMessage());
            }
            sink.accept(record);
            delivered++;
            ordinal++;
            if ((ordinal & 0x3FFF) == 0)
            {
                progress.progress(ordinal, traceRecord.fileOffset());
            }
        }
        applyDueActions(Long.MAX_VALUE, clock());
        statistics.platformCounters(platform.counters());
        listener.end(statistics);
        final List<String> errors = statistics.accountingErrors(reader.summary(), delivered);
        if (!errors.isEmpty())
        {
            throw new IllegalStateException("replay of " + reader.source() + ": the accounting does not add up: " +
                String.join("; ", errors));
        }
        return result(reader, System.nanoTime() - started);
    }

    /** Whether the record's timestamp, in nanoseconds, is at most {@link #maxNanos()}. */
    private boolean timeFits(final TraceRecord traceRecord)
    {
        final long timestamp = traceRecord.timestamp();
        if (timestamp < 0)
        {
            return false;
        }
        if (traceRecord.timestampExponent() == TraceRecord.NANOSECONDS)
        {
            return timestamp <= maxNanos;
        }
        try
        {
            return traceRecord.timestampIn(TraceRecord.NANOSECONDS) <= maxNanos;
        }
        catch (final ArithmeticException overflow)
        {
            return false;
        }
    }

    /** The largest timestamp the replay accepts, in nanoseconds: its cycle count at the profile's clock is below 2^62. */
    public long maxNanos()
    {
        return maxNanos;
    }

    /** One TLP through the platform (public for benchmarks that feed records without a reader). */
    public ReplayRecord step(final long index, final TraceRecord traceRecord)
    {
        final ReplayRecord r = record;
        r.index = index;
        r.timeNanos = traceRecord.timestampExponent() == TraceRecord.NANOSECONDS ?
            traceRecord.timestamp() : traceRecord.timestampIn(TraceRecord.NANOSECONDS);
        r.trafficClass = TlpRequests.toRequest(traceRecord, r.request);
        if (r.messageResult != null)
        {
            r.messageResult = null;
        }
        if (r.trafficClass == TrafficClass.DMA)
        {
            if (refuseReservedAt && r.request.reservedAt())
            {
                // platform.reserved-at: unsupported: not translated, counted as class other (and as reserved AT).
                r.trafficClass = TrafficClass.OTHER;
                notTranslated(r);
                statistics.refusedReservedAt();
            }
            else
            {
                translate(r, traceRecord.effectiveT());
            }
        }
        else if (r.trafficClass == TrafficClass.GUEST_ACCESS)
        {
            guestAccess(r, traceRecord);
        }
        else
        {
            notTranslated(r);
            if (r.trafficClass == TrafficClass.MESSAGE && platform.takesPageRequests() && isPageRequest(traceRecord))
            {
                // AMD-Vi with amdvi.page-requests: a PRI Page Request to the PPR log and the OS's handler (counted).
                platform.pageRequest(traceRecord.tlp());
            }
            else if (r.trafficClass == TrafficClass.MESSAGE || r.trafficClass == TrafficClass.DOWNSTREAM)
            {
                message(r, traceRecord);
            }
        }
        statistics.record(r, pageTableBytes);
        return r;
    }

    /**
     * One request that came without a TLP (co-simulation's ATS_REQ): a DMA request priced and counted exactly as a
     * translated TLP of a trace is, {@code timeNanos} being the earliest its device may issue it (0: as soon as the
     * device's engine, tags or credits and link allow).
     * The record is re-pointed per call; allocation-free.
     */
    public ReplayRecord stepRequest(final long index, final long timeNanos, final DmaRequest request)
    {
        final ReplayRecord r = record;
        r.index = index;
        r.timeNanos = timeNanos;
        r.trafficClass = TrafficClass.DMA;
        r.request.set(request.requesterId(), request.address(), request.length(), request.access(), request.addressType(), false);
        r.request.pasid(request.pasid()).privileged(request.privileged());
        translate(r, request.trusted());
        statistics.record(r, pageTableBytes);
        return r;
    }

    /** Apply the scenario's timeline actions due before request {@code index} (the loop of {@link #run} does it per TLP). */
    public void applyActionsBefore(final long index)
    {
        applyDueActions(index);
    }

    /** One DMA request through the model and the timing; {@code carriedT}: the T bit the request carried. */
    private void translate(final ReplayRecord r, final boolean carriedT)
    {
        r.request.trusted(platform.tBit(r.request.requesterId(), carriedT));
        // The device's DMA engine decides when the request leaves (the timestamp is the earliest it may).
        r.earliestCycle = timing.nanosToCycles(r.timeNanos);
        r.arrivalCycle = timing.issue(r.request, r.earliestCycle);
        r.waitCycles = timing.waitCycles();
        previousIssue = Math.max(previousIssue, r.arrivalCycle);
        final long walksBefore = timing.totalWalks();
        port.handle(r.request, r.outcome);
        if (r.outcome.interrupt())
        {
            // The model took the write for an interrupt request: counted as one, not priced by the IOMMU's timing (its
            // device did send it: its engine and link stay booked).
            timing.abandon();
            r.trafficClass = TrafficClass.INTERRUPT;
            noCycles(r);
            return;
        }
        r.completionCycle = timing.complete(r.outcome);
        r.releaseCycle = timing.releaseCycle();
        r.tableFetches = timing.tableFetches();
        r.rmpFetches = timing.rmpFetches();
        r.walked = timing.totalWalks() != walksBefore;
        listener.request(r);
    }

    /**
     * The cycle of the actions due before a TLP stamped {@code timeNanos}: its timestamp (the earliest its device may
     * issue it), but not before the latest request issued so far.
     */
    private long actionCycle(final long timeNanos)
    {
        final long earliest = timing.nanosToCycles(timeNanos);
        return previousIssue == Long.MIN_VALUE ? earliest : Math.max(earliest, previousIssue);
    }

    /** Now on the replay's clock, between TLPs: the latest issue or completion so far. */
    private long clock()
    {
        return Math.max(previousIssue == Long.MIN_VALUE ? 0 : previousIssue, statistics.lastCompletionCycle());
    }

    /** A guest CPU access: the guest's NPT and the RMP check (not the IOMMU, not priced); see {@link Platform#guestAccess}. */
    private void guestAccess(final ReplayRecord r, final TraceRecord traceRecord)
    {
        r.guestAccess = traceRecord.guestAccess();
        noCycles(r);
        try
        {
            platform.guestAccess(r.guestAccess, r.outcome);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new NotOnPlatform(ex.getMessage());
        }
    }

    /** Whether the record is an upstream PRI Page Request (Msg, message code 0x04). */
    private static boolean isPageRequest(final TraceRecord record)
    {
        final Tlp tlp = record.tlp();
        return record.direction() == Direction.UPSTREAM && !tlp.isFlit() && tlp.kind() != null && tlp.kind().isMessage() &&
            tlp.message().messageCode() == MessageHeader.CODE_PAGE_REQUEST;
    }

    /** A record this platform cannot take ({@link TraceError#NOT_ON_PLATFORM}). */
    private static final class NotOnPlatform extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        NotOnPlatform(final String message)
        {
            super(message, null, false, false);
        }
    }

    /** A message TLP the IOMMU takes (page request, Invalidate Completion), or an Invalidate Request seen going to a device. */
    private void message(final ReplayRecord r, final TraceRecord traceRecord)
    {
        switch (messages.decode(traceRecord, message))
        {
            case TlpMessages.DEVICE_MESSAGE:
                final MessageResult result = platform.message(message);
                if (result != MessageResult.NOT_HANDLED)
                {
                    r.messageResult = result;
                }
                break;
            case TlpMessages.INVALIDATE_REQUEST:
                platform.invalidateRequestSeen(messages.destination(), messages.itag());
                break;
            default:
                break;
        }
    }

    private static void notTranslated(final ReplayRecord r)
    {
        r.outcome.reset();
        noCycles(r);
    }

    private static void noCycles(final ReplayRecord r)
    {
        r.earliestCycle = 0;
        r.waitCycles = 0;
        r.arrivalCycle = 0;
        r.completionCycle = 0;
        r.releaseCycle = 0;
        r.tableFetches = 0;
        r.rmpFetches = 0;
        r.walked = false;
    }

    /**
     * Time one request that did not come from a trace (calibration, co-simulation): it arrives at
     * {@code arrivalCycle}, goes through the IOMMU model and the timing model (statistics are not touched).
     *
     * @return the completion cycle.
     */
    public long timeRequest(final DmaRequest request, final RequestOutcome outcome, final long arrivalCycle)
    {
        timing.begin(request, arrivalCycle);
        port.handle(request, outcome);
        return timing.complete(outcome);
    }

    /**
     * One request of a closed-loop device that did not come from a trace (calibration): its device issues it at the
     * earliest at {@code earliestCycle}, it goes through the IOMMU model and the timing model (statistics are not
     * touched); {@link #timing()} then has its issue and release cycles.
     *
     * @return the cycle its device has it done (its {@link TimingModel#releaseCycle()}).
     */
    public long dma(final DmaRequest request, final RequestOutcome outcome, final long earliestCycle)
    {
        timing.issue(request, earliestCycle);
        port.handle(request, outcome);
        timing.complete(outcome);
        return timing.releaseCycle();
    }

    public ReplayStatistics statistics()
    {
        return statistics;
    }

    public TimingModel timing()
    {
        return timing;
    }

    /** Whether a timeline action is due before request {@code index} (what {@link #applyActionsBefore} would apply). */
    public boolean actionsDue(final long index)
    {
        return nextAction < timeline.size() && timeline.get(nextAction).beforeTlp() <= index;
    }

    /** Apply the actions due before TLP {@code index} at the current clock ({@link #clock()}). */
    private void applyDueActions(final long index)
    {
        if (actionsDue(index))
        {
            applyDueActions(index, clock());
        }
    }

    /** Apply the actions due before TLP {@code index}, which happen at {@code cycle} of the replay's clock. */
    private void applyDueActions(final long index, final long cycle)
    {
        while (actionsDue(index))
        {
            final TimedAction action = timeline.get(nextAction++);
            final long beforeTlp = index == Long.MAX_VALUE ? statistics.tlps() : index;
            platform.currentTlp(beforeTlp);
            final int eventsBefore = platform.events().size();
            listener.action(action.action(), beforeTlp, cycle);
            platform.apply(action.action(), action.line());
            if (!atsDevices.isEmpty())
            {
                invalidateAts(action.action());
            }
            statistics.action(new ReplayStatistics.ActionMark(beforeTlp, cycle, action.action().describe(), action.line()));
            statistics.eventsAt(eventsBefore, platform.events().size(), cycle);
            statistics.actions++;
            statistics.platformMachineChecks(platform.bindMachineChecks(), platform.tdAccessMachineChecks());
            pageTableBytes = platform.pageTableBytes();
            peakPageTableBytes = Math.max(peakPageTableBytes, pageTableBytes);
        }
    }

    /**
     * The ATS invalidations a driver sends with an action (Linux flushes the device TLBs of a domain's ATS devices
     * with its IOTLB): each ATS device of the domain the action changed gets one, priced by the timing model.
     */
    private void invalidateAts(final Scenario.Action action)
    {
        if (action instanceof Scenario.AttachAction attach)
        {
            if (atsDevices.containsKey(attach.requesterId()))
            {
                atsDevices.put(attach.requesterId(), attach.domain());
                timing.atsInvalidation(attach.requesterId());
            }
            return;
        }
        if (action instanceof Scenario.DetachAction detach)
        {
            if (atsDevices.containsKey(detach.requesterId()))
            {
                timing.atsInvalidation(detach.requesterId());
            }
            return;
        }
        final int domain;
        if (action instanceof Scenario.UnmapAction unmap)
        {
            domain = unmap.invalidate() ? unmap.domain() : Integer.MIN_VALUE;
        }
        else if (action instanceof Scenario.InvalidateAction invalidate)
        {
            domain = invalidate.domain();
        }
        else if (action instanceof Scenario.PolicyAction policy)
        {
            domain = policy.domain();
        }
        else
        {
            return;
        }
        if (domain == Integer.MIN_VALUE)
        {
            return;
        }
        for (final Map.Entry<Integer, Integer> device : atsDevices.entrySet())
        {
            if (domain < 0 || device.getValue() == domain)
            {
                timing.atsInvalidation(device.getKey());
            }
        }
    }

    private ReplayResult result(final TraceReader reader, final long wallNanos)
    {
        return result(reader.summary(), wallNanos);
    }

    /** The result so far, for a run that did not come from one {@link TraceReader} (co-simulation). */
    public ReplayResult result(final TraceSummary trace, final long wallNanos)
    {
        statistics.messagesSent(platform.messageCounts());
        statistics.septBytes(platform.septBytes());
        final List<ReplayResult.CacheStats> caches = new ArrayList<>();
        for (final TranslationCache cache : port.caches())
        {
            caches.add(new ReplayResult.CacheStats(cache.name(), cache.lookups(), cache.hits(), cache.entries(), cache.ways(),
                cache.misses(), cache.fills(), cache.evictions(), cache.invalidated()));
        }
        return new ReplayResult(platform.scenario().name(), platform.describe(), platform.profile().name(), statistics, caches,
            pageTableBytes, peakPageTableBytes, timing.totalWalks(), timing.queuedForSlot(), timing.queuedForWalker(),
            timing.totalLlcHits(), platform.profile().clock().frequencyGhz(), trace, wallNanos,
            List.copyOf(platform.events()), platform.eventCount(), ReplayResult.TimingTotals.of(timing));
    }
}
