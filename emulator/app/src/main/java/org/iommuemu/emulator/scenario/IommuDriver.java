package org.iommuemu.emulator.scenario;

import org.iommuemu.emulator.cache.InvalidationDispatcher;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.pagetable.PageTable;

/**
 * What the platform asks of an IOMMU's driver, as a kernel's IOMMU layer asks of amd_iommu or intel-iommu: new
 * domains, attach and detach, and invalidations that wait for completion. Each implementation programs its IOMMU
 * through registers and memory only.
 */
interface IommuDriver
{
    IommuPort port();

    /** A new, empty domain table of {@code levels} levels, its pages from the driver's table pool. */
    PageTable newDomain(int levels);

    /** Point {@code requesterId} at {@code table} as domain {@code domainId}, then invalidate what caches it. */
    void attach(int requesterId, int domainId, PageTable table, int permissions, boolean ats);

    /**
     * Point {@code requesterId} at identity domain {@code domainId} (no table: DMA addresses are host physical), then
     * invalidate what caches its entry.
     */
    void attachIdentity(int requesterId, int domainId, int permissions, boolean ats);

    /** Make {@code requesterId}'s entry invalid and invalidate it. */
    void detach(int requesterId, int domainId);

    /** Invalidate a domain's translations of {@code [iova, iova + size)} and wait. */
    void invalidateRange(int domainId, long iova, long size);

    /** Invalidate all of a domain's translations and wait. */
    void invalidateDomain(int domainId);

    /** Invalidate everything and wait. */
    void invalidateAll();

    /**
     * The SNP RMP changed (RMPUPDATE, PSMASH): hardware follows it with a global TLB and IOTLB flush, so an IOMMU that
     * checks the RMP drops its cached translations. Nothing to do for an IOMMU without SNP.
     */
    default void rmpChanged()
    {
    }

    /** The IOMMU's one invalidation dispatcher (observers listen to it). */
    InvalidationDispatcher dispatcher();

    /**
     * Read the fault records the IOMMU wrote since the last call and free their slots, as the kernel's fault handler
     * does (amd_iommu's event log poll, dmar_fault); returns how many were read.
     */
    int serviceFaults(FaultRecordConsumer consumer);

    /** Physical ranges the driver's own structures and table pool occupy, as {start, end} pairs. */
    long[] reservedRanges();

    /** A line for summaries: the IOMMU and its mode. */
    String describe();
}
