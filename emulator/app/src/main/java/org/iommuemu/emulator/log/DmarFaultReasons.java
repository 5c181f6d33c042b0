package org.iommuemu.emulator.log;

/**
 * The words Linux prints for a VT-d fault reason code, as drivers/iommu/intel/dmar.c has them
 * ({@code dma_remap_fault_reasons} 0x0-0xD, {@code irq_remap_fault_reasons} 0x20-0x26,
 * {@code dma_remap_sm_fault_reasons} 0x30-0x90, "Unknown" for the codes in between and beyond, chosen as
 * {@code dmar_get_fault_reason} chooses: interrupt-remapping codes first, then scalable-mode, then legacy). Kept
 * word for word so that {@code --log dmesg} lines diff cleanly against a real kernel's.
 */
final class DmarFaultReasons
{
    private static final String[] LEGACY = {
        "Software",
        "Present bit in root entry is clear",
        "Present bit in context entry is clear",
        "Invalid context entry",
        "Access beyond MGAW",
        "PTE Write access is not set",
        "PTE Read access is not set",
        "Next page table ptr is invalid",
        "Root table address invalid",
        "Context table ptr is invalid",
        "non-zero reserved fields in RTP",
        "non-zero reserved fields in CTP",
        "non-zero reserved fields in PTE",
        "PCE for translation request specifies blocking"
    };

    private static final String[] INTERRUPT_REMAPPING = {
        "Detected reserved fields in the decoded interrupt-remapped request",
        "Interrupt index exceeded the interrupt-remapping table size",
        "Present field in the IRTE entry is clear",
        "Error accessing interrupt-remapping table pointed by IRTA_REG",
        "Detected reserved fields in the IRTE entry",
        "Blocked a compatibility format interrupt request",
        "Blocked an interrupt request due to source-id verification failure"
    };

    private static final String[] SCALABLE_MODE = {
        "SM: Invalid Root Table Address",
        "SM: TTM 0 for request with PASID",
        "SM: TTM 0 for page group request",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: Error attempting to access Root Entry",
        "SM: Present bit in Root Entry is clear",
        "SM: Non-zero reserved field set in Root Entry",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: Error attempting to access Context Entry",
        "SM: Present bit in Context Entry is clear",
        "SM: Non-zero reserved field set in the Context Entry",
        "SM: Invalid Context Entry",
        "SM: DTE field in Context Entry is clear",
        "SM: PASID Enable field in Context Entry is clear",
        "SM: PASID is larger than the max in Context Entry",
        "SM: PRE field in Context-Entry is clear",
        "SM: RID_PASID field error in Context-Entry",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: Error attempting to access the PASID Directory Entry",
        "SM: Present bit in Directory Entry is clear",
        "SM: Non-zero reserved field set in PASID Directory Entry",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: Error attempting to access PASID Table Entry",
        "SM: Present bit in PASID Table Entry is clear",
        "SM: Non-zero reserved field set in PASID Table Entry",
        "SM: Invalid Scalable-Mode PASID Table Entry",
        "SM: ERE field is clear in PASID Table Entry",
        "SM: SRE field is clear in PASID Table Entry",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: Error attempting to access first-level paging entry",
        "SM: Present bit in first-level paging entry is clear",
        "SM: Non-zero reserved field set in first-level paging entry",
        "SM: Error attempting to access FL-PML4 entry",
        "SM: First-level entry address beyond MGAW in Nested translation",
        "SM: Read permission error in FL-PML4 entry in Nested translation",
        "SM: Read permission error in first-level paging entry in Nested translation",
        "SM: Write permission error in first-level paging entry in Nested translation",
        "SM: Error attempting to access second-level paging entry",
        "SM: Read/Write permission error in second-level paging entry",
        "SM: Non-zero reserved field set in second-level paging entry",
        "SM: Invalid second-level page table pointer",
        "SM: A/D bit update needed in second-level entry when set up in no snoop",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: Address in first-level translation is not canonical",
        "SM: U/S set 0 for first-level translation with user privilege",
        "SM: No execute permission for request with PASID and ER=1",
        "SM: Address beyond the DMA hardware max",
        "SM: Second-level entry address beyond the max",
        "SM: No write permission for Write/AtomicOp request",
        "SM: No read permission for Read/AtomicOp request",
        "SM: Invalid address-interrupt address",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
        "SM: A/D bit update needed in first-level entry when set up in no snoop"
    };

    private DmarFaultReasons()
    {
    }

    /** Whether Linux treats the code as an interrupt-remapping fault ({@code [INTR-REMAP]} lines). */
    static boolean isInterruptRemapping(final int reason)
    {
        return reason >= 0x20 && reason - 0x20 < INTERRUPT_REMAPPING.length;
    }

    /** The reason's words, as the kernel prints them after {@code [fault reason 0xNN]}. */
    static String reason(final int reason)
    {
        if (isInterruptRemapping(reason))
        {
            return INTERRUPT_REMAPPING[reason - 0x20];
        }
        if (reason >= 0x30 && reason - 0x30 < SCALABLE_MODE.length)
        {
            return SCALABLE_MODE[reason - 0x30];
        }
        if (reason >= 0 && reason < LEGACY.length)
        {
            return LEGACY[reason];
        }
        return "Unknown";
    }
}
