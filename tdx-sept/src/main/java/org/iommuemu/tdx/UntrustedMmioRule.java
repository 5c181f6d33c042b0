package org.iommuemu.tdx;

/**
 * What a T=0 (untrusted) request does whose output lies in a private MMIO range of a TDI that is bound and locked
 * (CONFIG_LOCKED, RUN or ERROR): through a VMM mapping of private MMIO made or left behind after the bind, or a
 * stale IOTLB entry. Not shown by any source read (shared/reference/vtd-tdx.md 7 covers T=0 to private memory
 * only, and that as UNVERIFIED), so it is a switch. Private MMIO has no integrity state, so there is nothing to
 * poison: the request is either rejected or it "explodes" (seed 004).
 */
public enum UntrustedMmioRule
{
    /**
     * The request is refused (Unsupported Request / Completer Abort) and does not reach the device: the TDI rejects
     * non-TEE requests to the MMIO it locked (the TDISP behaviour as this model takes it). The default.
     */
    ABORT,
    /**
     * The request raises a machine check (cause {@link MachineCheckRecord#CAUSE_UNTRUSTED_PRIVATE_MMIO}), as the
     * seed 004 thread expects of a hypervisor access to private MMIO on x86.
     */
    MACHINE_CHECK;

    /** The rule a scenario gets when it does not name one. */
    public static final UntrustedMmioRule DEFAULT = ABORT;
}
