package org.iommuemu.emulator.scenario;

import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.vtd.ContextEntry;
import org.iommuemu.emulator.vtd.InvalidationDescriptor;
import org.iommuemu.emulator.vtd.VtdDriver;
import org.iommuemu.emulator.vtd.VtdIommu;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.iommuemu.tlp.AtsRange;

/**
 * {@link IommuDriver} over {@link VtdDriver}: legacy context entries (TT multi-level, or device-TLB with ATS), or in
 * scalable mode a second-stage PASID entry at RID_PASID 0; queued invalidation with a wait behind every change.
 * VT-d has no per-device read/write permission bits, so a device's {@code access} is not used.
 */
final class VtdPlatformDriver implements IommuDriver
{
    /** Root, context and PASID tables, the invalidation queue and its status page. */
    static final long STRUCTURES = 0x100_0000L;
    static final long STRUCTURES_SIZE = 16L << 20;
    /** Domain page tables. */
    static final long TABLE_POOL = 0x4_0000_0000L;
    static final long TABLE_POOL_SIZE = 1L << 30;

    private final VtdIommu iommu;
    private final VtdDriver driver;
    private final FrameAllocator tables;
    private final boolean scalable;
    private final long[] descriptor = new long[4];

    /**
     * @param pageRequestQueueOrder scalable mode with ECAP.PRS: the page request queue is 2^order pages (PQA.PQS).
     */
    VtdPlatformDriver(final VtdIommu iommu, final PhysicalMemory memory, final boolean scalable, final int pageRequestQueueOrder)
    {
        this.iommu = iommu;
        this.scalable = scalable;
        this.driver = new VtdDriver(iommu, memory, new FrameAllocator(memory, STRUCTURES, STRUCTURES_SIZE));
        this.tables = new FrameAllocator(memory, TABLE_POOL, TABLE_POOL_SIZE);
        driver.bringUp(scalable, 0, 0xFEE0_0000L);
        if (scalable && (iommu.ecap() & VtdRegisters.ECAP_PRS) != 0)
        {
            driver.enablePageRequests(pageRequestQueueOrder);
        }
    }

    /** The OS's page request handling (intel-iommu's prq thread with {@code handler} as the fault handler). */
    int servicePageRequests(final VtdDriver.PageRequestHandler handler)
    {
        return driver.servicePageRequests(handler);
    }

    /**
     * A device-TLB invalidation of {@code [iova, iova + size)} ({@code size} negative: everything) for {@code pasid}
     * (negative: the device's requests without PASID), then the wait: the unit sends the device an Invalidate Request.
     */
    void invalidateDeviceTlb(final int requesterId, final int pasid, final long iova, final long size)
    {
        long address = iova;
        boolean sized = false;
        if (size < 0)
        {
            address = InvalidationDescriptor.ADDRESS; // S with address bits 63:12 all set: the whole address space
            sized = true;
        }
        else if (size > PhysicalMemory.FRAME_SIZE)
        {
            long span = Long.highestOneBit(size - 1) << 1;
            while ((iova & -span) + span < iova + size)
            {
                span <<= 1;
            }
            address = AtsRange.encode(iova & -span, span);
            sized = true;
        }
        if (pasid < 0)
        {
            InvalidationDescriptor.deviceTlb(descriptor, requesterId, address, sized);
        }
        else
        {
            InvalidationDescriptor.pasidDeviceTlb(descriptor, requesterId, pasid, address, false, sized);
        }
        driver.submit(descriptor);
        driver.waitForCompletion(false);
    }

    public IommuPort port()
    {
        return iommu;
    }

    public PageTable newDomain(final int levels)
    {
        return new PageTable(new VtdSecondStageFormat(levels), tables);
    }

    /** A page table of another format (KVM's EPT) from the same pool. */
    PageTable newTable(final PageTableFormat format)
    {
        return new PageTable(format, tables);
    }

    /** How a PASID entry translates: its PGTT and the tables behind it. */
    enum Kind
    {
        SECOND_STAGE,
        FIRST_STAGE,
        NESTED,
        PASS_THROUGH
    }

    /**
     * What one PASID entry points at.
     *
     * @param domainId      the entry's DID (the domain's id; for nested, the first-stage domain's).
     * @param table         the second-stage table (SECOND_STAGE), the first-stage table (FIRST_STAGE, NESTED; its root a
     *                      GPA when nested), null for PASS_THROUGH.
     * @param secondStage   NESTED: the nesting parent's second-stage table.
     * @param dirtyTracking SSADE: the second stage's A/D (SECOND_STAGE, NESTED).
     */
    record Binding(Kind kind, int domainId, PageTable table, PageTable secondStage, boolean dirtyTracking)
    {
        static final Binding PASS_THROUGH = new Binding(Kind.PASS_THROUGH, 0, null, null, false);
    }

    /**
     * Scalable mode, intel-iommu's way: the device's context entry (PASIDE when it has PASID entries, with a PASID
     * directory large enough for its highest PASID; DTE with ATS; PRE with page requests), RID_PASID 0 from
     * {@code ridPasid}, then each PASID entry of {@code pasids} (indexed like {@code bindings}), each followed by the
     * PASID-cache and PASID-based IOTLB invalidation.
     */
    void attachScalable(final int requesterId, final Binding ridPasid, final int[] pasids, final Binding[] bindings,
        final boolean ats, final boolean pageRequests)
    {
        int maxPasid = 0;
        for (final int pasid : pasids)
        {
            maxPasid = Math.max(maxPasid, pasid);
        }
        int pdts = 0;
        while ((maxPasid >>> 6) >= (1 << (pdts + 7)))
        {
            pdts++;
        }
        driver.setScalableContext(requesterId, pdts, pasids.length > 0, ats, pageRequests, false, 0);
        writePasid(requesterId, 0, ridPasid);
        driver.invalidateDevice(requesterId, ridPasid.domainId());
        driver.invalidatePasid(ridPasid.domainId(), 0);
        for (int i = 0; i < pasids.length; i++)
        {
            writePasid(requesterId, pasids[i], bindings[i]);
            driver.invalidatePasid(bindings[i].domainId(), pasids[i]);
        }
    }

    /**
     * Rewrite one PASID entry of an attached device (dirty tracking turned on or off: intel_pasid_setup_dirty_tracking),
     * then the PASID-selective PASID-cache and PASID-based IOTLB invalidation, the domain's IOTLB invalidation and,
     * with ATS, the device-TLB invalidation.
     */
    void rewritePasid(final int requesterId, final int pasid, final Binding binding, final boolean ats)
    {
        writePasid(requesterId, pasid, binding);
        driver.invalidatePasid(binding.domainId(), pasid);
        invalidateDomain(binding.domainId());
        if (ats)
        {
            InvalidationDescriptor.pasidDeviceTlb(descriptor, requesterId, pasid, 0, true, false);
            driver.submit(descriptor);
            driver.waitForCompletion(false);
        }
    }

    private void writePasid(final int requesterId, final int pasid, final Binding binding)
    {
        switch (binding.kind())
        {
            case SECOND_STAGE:
                driver.attachSecondStage(requesterId, pasid, binding.table(), binding.domainId(), binding.dirtyTracking());
                break;
            case FIRST_STAGE:
                // Supervisor requests allowed (and WPE), as intel-iommu sets up a kernel first-stage domain; no execute.
                driver.attachFirstStage(requesterId, pasid, binding.table().root(), binding.table().format().levels(),
                    binding.domainId(), true, false);
                break;
            case NESTED:
                driver.attachNested(requesterId, pasid, binding.table().root(), binding.table().format().levels(),
                    binding.secondStage(), binding.domainId(), true, false, binding.dirtyTracking());
                break;
            case PASS_THROUGH:
            default:
                driver.attachPassThrough(requesterId, pasid, binding.domainId());
                break;
        }
    }

    /** The unit's first-stage format for {@code levels} (4 or 5) levels. */
    PageTableFormat firstStageFormat(final int levels)
    {
        return iommu.firstStageFormat(levels);
    }

    public void attach(final int requesterId, final int domainId, final PageTable table, final int permissions, final boolean ats)
    {
        if (scalable)
        {
            driver.setScalableContext(requesterId, 0, false, ats, false, 0);
            driver.attachSecondStage(requesterId, 0, table, domainId);
            driver.invalidateDevice(requesterId, domainId);
            driver.invalidatePasid(domainId, 0);
        }
        else
        {
            driver.attachLegacy(requesterId, table, domainId, ats ? ContextEntry.TT_DEVICE_TLB : ContextEntry.TT_MULTI_LEVEL, false);
            driver.invalidateDevice(requesterId, domainId);
        }
    }

    /**
     * Legacy mode: a pass-through context entry (TT = 10b, which needs ECAP.PT), as intel-iommu writes one for an
     * identity domain whatever the device's ATS; scalable mode: a pass-through RID_PASID entry (PGTT = 100b). VT-d has
     * no device-level read or write permission, so {@code permissions} are not used.
     */
    public void attachIdentity(final int requesterId, final int domainId, final int permissions, final boolean ats)
    {
        if (scalable)
        {
            attachScalable(requesterId, new Binding(Kind.PASS_THROUGH, domainId, null, null, false), new int[0], new Binding[0], ats,
                false);
        }
        else
        {
            driver.attachLegacyPassThrough(requesterId, domainId);
            driver.invalidateDevice(requesterId, domainId);
        }
    }

    public void detach(final int requesterId, final int domainId)
    {
        if (scalable)
        {
            driver.writePasidEntry(requesterId, 0, 0, 0, 0);
            driver.invalidatePasid(domainId, 0);
        }
        else
        {
            driver.writeLegacyContext(requesterId, 0, 0);
        }
        driver.invalidateDevice(requesterId, domainId);
    }

    public void invalidateRange(final int domainId, final long iova, final long size)
    {
        // Page-selective invalidation covers 2^AM aligned pages; beyond the unit's MAMV, the whole domain.
        final long first = iova >>> 12;
        final long last = (iova + size - 1) >>> 12;
        int mask = 0;
        while ((first >>> mask) != (last >>> mask))
        {
            mask++;
        }
        if (mask > VtdRegisters.maxAddressMask(iommu.cap()))
        {
            invalidateDomain(domainId);
            return;
        }
        driver.invalidateIotlbPages(domainId, (first >>> mask) << (mask + 12), mask);
    }

    public void invalidateDomain(final int domainId)
    {
        InvalidationDescriptor.iotlb(descriptor, VtdRegisters.IOTLB_DOMAIN, domainId, 0, 0, false);
        driver.submit(descriptor);
        driver.waitForCompletion(false);
    }

    public void invalidateAll()
    {
        driver.invalidateAll();
    }

    public InvalidationDispatcher dispatcher()
    {
        return iommu.dispatcher();
    }

    public int serviceFaults(final FaultRecordConsumer consumer)
    {
        return driver.serviceFaults((index, low, high) -> consumer.vtdFault(low, high));
    }

    public long[] reservedRanges()
    {
        return new long[] {STRUCTURES, STRUCTURES + STRUCTURES_SIZE, TABLE_POOL, TABLE_POOL + TABLE_POOL_SIZE};
    }

    public String describe()
    {
        return "vtd-" + (scalable ? "scalable" : "legacy");
    }
}
