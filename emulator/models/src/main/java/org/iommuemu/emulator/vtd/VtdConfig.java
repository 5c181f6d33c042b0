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

    /**
     * GCMD: a write that changes more than one command is ignored (true) or applied in order SRTP, QIE, TE (false, the
     * default: QEMU and VirtualBox act on every bit, and Xen enables translation by writing GSTS | TE, which re-issues
     * SRTP).
     */
    public boolean strictGlobalCommand;

    /** Drop a fault when a pending record with the same source ID exists (QEMU's compression); off by default. */
    public boolean compressFaults;

    /** Write EXE (bit 94) and PRIV (bit 93) into fault records (the spec's fields; positions UNVERIFIED). */
    public boolean recordExecutePrivilege = true;

    /** Refuse output addresses in 0xFEE00000-0xFEEFFFFF (fault 0xE or 0x87). */
    public boolean interruptRangeCheck = true;

    /**
     * TDX Connect: cache trusted (T=1) translations in the IOTLB. The reference (vtd-tdx.md 7, the TDX Connect
     * spec's section 2.2 as quoted in the DID-MSB patches) says the IOMMU tags IOTLB, PASID-cache and context-cache
     * entries with whether they came from TEE-IO transactions; the model caches the trusted path's final
     * translations in the IOTLB with {@code CacheTag.TRUSTED} set, tagged with the TD's trusted DID
     * ({@link VtdIommu#trustedDomainId}) and the requester, so a T=1 hit never serves a T=0 request nor the other
     * way round. The TDI's TDISP state and the memory-integrity check are not cached: both run on every request.
     * Off: every T=1 request walks the S-EPT and nothing of the trusted path enters the caches (the model before
     * issue 7).
     */
    public boolean trustedIotlb = true;

    /** A page request the page request queue cannot take (full, or PRS.PRO set): answered or dropped (UNVERIFIED). */
    public PageRequestOverflow pageRequestOverflow = PageRequestOverflow.RESPOND;

    /** TDX Connect with {@link #trustedIotlb}: when the TDX module drops a TD's trusted IOTLB entries. */
    public TrustedInvalidation trustedInvalidation = TrustedInvalidation.TRACK;
}
