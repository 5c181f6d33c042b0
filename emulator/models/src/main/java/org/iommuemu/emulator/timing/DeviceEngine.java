package org.iommuemu.emulator.timing;

import java.util.Arrays;

/**
 * The timing state of one requester (docs/timing.md, "The device"): its DMA engine's tags, completion buffer and
 * posted credits, its link in each direction, its share of the IOMMU's device-side translation slots, the
 * ordering of its posted writes, and the small translation caches that sit on the device side: gem5's micro-TLB
 * (a per-device-interface TLB in front of the IOTLB) and the ATS translation cache (ATC) of a device that uses
 * ATS. Every count and time is in IOMMU cycles; the {@link TimingModel} drives it. Allocation-free after
 * construction.
 */
final class DeviceEngine
{
    /** Fixed-point shift of the per-byte link and engine times (cycles per byte x 2^20). */
    private static final int FIXED_SHIFT = 20;
    private static final long FIXED_ROUND = (1L << FIXED_SHIFT) - 1;

    final int requesterId;
    final boolean ats;
    /** Non-posted requests in flight (null: no limit). */
    final FreeAtQueue tags;
    /** The completion buffer in 64-byte units (null: no limit). */
    final FreeAtQueue completionUnits;
    /** Posted header credits (null: no limit). */
    final FreeAtQueue postedCredits;
    /**
     * The IOMMU's translation slots for this device (gem5's device-interface {@code xlate_slots}), kept as a pool of
     * {@code max(device-translations-in-flight, translations-in-flight)}. A pool keeps the latest values it was given
     * (each new one is at least its earliest), so the value at {@link #limitOffset} is when one of the tighter number
     * of the two is free. While this device is the only one the IOMMU has seen, the IOMMU's own pool would hold the
     * same values as this one, so that value is both limits at once, and the {@link TimingModel} leaves its own pool
     * alone. With more devices it reads its pool too; a device limit looser than the IOMMU's never binds then (the
     * IOMMU's pool holds the latest values of all devices, so its earliest is at least the device's value there).
     */
    final FreeAtQueue translations;
    /** Where the tighter of the device's and the IOMMU's limits is in {@link #translations}. */
    final int limitOffset;
    final long linkCyclesPerByte;
    final long engineCyclesPerByte;
    final long readLatency;
    /** The engine's minimum spacing of requests, cycles x 2^20. */
    final long requestInterval;
    /** Neither a request interval nor an engine rate: {@link #issued} only keeps the start. */
    private final boolean unpaced;
    final int maxPayload;
    private final int maxPayloadShift;

    /** When each direction of the link is free again, and the fraction of a cycle past that (x 2^20). */
    long upstreamFree;
    long downstreamFree;
    private long upstreamCarry;
    private long downstreamCarry;
    /** The earliest cycle the engine may start its next request, and the fraction of a cycle past it (x 2^20). */
    long nextIssue;
    private long issueCarry;
    /** When the last posted write was passed on (PCIe ordering: later posted writes and reads wait for it). */
    long lastPosted = Long.MIN_VALUE;
    /** The latest release of anything this device had in flight (an ATS invalidation waits for it). */
    long lastRelease;

    // gem5's micro-TLB: 4 KiB page numbers, round-robin replacement; and its lookup slots.
    final long[] microTlb;
    int microVictim;
    final FreeAtQueue microSlots;
    // The ATC: page numbers at their size (page >>> sizeLg2, with the size in the top bits), round robin.
    final long[] atc;
    int atcVictim;
    final FreeAtQueue atcSlots;

    // Counters.
    long requests;
    long waited;
    long waitedForTag;
    long waitedForCredit;
    long waitedForLink;
    long atcHits;
    long atcMisses;
    long microTlbHits;

    DeviceEngine(final int requesterId, final DeviceDmaParameters dma, final boolean ats, final TimingProfile profile)
    {
        this.requesterId = requesterId;
        final double ghz = profile.clock().frequencyGhz();
        this.tags = dma.outstandingReads() == 0 ? null : new FreeAtQueue(dma.outstandingReads());
        this.completionUnits = dma.completionBufferBytes() == 0 ? null :
            new FreeAtQueue(dma.completionBufferBytes() / DeviceDmaParameters.COMPLETION_UNIT_BYTES);
        this.postedCredits = dma.postedCredits() == 0 ? null : new FreeAtQueue(dma.postedCredits());
        final int device = profile.concurrency().deviceTranslationsInFlight();
        final int iommu = profile.concurrency().translationsInFlight();
        this.translations = new FreeAtQueue(Math.max(device, iommu));
        this.limitOffset = translations.size() - Math.min(device, iommu);
        this.linkCyclesPerByte = perByte(dma.linkGbps(), ghz);
        this.engineCyclesPerByte = perByte(dma.engineGbps(), ghz);
        this.readLatency = profile.memory().dmaReadLatency();
        this.requestInterval = Math.round(dma.requestIntervalNs() * ghz * (1L << FIXED_SHIFT));
        this.unpaced = requestInterval == 0 && engineCyclesPerByte == 0;
        this.maxPayload = dma.maxPayload();
        this.maxPayloadShift = Integer.numberOfTrailingZeros(dma.maxPayload());
        final CacheGeometry micro = profile.caches().microTlb();
        this.microTlb = micro.enabled() ? filled(micro.entries()) : null;
        this.microSlots = micro.enabled() ? new FreeAtQueue(micro.slots()) : null;
        final CacheGeometry deviceTlb = profile.caches().deviceTlb();
        this.ats = ats && deviceTlb.enabled();
        this.atc = this.ats ? filled(deviceTlb.entries()) : null;
        this.atcSlots = this.ats ? new FreeAtQueue(deviceTlb.slots()) : null;
    }

    /**
     * Put {@code bytes} on the link towards the IOMMU from {@code start} (at the earliest when the link is free); the
     * fractions of cycles of back-to-back TLPs add up rather than each rounding up.
     *
     * @return the cycle the last byte is on the link.
     */
    long sendUpstream(final long start, final int bytes)
    {
        if (start > upstreamFree)
        {
            upstreamFree = start;
            upstreamCarry = 0;
        }
        final long total = bytes * linkCyclesPerByte + upstreamCarry;
        upstreamFree += total >>> FIXED_SHIFT;
        upstreamCarry = total & FIXED_ROUND;
        return upstreamFree;
    }

    /** As {@link #sendUpstream}, towards the device. */
    long sendDownstream(final long start, final int bytes)
    {
        if (start > downstreamFree)
        {
            downstreamFree = start;
            downstreamCarry = 0;
        }
        final long total = bytes * linkCyclesPerByte + downstreamCarry;
        downstreamFree += total >>> FIXED_SHIFT;
        downstreamCarry = total & FIXED_ROUND;
        return downstreamFree;
    }

    /** The engine started a request of {@code bytes} at {@code start}: when it may start the next. */
    void issued(final long start, final int bytes)
    {
        if (unpaced)
        {
            // No spacing and no engine rate: the next request may start at the same cycle.
            nextIssue = Math.max(nextIssue, start);
            return;
        }
        if (start > nextIssue)
        {
            nextIssue = start;
            issueCarry = 0;
        }
        final long total = requestInterval + bytes * engineCyclesPerByte + issueCarry;
        nextIssue += total >>> FIXED_SHIFT;
        issueCarry = total & FIXED_ROUND;
    }

    /** Read completion bytes on the link for {@code bytes} of data: one completion per Max_Payload_Size. */
    int completionBytes(final int bytes)
    {
        final int completions = Math.max(1, (bytes + maxPayload - 1) >>> maxPayloadShift);
        return bytes + completions * DeviceDmaParameters.COMPLETION_OVERHEAD_BYTES;
    }

    /** Completion-buffer units a read of {@code bytes} reserves. */
    static int completionUnits(final int bytes)
    {
        return Math.max(1, (bytes + DeviceDmaParameters.COMPLETION_UNIT_BYTES - 1) >>> 6);
    }

    /** Whether the micro-TLB holds the 4 KiB page of {@code address}. */
    boolean microTlbHolds(final long address)
    {
        final long page = address >>> 12;
        for (final long entry : microTlb)
        {
            if (entry == page)
            {
                return true;
            }
        }
        return false;
    }

    void microTlbFill(final long address)
    {
        if (microTlbHolds(address))
        {
            return;
        }
        microTlb[microVictim] = address >>> 12;
        microVictim = microVictim + 1 == microTlb.length ? 0 : microVictim + 1;
    }

    /** Whether the ATC holds a translation for {@code address}. */
    boolean atcHolds(final long address)
    {
        for (final long entry : atc)
        {
            if (entry != -1L)
            {
                final int sizeLg2 = (int)(entry >>> 58);
                if ((address >>> sizeLg2) == (entry & ((1L << 58) - 1)))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /** Cache the translation of {@code address}, a page of {@code 2^sizeLg2} bytes. */
    void atcFill(final long address, final int sizeLg2)
    {
        if (atcHolds(address))
        {
            return;
        }
        atc[atcVictim] = ((long)sizeLg2 << 58) | (address >>> sizeLg2);
        atcVictim = atcVictim + 1 == atc.length ? 0 : atcVictim + 1;
    }

    /** An ATS invalidation empties the ATC (the model does not track which entries the range reaches). */
    void atcFlush()
    {
        Arrays.fill(atc, -1L);
    }

    private static long[] filled(final int entries)
    {
        final long[] array = new long[entries];
        Arrays.fill(array, -1L);
        return array;
    }

    /** Cycles per byte in fixed point for a rate in Gb/s; 0 (no time) for a rate of 0, meaning no limit. */
    private static long perByte(final double gbps, final double ghz)
    {
        return gbps == 0 ? 0 : Math.round(8.0 / gbps * ghz * (1L << FIXED_SHIFT));
    }
}
