package org.iommuemu.tdx;

/**
 * A VMM-owned translation (an IOMMU domain of the untrusted path, a host page table) that
 * {@link TdxConnect} asks at TDI bind whether it still maps private MMIO (seed 004). The TD's shared EPT
 * is always checked; the emulator registers its IOMMU domains through this interface
 * ({@link TdxConnect#addHypervisorMappings}), and the translations its IOMMU has cached from them
 * ({@link TdxConnect#addCachedTranslations}).
 */
@FunctionalInterface
public interface HypervisorMappings
{
    /**
     * The first host physical address in {@code [hpa, hpa + length)} that this translation maps as an
     * output, or -1 when it maps none.
     */
    long firstMapped(long hpa, long length);
}
