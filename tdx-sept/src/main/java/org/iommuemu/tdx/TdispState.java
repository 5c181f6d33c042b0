package org.iommuemu.tdx;

/** TDISP device-interface states (PCIe TDISP; shared/reference/vtd-tdx.md 7 and DESIGN.md glossary). */
public enum TdispState
{
    /** Not locked: the VMM may reconfigure the function; T=1 requests are refused. */
    CONFIG_UNLOCKED,
    /** LOCK_INTERFACE done (bound to a TD): configuration frozen, the TD has not yet accepted it. */
    CONFIG_LOCKED,
    /** START_INTERFACE done: the TD accepted the TDI; T=1 DMA is translated through the TD's S-EPT. */
    RUN,
    /** An error (or a security violation seen at bind): T=1 requests are refused until STOP. */
    ERROR
}
