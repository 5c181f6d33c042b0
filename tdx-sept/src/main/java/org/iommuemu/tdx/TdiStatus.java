package org.iommuemu.tdx;

/**
 * Outcome of a TDI operation ({@link TdxConnect#bind} and friends). The TDX Connect SEAMCALLs' own codes are
 * not in the reference sheet, so these are the model's.
 */
public enum TdiStatus
{
    OK,
    /** The TDI is not in a state the operation accepts. */
    WRONG_STATE,
    /** The TDI is bound to another TD, or not bound when the operation needs it. */
    WRONG_TD,
    /** Unbind while private MMIO of the TDI is still mapped in the S-EPT. */
    MMIO_STILL_MAPPED,
    /**
     * Bind found a hypervisor shared mapping of the TDI's private MMIO (in a table, or cached by the IOMMU under
     * {@link StaleTranslationRule#MACHINE_CHECK}): the machine-check record is filled.
     */
    MACHINE_CHECK,
    /**
     * Bind refused under {@link StaleTranslationRule#REFUSE}: a translation the IOMMU cached still reaches the TDI's
     * private MMIO; the VMM must invalidate it first ({@link TdxConnect#lastStaleTranslation()} says where).
     */
    STALE_TRANSLATION
}
