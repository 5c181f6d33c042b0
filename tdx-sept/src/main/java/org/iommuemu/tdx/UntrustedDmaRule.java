package org.iommuemu.tdx;

/**
 * What a T=0 (untrusted) DMA that reaches TD private memory does. Not shown by any source read
 * (shared/reference/vtd-tdx.md 7, "T=0 DMA that hits TD private memory: UNVERIFIED"), so it is a switch. The
 * default ({@link #DEFAULT}) is {@link #POISON}: the reference expects T=0 outputs to carry only non-private KeyIDs
 * and so "corruption or poisoning rather than a clean fault" (section 7, with section 6's non-TD accesses); that
 * hardware aborts such requests outright is the unshown alternative.
 */
public enum UntrustedDmaRule
{
    /** The request is refused (Unsupported Request / Completer Abort); memory is untouched. */
    ABORT,
    /**
     * The request goes through with a non-private KeyID: a write poisons the lines it touches; a read behaves
     * as a host read ({@link HostReadMode}).
     */
    POISON;

    /** The rule a scenario gets when it does not name one. */
    public static final UntrustedDmaRule DEFAULT = POISON;
}
