package org.iommuemu.tdx;

/**
 * What TDI bind does when no VMM page table maps the TDI's private MMIO any more but a translation the IOMMU cached
 * from one still does (an unmap without the IOTLB invalidation; seed 004 through a stale entry). The IOMMU keeps
 * using a cached translation until an invalidation completes, so for the hardware that mapping still exists; how
 * the TDX module meets it at bind is not in the sources read (shared/reference/vtd-tdx.md 7 lists no such check),
 * so it is a switch.
 */
public enum StaleTranslationRule
{
    /**
     * The cached translation counts as a hypervisor mapping, as a mapped page-table entry does: the bind records
     * the machine check (cause {@link MachineCheckRecord#CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND}) and the TDI goes
     * to ERROR. The default: the hardware sees the translation, so the bind meets what seed 004's mapping meets.
     */
    MACHINE_CHECK,
    /**
     * The module demands the VMM's invalidation first: the bind is refused ({@link TdiStatus#STALE_TRANSLATION}),
     * the TDI stays CONFIG_UNLOCKED and is not bound, nothing is recorded; the VMM invalidates and binds again.
     */
    REFUSE;

    /** The rule a scenario gets when it does not name one. */
    public static final StaleTranslationRule DEFAULT = MACHINE_CHECK;
}
