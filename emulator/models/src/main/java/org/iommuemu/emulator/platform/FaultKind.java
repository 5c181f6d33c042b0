package org.iommuemu.emulator.platform;

/**
 * An architectural reason a request failed, as the IOMMU (or the security check behind it) names it: an AMD-Vi
 * event type (IO_PAGE_FAULT, RMP_PAGE_FAULT, ...), a VT-d fault reason (legacy or scalable-mode code), a TDX
 * refusal or machine check. Implemented by enums, so an outcome carries its fault without allocating, and
 * statistics and result files group faults by {@link #faultName()}.
 */
public interface FaultKind
{
    /** The architectural name, upper case with underscores, as result files and summaries print it. */
    String faultName();

    /** The architectural code (event type, fault reason), or -1 where the architecture has none. */
    int faultCode();

    /**
     * Whether this fault is a machine check raised by the access (TDX: consumed poison, a host read of private
     * memory under that switch, T=0 to locked private MMIO under that switch). Replay statistics count these among
     * the machine checks (docs/replay.md).
     */
    default boolean isMachineCheck()
    {
        return false;
    }
}
