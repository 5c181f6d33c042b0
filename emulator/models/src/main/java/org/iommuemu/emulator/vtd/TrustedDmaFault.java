package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.tdx.DmaOutcome;

/**
 * How TDX Connect refuses a request, as a {@link FaultKind}: the {@link DmaOutcome} statuses of
 * {@code TdxConnect.trustedDma} and {@code untrustedDma}. These are not VT-d fault reasons and write no fault
 * record (the trusted path's tables and faults belong to the TDX module; shared/reference/vtd-tdx.md 7); the code
 * is the {@link DmaOutcome} status.
 */
public enum TrustedDmaFault implements FaultKind
{
    /** T=1 from a requester that is no TDI bound to a TD. */
    TDX_NO_TDI(DmaOutcome.REFUSED_NO_TDI),
    /** T=1 from a TDI not in RUN. */
    TDX_TDI_NOT_RUN(DmaOutcome.REFUSED_TDI_NOT_RUN),
    /** T=1 and the S-EPT (or shared EPT) does not map the address. */
    TDX_NOT_MAPPED(DmaOutcome.REFUSED_NOT_MAPPED),
    /** T=1 and the S-EPT entry is blocked. */
    TDX_BLOCKED(DmaOutcome.REFUSED_BLOCKED),
    /** T=1 and the S-EPT entry is pending (not accepted). */
    TDX_PENDING(DmaOutcome.REFUSED_PENDING),
    /** T=1 and the S-EPT does not permit the access. */
    TDX_PERMISSION(DmaOutcome.REFUSED_PERMISSION),
    /** T=0 and the output address is TD private memory, under {@code UntrustedDmaRule.ABORT}. */
    TDX_PRIVATE_UNTRUSTED(DmaOutcome.REFUSED_PRIVATE_T0),
    /** T=0 and the output address is private MMIO of a locked TDI, under {@code UntrustedMmioRule.ABORT}. */
    TDX_PRIVATE_MMIO_UNTRUSTED(DmaOutcome.REFUSED_PRIVATE_MMIO_T0),
    /** T=1 from a TDI whose TD is past TDH.MNG.VPFLUSHDONE (its keys no longer configured; a model choice). */
    TDX_TD_KEYS_NOT_CONFIGURED(DmaOutcome.REFUSED_TD_KEYS_NOT_CONFIGURED),
    /**
     * A machine check: a read consumed poisoned private memory, or (by their switches) an untrusted read of private
     * memory or a T=0 request to locked private MMIO; the cause is in the module's machine-check record.
     */
    TDX_MACHINE_CHECK(DmaOutcome.MACHINE_CHECK);

    private static final TrustedDmaFault[] BY_STATUS = new TrustedDmaFault[16];

    static
    {
        for (final TrustedDmaFault fault : values())
        {
            BY_STATUS[fault.status] = fault;
        }
    }

    private final int status;

    TrustedDmaFault(final int status)
    {
        this.status = status;
    }

    /** The fault for a refused {@link DmaOutcome#status()}; null for a completed one. */
    public static TrustedDmaFault of(final int status)
    {
        return status >= 0 && status < BY_STATUS.length ? BY_STATUS[status] : null;
    }

    public String faultName()
    {
        return name();
    }

    public int faultCode()
    {
        return status;
    }

    public boolean isMachineCheck()
    {
        return this == TDX_MACHINE_CHECK;
    }
}
