package org.iommuemu.rmp;

/**
 * The switches for behaviour the reference marks UNVERIFIED. Each setting is described in docs/rmp.md;
 * {@link #DEFAULT} is the model's best reading of the sources.
 *
 * @param psmashSmallEntryCode       what PSMASH returns when the entry at the 2 MiB-aligned SPA is already 4 KiB
 * @param dmaLargeLeafRule           how the IOMMU DMA check treats an IOMMU leaf larger than 4 KiB
 * @param dmaReadsChecked            whether DMA reads of assigned memory fault (writes always do)
 * @param assignedVmpl0Permissions   the VMPL0 permission byte RMPUPDATE gives a newly assigned page
 *                                   (VMPL1..3 get none)
 */
public record RmpConfig(
    PsmashSmallEntryCode psmashSmallEntryCode,
    DmaLargeLeafRule dmaLargeLeafRule,
    boolean dmaReadsChecked,
    int assignedVmpl0Permissions)
{
    /** Read, write, execute-user, execute-supervisor; no supervisor shadow stack. */
    public static final int DEFAULT_VMPL0_PERMISSIONS = RmpEntry.PERMISSION_READ | RmpEntry.PERMISSION_WRITE |
        RmpEntry.PERMISSION_EXECUTE_USER | RmpEntry.PERMISSION_EXECUTE_SUPERVISOR;

    public static final RmpConfig DEFAULT = new RmpConfig(
        PsmashSmallEntryCode.OBSERVED_7, DmaLargeLeafRule.REGION_2M, true, DEFAULT_VMPL0_PERMISSIONS);

    public RmpConfig
    {
        if (psmashSmallEntryCode == null || dmaLargeLeafRule == null ||
            (assignedVmpl0Permissions & ~RmpEntry.PERMISSION_ALL) != 0)
        {
            throw new IllegalArgumentException("bad RMP configuration");
        }
    }

    public RmpConfig withPsmashSmallEntryCode(final PsmashSmallEntryCode value)
    {
        return new RmpConfig(value, dmaLargeLeafRule, dmaReadsChecked, assignedVmpl0Permissions);
    }

    public RmpConfig withDmaLargeLeafRule(final DmaLargeLeafRule value)
    {
        return new RmpConfig(psmashSmallEntryCode, value, dmaReadsChecked, assignedVmpl0Permissions);
    }

    public RmpConfig withDmaReadsChecked(final boolean value)
    {
        return new RmpConfig(psmashSmallEntryCode, dmaLargeLeafRule, value, assignedVmpl0Permissions);
    }

    /** PSMASH's code for an entry that is already 4 KiB (reference section 6.4, UNVERIFIED). */
    public enum PsmashSmallEntryCode
    {
        /** 7: what a KVM mailing-list report observed on hardware. The default. */
        OBSERVED_7(RmpReturnCode.FAIL_BADADDR_OBSERVED),
        /** 4: {@code PSMASH_FAIL_BADADDR} of the pre-upstream patch sets. */
        PRE_UPSTREAM_BADADDR_4(RmpReturnCode.FAIL_BADADDR_PRE_UPSTREAM),
        /** 1: treat it as a bad operand. */
        FAIL_INPUT_1(RmpReturnCode.FAIL_INPUT);

        private final int code;

        PsmashSmallEntryCode(final int code)
        {
            this.code = code;
        }

        public int code()
        {
            return code;
        }
    }

    /**
     * The inferred rule for a DMA through an IOMMU leaf larger than 4 KiB (reference section 7.3: the Roedel
     * commit "IOMMU page-sizes need to match the sizes in the RMP table"; the check itself is an inference).
     */
    public enum DmaLargeLeafRule
    {
        /** Only the entry governing the target page is checked, whatever the leaf size (no large-leaf rule). */
        OFF,
        /**
         * The reference's suggested rule, mirroring the CPU hypervisor-owned check: a leaf of 2 MiB or more is
         * treated as 2 MiB and faults unless the whole 2 MiB region holding the target is hypervisor-owned
         * (2 MiB-aligned entry unassigned and subpage count 0); a leaf between 4 KiB and 2 MiB faults unless
         * every 4 KiB page the leaf covers is hypervisor-owned. The default.
         */
        REGION_2M,
        /**
         * Stricter what-if: every 4 KiB page of the whole leaf (each 2 MiB region of a 1 GiB leaf) must be
         * hypervisor-owned. Costs one entry read per 2 MiB region for large leaves.
         */
        WHOLE_LEAF
    }
}
