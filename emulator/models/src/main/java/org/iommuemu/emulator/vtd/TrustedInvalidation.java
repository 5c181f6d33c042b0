package org.iommuemu.emulator.vtd;

/**
 * When the TDX module invalidates the trusted IOTLB entries of a TD in a VT-d unit ({@link VtdConfig#trustedInvalidation}).
 * The module owns the trusted tables and their invalidation queue (shared/reference/vtd-tdx.md 7: TDH.IOMMU.SETUP
 * gives it the queue's pages); which of its SEAMCALLs issues the invalidation is not in the sources read, so this is a
 * switch.
 */
public enum TrustedInvalidation
{
    /**
     * At TDH.MEM.TRACK, every trusted entry of the TD (the default). The TLB-tracking protocol makes BLOCK, TRACK,
     * then REMOVE (or DEMOTE, PROMOTE, UNBLOCK) the order for any S-EPT change that takes a translation away, and the
     * module refuses REMOVE until tracking is done; flushing the IOMMU at TRACK is the latest point that still keeps
     * a removed page out of trusted DMA, and it treats the IOMMU like the CPUs, whose TLB entries of a blocked page
     * may be used until tracking is done. The epoch says nothing about which pages were blocked, so the whole
     * trusted domain goes.
     */
    TRACK,

    /**
     * At TDH.MEM.RANGE.BLOCK, the blocked range in the TD's trusted domain: trusted DMA stops at once, before any
     * TRACK (a stricter module than the CPU side needs; no stale trusted hit is ever possible).
     */
    BLOCK
}
