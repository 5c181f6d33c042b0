package org.iommuemu.tdx;

/**
 * Told of the TDX module's TLB-tracking steps, so that structures outside the module which cache S-EPT
 * translations can drop them where the module's protocol says they must be gone. The one such structure today is
 * an IOMMU's trusted IOTLB under TDX Connect: the module owns the trusted DMA tables and their invalidation queue
 * (TDH.IOMMU.SETUP hands it the queue's pages, shared/reference/vtd-tdx.md 7), so the invalidation of trusted
 * IOMMU entries is the module's job, not the VMM's.
 * <p>
 * The interface lives here so that tdx-sept depends on nothing that listens: the emulator's VT-d model registers
 * itself with {@link TdxModule#addTrackingListener} (the dependency runs from the emulator to tdx-sept only).
 * Listeners are called on the module's thread after the SEAMCALL succeeded, never for a refused one; they must
 * not call back into the module.
 */
public interface TlbTrackingListener
{
    /**
     * TDH.MEM.RANGE.BLOCK succeeded: the S-EPT entry of {@code td} covering {@code [gpa, gpa + 2^sizeLg2)} is now
     * blocked (a leaf, or a non-leaf entry over a whole table). Translations of it cached before may still be used
     * until the TD's TLB tracking is done, as CPU TLB entries may.
     */
    void blocked(TrustDomain td, long gpa, int sizeLg2);

    /** TDH.MEM.TRACK succeeded: {@code td}'s TLB epoch advanced to {@code epoch}. */
    void tracked(TrustDomain td, long epoch);
}
