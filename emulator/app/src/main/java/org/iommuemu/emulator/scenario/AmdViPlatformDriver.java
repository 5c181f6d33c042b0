package org.iommuemu.emulator.scenario;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViIommu;
import org.iommuemu.emulator.amdvi.DeviceTableEntry;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.cache.InvalidationScope;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/** {@link IommuDriver} over {@link AmdViDriver}: v1 host domains, DTE IR/IW from the device's permissions, DTE.I for ATS. */
final class AmdViPlatformDriver implements IommuDriver
{
    private final AmdViDriver driver;
    private final boolean snp;
    private final long[] event = new long[2];

    AmdViPlatformDriver(final AmdViIommu iommu, final PhysicalMemory memory, final boolean snp)
    {
        this.driver = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        this.snp = snp;
    }

    /** The driver model behind this platform driver (guest translation, page requests, dirty tracking use it directly). */
    AmdViDriver driver()
    {
        return driver;
    }

    public IommuPort port()
    {
        return driver.iommu();
    }

    public PageTable newDomain(final int levels)
    {
        return driver.newDomain(levels);
    }

    public void attach(final int requesterId, final int domainId, final PageTable table, final int permissions, final boolean ats)
    {
        attach(requesterId, domainId, table, permissions, ats, DeviceTableEntry.HAD_NONE);
    }

    /** {@link #attach} with HAD = {@code had} in the DTE (a domain whose dirty tracking is on: set_dte_entry). */
    public void attach(final int requesterId, final int domainId, final PageTable table, final int permissions, final boolean ats,
        final int had)
    {
        driver.attach(requesterId, table, domainId, (permissions & Permissions.READ) != 0, (permissions & Permissions.WRITE) != 0, had);
        if (ats)
        {
            driver.allowAts(requesterId, true);
        }
    }

    /** Mode 0 with IR and IW from the device's permissions (Linux's set_dte_passthrough gives both), DTE.I for ATS. */
    public void attachIdentity(final int requesterId, final int domainId, final int permissions, final boolean ats)
    {
        driver.attachIdentity(requesterId, domainId, (permissions & Permissions.READ) != 0, (permissions & Permissions.WRITE) != 0);
        if (ats)
        {
            driver.allowAts(requesterId, true);
        }
    }

    public void detach(final int requesterId, final int domainId)
    {
        driver.detach(requesterId);
    }

    public void invalidateRange(final int domainId, final long iova, final long size)
    {
        driver.invalidatePages(domainId, iova, size);
    }

    public void invalidateDomain(final int domainId)
    {
        driver.invalidatePages(domainId, 0, 1L << 52);
    }

    public void invalidateAll()
    {
        driver.invalidateAll();
    }

    /**
     * SEV-SNP: an RMP update (RMPUPDATE, PSMASH) is followed by a global TLB and IOTLB flush on hardware
     * (timing-perf.md 2 and 5.1, Bagia et al. [S13]); the IOMMU's cached translations are dropped, so the next DMA
     * of every device walks again. The RMP itself is not cached by the model: every DMA reads its entry.
     */
    @Override
    public void rmpChanged()
    {
        flushAfterRmpChange((AmdViIommu)driver.iommu());
    }

    /** The flush that follows an RMP change, for a platform with this driver or a guest-driven one. */
    static void flushAfterRmpChange(final AmdViIommu iommu)
    {
        iommu.dispatcher().invalidate(new InvalidationScope().all(), CacheRole.IOTLB.bit() | CacheRole.NESTED.bit());
    }

    public InvalidationDispatcher dispatcher()
    {
        return ((AmdViIommu)driver.iommu()).dispatcher();
    }

    public int serviceFaults(final FaultRecordConsumer consumer)
    {
        int read = 0;
        while (driver.nextEvent(event))
        {
            consumer.amdViEvent(event[0], event[1]);
            read++;
        }
        return read;
    }

    public long[] reservedRanges()
    {
        final AmdViDriver.Layout layout = driver.layout();
        return new long[] {layout.deviceTable(), layout.semaphore() + PhysicalMemory.FRAME_SIZE,
            layout.tablePool(), layout.tablePool() + layout.tablePoolSize()};
    }

    public String describe()
    {
        return "amdvi" + (snp ? "+snp" : "");
    }
}
