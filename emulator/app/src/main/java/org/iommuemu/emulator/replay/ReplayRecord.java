package org.iommuemu.emulator.replay;

import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.MessageResult;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.tlp.trace.GuestAccess;

/**
 * One TLP's result as the replay hands it to {@link ResultSink}s: re-pointed per TLP, never retained. For a
 * TLP that is not {@link TrafficClass#DMA} only the index, time, class and (when known) requester are meaningful.
 */
public final class ReplayRecord
{
    long index;
    long timeNanos;
    TrafficClass trafficClass;
    final DmaRequest request = new DmaRequest();
    final RequestOutcome outcome = new RequestOutcome();
    long earliestCycle;
    long waitCycles;
    long arrivalCycle;
    long completionCycle;
    long releaseCycle;
    int tableFetches;
    int rmpFetches;
    /** The guest CPU access of a {@link TrafficClass#GUEST_ACCESS} record (the reader's object; never retained). */
    GuestAccess guestAccess;
    /** What the IOMMU did with a message TLP (a page request, an Invalidate Completion), or null. */
    MessageResult messageResult;
    boolean walked;

    /** Index of the TLP in the trace (0-based, every record counted). */
    public long index()
    {
        return index;
    }

    /** The record's timestamp in nanoseconds (0 when the trace has none). */
    public long timeNanos()
    {
        return timeNanos;
    }

    public TrafficClass trafficClass()
    {
        return trafficClass;
    }

    /** The AT field the request carried (valid for {@link TrafficClass#DMA}): 0 to 2 by its address type, or 3 (reserved). */
    public int atField()
    {
        return request.reservedAt() ? 3 : request.addressType().ordinal();
    }

    /** The request (valid for {@link TrafficClass#DMA}). */
    public DmaRequest request()
    {
        return request;
    }

    /** The guest CPU access (valid for {@link TrafficClass#GUEST_ACCESS}). */
    public GuestAccess guestAccess()
    {
        return guestAccess;
    }

    /**
     * The outcome (valid for {@link TrafficClass#DMA}, and for {@link TrafficClass#GUEST_ACCESS}: the SPA and NPT leaf
     * size, or the #NPF / #VC).
     */
    public RequestOutcome outcome()
    {
        return outcome;
    }

    /** The trace's timestamp in IOMMU cycles: the earliest the device could issue the request. */
    public long earliestCycle()
    {
        return earliestCycle;
    }

    /**
     * When the request was on the link to the IOMMU (its last byte sent), after waiting in its device for a tag, a
     * credit, its engine or its link ({@link #waitCycles()}).
     */
    public long arrivalCycle()
    {
        return arrivalCycle;
    }

    /** Cycles the request waited in its device before it could start to leave (closed-loop timing, docs/timing.md). */
    public long waitCycles()
    {
        return waitCycles;
    }

    /** When the device had the request's tag or credit back: the write passed on, the read's data all received. */
    public long releaseCycle()
    {
        return releaseCycle;
    }

    public long completionCycle()
    {
        return completionCycle;
    }

    /** Translation latency in IOMMU cycles: completion minus arrival. */
    public long latencyCycles()
    {
        return completionCycle - arrivalCycle;
    }

    /** Table entries (device table, context, page tables) this request fetched from memory. */
    public int tableFetches()
    {
        return tableFetches;
    }

    /** Whether this request walked: fetched table entries or probed the page-walk caches. */
    public boolean walked()
    {
        return walked;
    }

    /** RMP entry quadwords this request fetched. */
    public int rmpFetches()
    {
        return rmpFetches;
    }

    /** What the IOMMU did with this message TLP (a page request, an ATS Invalidate Completion), or null. */
    public MessageResult messageResult()
    {
        return messageResult;
    }

    /**
     * {@code ok}, {@code fault}, what the IOMMU did with a message it handled (a page request queued, an invalidation
     * completed: {@link org.iommuemu.emulator.platform.MessageResult#label()}), or the class label for other TLPs that
     * are not translated.
     */
    public String outcomeLabel()
    {
        if (trafficClass != TrafficClass.DMA && trafficClass != TrafficClass.GUEST_ACCESS)
        {
            return messageResult != null ? messageResult.label() : trafficClass.label();
        }
        return outcome.isOk() ? "ok" : "fault";
    }
}
