package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.FaultKind;

/**
 * VT-d DMA-remapping fault reasons the model raises: the legacy codes 0x1-0xE and the scalable-mode codes
 * 0x30-0x87. {@link #faultCode()} is the FR field written into the fault record. A fault is "qualified" when
 * FPD (context, PASID directory or PASID entry) may suppress its recording; root-table and table-access faults
 * are always recorded (QEMU {@code vtd_qualified_faults}). Sources: Linux dmar.c {@code dma_remap_fault_reasons},
 * {@code dma_remap_sm_fault_reasons}; QEMU {@code VTDFaultReason}; shared/reference/vtd-tdx.md 3.3.
 */
public enum VtdFaultReason implements FaultKind
{
    /** 0x1: root entry P clear (legacy). */
    ROOT_ENTRY_NOT_PRESENT(0x01, false),
    /** 0x2: context entry P clear (legacy). */
    CONTEXT_ENTRY_NOT_PRESENT(0x02, true),
    /** 0x3: invalid context entry: AW not in SAGAW, reserved or unsupported TT, or SLPTPTR not readable. */
    CONTEXT_ENTRY_INVALID(0x03, true),
    /** 0x4: input address beyond AGAW or MGAW. */
    ADDRESS_BEYOND_MGAW(0x04, true),
    /** 0x5: write not permitted by the second stage. */
    WRITE(0x05, true),
    /** 0x6: read not permitted by the second stage. */
    READ(0x06, true),
    /** 0x7: a second-stage paging entry below the top level could not be read. */
    PAGING_ENTRY_ACCESS(0x07, true),
    /** 0x8: the root table could not be read. */
    ROOT_TABLE_ACCESS(0x08, false),
    /** 0x9: the context table could not be read. */
    CONTEXT_TABLE_ACCESS(0x09, false),
    /** 0xA: reserved bit in the root entry. */
    ROOT_ENTRY_RESERVED(0x0A, false),
    /** 0xB: reserved bit in the context entry. */
    CONTEXT_ENTRY_RESERVED(0x0B, true),
    /** 0xC: reserved bit in a second-stage paging entry. */
    PAGING_ENTRY_RESERVED(0x0C, true),
    /** 0xD: a translation or translated request, and the context's TT does not allow the device TLB. */
    CONTEXT_ENTRY_TT(0x0D, true),
    /** 0xE: the output address is in the interrupt range 0xFEEx_xxxx (legacy). */
    INTERRUPT_ADDRESS(0x0E, true),

    /** 0x30: the scalable-mode root table could not be read. */
    SM_ROOT_TABLE_ADDRESS(0x30, false),
    /** 0x31: legacy mode (TTM 00) and the request carries a PASID. */
    SM_LEGACY_WITH_PASID(0x31, false),
    /** 0x39: scalable-mode root entry LP/UP clear. */
    SM_ROOT_ENTRY_NOT_PRESENT(0x39, false),
    /** 0x3A: reserved bit in the scalable-mode root entry. */
    SM_ROOT_ENTRY_RESERVED(0x3A, false),
    /** 0x40: the scalable-mode context table could not be read. */
    SM_CONTEXT_ENTRY_ACCESS(0x40, false),
    /** 0x41: scalable-mode context entry P clear. */
    SM_CONTEXT_ENTRY_NOT_PRESENT(0x41, true),
    /** 0x42: reserved bit in the scalable-mode context entry. */
    SM_CONTEXT_ENTRY_RESERVED(0x42, true),
    /** 0x44: a translation or translated request, and the context entry's DTE is clear. */
    SM_DTE_CLEAR(0x44, true),
    /** 0x45: a request with PASID, and the context entry's PASIDE is clear. */
    SM_PASIDE_CLEAR(0x45, true),
    /** 0x46: the PASID is beyond the directory (PDTS) or the supported width (ECAP.PSS). */
    SM_PASID_TOO_LARGE(0x46, true),
    /** 0x48: RID_PASID is beyond the PASID directory. */
    SM_RID_PASID_ERROR(0x48, true),
    /** 0x50: the PASID directory could not be read. */
    SM_PASID_DIR_ACCESS(0x50, false),
    /** 0x51: PASID directory entry P clear. */
    SM_PASID_DIR_NOT_PRESENT(0x51, true),
    /** 0x52: reserved bit in the PASID directory entry. */
    SM_PASID_DIR_RESERVED(0x52, true),
    /** 0x58: the PASID table could not be read. */
    SM_PASID_TABLE_ACCESS(0x58, false),
    /** 0x59: PASID table entry P clear. */
    SM_PASID_ENTRY_NOT_PRESENT(0x59, true),
    /** 0x5A: reserved bit in the PASID table entry. */
    SM_PASID_ENTRY_RESERVED(0x5A, true),
    /** 0x5B: invalid PASID entry: PGTT invalid or not supported, AW not in SAGAW, FLPM not supported. */
    SM_PASID_ENTRY_INVALID(0x5B, true),
    /** 0x5C: an execute request and the PASID entry's ERE is clear. */
    SM_ERE_CLEAR(0x5C, true),
    /** 0x5D: a privileged (supervisor) request and the PASID entry's SRE is clear. */
    SM_SRE_CLEAR(0x5D, true),
    /** 0x70: a first-stage entry below the top level could not be read. */
    FS_ENTRY_ACCESS(0x70, true),
    /** 0x71: first-stage entry P clear. */
    FS_ENTRY_NOT_PRESENT(0x71, true),
    /** 0x72: reserved bit in a first-stage entry. */
    FS_ENTRY_RESERVED(0x72, true),
    /** 0x73: the first-stage top-level table (FLPTPTR) could not be read. */
    FS_ROOT_ACCESS(0x73, true),
    /** 0x74: nested: a first-stage output (table pointer or final GPA) is beyond the second stage's width. */
    NESTED_FS_ADDRESS_BEYOND_MGAW(0x74, true),
    /** 0x75: nested: the second stage refuses the read of the first-stage top-level table. */
    NESTED_FS_ROOT_READ(0x75, true),
    /** 0x76: nested: the second stage refuses the read of a lower first-stage table. */
    NESTED_FS_ENTRY_READ(0x76, true),
    /** 0x78: a second-stage entry below the top level could not be read (scalable mode). */
    SS_ENTRY_ACCESS(0x78, true),
    /** 0x79: the second stage does not grant the access (no R/W, or not present) (scalable mode). */
    SS_PERMISSION(0x79, true),
    /** 0x7A: reserved bit in a second-stage entry (scalable mode). */
    SS_ENTRY_RESERVED(0x7A, true),
    /** 0x7B: the second-stage top-level table (SLPTPTR) could not be read. */
    SS_ROOT_ACCESS(0x7B, true),
    /** 0x80: first-stage input address not canonical. */
    FS_NOT_CANONICAL(0x80, true),
    /** 0x81: a user request and U/S clear on the first-stage path. */
    FS_USER(0x81, true),
    /** 0x82: an execute request and XD set on the first-stage path. */
    FS_EXECUTE(0x82, true),
    /** 0x83: input address beyond the second stage's AGAW or MGAW (scalable mode). */
    SM_ADDRESS_BEYOND_MAX(0x83, true),
    /** 0x85: a write and R/W clear on the first-stage path. */
    FS_WRITE(0x85, true),
    /** 0x87: the output address is in the interrupt range (scalable mode). */
    SM_INTERRUPT_ADDRESS(0x87, true);

    private final int code;
    private final boolean qualified;

    VtdFaultReason(final int code, final boolean qualified)
    {
        this.code = code;
        this.qualified = qualified;
    }

    public String faultName()
    {
        return name();
    }

    /** The FR field of the fault record. */
    public int faultCode()
    {
        return code;
    }

    /** Whether FPD suppresses recording this fault. */
    public boolean qualified()
    {
        return qualified;
    }
}
