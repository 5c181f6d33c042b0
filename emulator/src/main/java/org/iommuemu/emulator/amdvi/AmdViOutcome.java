package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.platform.FaultKind;
import org.iommuemu.pagetable.WalkFault;

/** The outcome of one DMA through the AMD-Vi model, owned by the caller and re-pointed per request. */
public final class AmdViOutcome
{
    /** What happened to the request. */
    public enum Status implements FaultKind
    {
        /** Translated (or passed through) and allowed. */
        OK(-1),
        /** The translation failed: IO_PAGE_FAULT (logged unless suppressed). */
        IO_PAGE_FAULT(AmdViEvent.IO_PAGE_FAULT),
        /** The device table entry is invalid for this request: ILLEGAL_DEV_TABLE_ENTRY. */
        ILLEGAL_DEV_TABLE_ENTRY(AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY),
        /** SNP: the RMP refused the DMA: RMP_PAGE_FAULT. */
        RMP_PAGE_FAULT(AmdViEvent.RMP_PAGE_FAULT),
        /** An ATS request from a device whose DTE does not allow ATS (I = 0): INVALID_DEVICE_REQUEST. */
        INVALID_DEVICE_REQUEST(AmdViEvent.INVALID_DEVICE_REQUEST);

        private final int eventCode;

        Status(final int eventCode)
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

    Status status = Status.OK;
    long outputAddress;
    int pageSizeLg2;
    int permissions;
    WalkFault walkFault = WalkFault.NONE;
    boolean iotlbHit;
    boolean eventLogged;
    int domainId;

    void reset()
    {
        status = Status.OK;
        outputAddress = 0;
        pageSizeLg2 = 0;
        permissions = 0;
        walkFault = WalkFault.NONE;
        iotlbHit = false;
        eventLogged = false;
        domainId = 0;
    }

    public Status status()
    {
        return status;
    }

    public boolean isOk()
    {
        return status == Status.OK;
    }

    public long outputAddress()
    {
        return outputAddress;
    }

    public int pageSizeLg2()
    {
        return pageSizeLg2;
    }

    public int permissions()
    {
        return permissions;
    }

    /** The walker's fault behind an IO_PAGE_FAULT. */
    public WalkFault walkFault()
    {
        return walkFault;
    }

    public boolean iotlbHit()
    {
        return iotlbHit;
    }

    /** Whether an event went into the event log (false when suppressed, disabled or the log overflowed). */
    public boolean eventLogged()
    {
        return eventLogged;
    }

    public int domainId()
    {
        return domainId;
    }

    public String toString()
    {
        return "AmdViOutcome{" + status + (status == Status.OK ? ", oa=0x" + Long.toHexString(outputAddress) +
            ", sizeLg2=" + pageSizeLg2 : ", walk=" + walkFault) + ", iotlbHit=" + iotlbHit + "}";
    }
}
