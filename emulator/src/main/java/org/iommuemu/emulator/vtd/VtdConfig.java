package org.iommuemu.emulator.vtd;

/**
 * The switches for behaviour the sources do not settle (each UNVERIFIED in shared/reference/vtd-tdx.md or not
 * covered by it), with the defaults the model uses. Mutable until given to a {@link VtdIommu}; the model copies
 * nothing, so change it only between requests.
 */
public final class VtdConfig
{
    /** Host address width in bits: table pointers and output addresses at or above it are reserved bits. */
    public int hostAddressWidth = 48;

    /**
     * Memory above this address does not answer (a table fetch there is an access error: fault reasons 0x7,
     * 0x8, 0x9, 0x30, 0x40, 0x50, 0x58, 0x70, 0x73, 0x78, 0x7B). Default: all of the 52-bit space answers.
     */
    public long memoryLimit = 1L << 52;

    /**
     * Scalable-mode second-stage faults use the scalable codes (0x78-0x7B, 0x83, 0x87); false reports the
     * legacy codes (0x4-0x7, 0xC, 0xE) as QEMU does.
     */
    public boolean scalableSecondStageCodes = true;

    /** GCMD: a write that changes more than one command is ignored (true) or applied in order SRTP, QIE, TE (false). */
    public boolean strictGlobalCommand = true;

    /** Drop a fault when a pending record with the same source ID exists (QEMU's compression); off by default. */
    public boolean compressFaults;

    /** Write EXE (bit 94) and PRIV (bit 93) into fault records (the spec's fields; positions UNVERIFIED). */
    public boolean recordExecutePrivilege = true;

    /** Refuse output addresses in 0xFEE00000-0xFEEFFFFF (fault 0xE or 0x87). */
    public boolean interruptRangeCheck = true;
}
