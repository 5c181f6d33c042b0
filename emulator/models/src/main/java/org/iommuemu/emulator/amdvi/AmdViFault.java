package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.platform.FaultKind;

/** Why the AMD-Vi model refused a request: the event type of the event log entry the fault writes. */
public enum AmdViFault implements FaultKind
{
    /** The translation failed: IO_PAGE_FAULT (logged unless suppressed). */
    IO_PAGE_FAULT(AmdViEvent.IO_PAGE_FAULT),
    /** The device table entry is invalid for this request: ILLEGAL_DEV_TABLE_ENTRY. */
    ILLEGAL_DEV_TABLE_ENTRY(AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY),
    /** SNP: the RMP refused the DMA: RMP_PAGE_FAULT. */
    RMP_PAGE_FAULT(AmdViEvent.RMP_PAGE_FAULT),
    /** A request the device may not make (ATS without DTE.I, an aborted interrupt): INVALID_DEVICE_REQUEST. */
    INVALID_DEVICE_REQUEST(AmdViEvent.INVALID_DEVICE_REQUEST);

    private final int eventCode;

    AmdViFault(final int eventCode)
    {
        this.eventCode = eventCode;
    }

    public String faultName()
    {
        return name();
    }

    /** The event type code of the event log entry this fault writes. */
    public int faultCode()
    {
        return eventCode;
    }
}
