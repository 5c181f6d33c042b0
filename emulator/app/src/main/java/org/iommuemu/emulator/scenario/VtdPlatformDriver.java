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

    VtdPlatformDriver(final VtdIommu iommu, final PhysicalMemory memory, final boolean scalable)
    {
        this.iommu = iommu;
        this.scalable = scalable;
        this.driver = new VtdDriver(iommu, memory, new FrameAllocator(memory, STRUCTURES, STRUCTURES_SIZE));
        this.tables = new FrameAllocator(memory, TABLE_POOL, TABLE_POOL_SIZE);
        driver.bringUp(scalable, 0, 0xFEE0_0000L);
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
