package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.platform.FaultKind;

/**
 * How the AMD-Vi model refuses a request with T = 1 before any table or RMP check, as a {@link FaultKind}. The
 * sources name no event for these (confidential-io-extras.md 1.5: "T=1 from a TDI not in RUN or sDTE.V=0: blocked
 * (abort)", UNVERIFIED), so they write no event log entry; an RMP refusal of a trusted request is an ordinary
 * {@link AmdViFault#RMP_PAGE_FAULT}. The code is -1 (no architectural code).
 */
public enum SevTioFault implements FaultKind
{
    /** T = 1 from a requester that has no TDI (TIO_TDI_CREATE was never done, or the TDI was reclaimed). */
    TIO_NO_TDI,
    /** T = 1 from a TDI that is not in RUN (CONFIG_UNLOCKED, CONFIG_LOCKED or ERROR). */
    TIO_TDI_NOT_RUN,
    /** T = 1 while the device's secure DTE is not valid (the guest has not written it, or zeroed it). */
    TIO_SDTE_INVALID,
    /** T = 1 from a guest whose ASID is fenced on the device's root port (until TIO_ASID_FENCE_CLEAR). */
    TIO_ASID_FENCED,
    /**
     * T = 1 on a request the model does not take through the trusted path: an ATS translation or translated request
     * (TDI bind requires ALL_REQUEST_REDIRECT; how the IOMMU answers trusted ATS is not in the sources), or a PASID
     * while the secure DTE has no guest translation.
     */
    TIO_UNSUPPORTED_REQUEST;

    public String faultName()
    {
        return name();
    }

    public int faultCode()
    {
        return -1;
    }
}
