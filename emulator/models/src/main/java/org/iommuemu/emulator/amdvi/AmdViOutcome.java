package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
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
    int pasid = CacheTag.NO_PASID;
    boolean guest;
    boolean untranslatedOnly;
    boolean excluded;
    boolean interrupt;

    void reset()
    {
        // Reference fields only when they change: a reference store costs the collector's write barriers.
        if (status != Status.OK)
        {
            status = Status.OK;
        }
        if (walkFault != WalkFault.NONE)
        {
            walkFault = WalkFault.NONE;
        }
        outputAddress = 0;
        pageSizeLg2 = 0;
        permissions = 0;
        iotlbHit = false;
        eventLogged = false;
        domainId = 0;
        pasid = CacheTag.NO_PASID;
        guest = false;
        untranslatedOnly = false;
        excluded = false;
        interrupt = false;
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

    /** The request's PASID, or {@link CacheTag#NO_PASID}. */
    public int pasid()
    {
        return pasid;
    }

    /** Whether the request went through a guest (v2) table (with a PASID, or PASID 0 through DTE.GIOV). */
    public boolean guest()
    {
        return guest;
    }

    /** The host leaf's U bit: the ATS answer says "untranslated access only" and the device may not cache it. */
    public boolean untranslatedOnly()
    {
        return untranslatedOnly;
    }

    /** Whether the address fell in the exclusion range and bypassed translation. */
    public boolean excluded()
    {
        return excluded;
    }

    /** Whether the request was an interrupt request (a write to the interrupt address range), forwarded or refused. */
    public boolean interrupt()
    {
        return interrupt;
    }

    public String toString()
    {
        return "AmdViOutcome{" + status + (status == Status.OK ? ", oa=0x" + Long.toHexString(outputAddress) +
            ", sizeLg2=" + pageSizeLg2 : ", walk=" + walkFault) + ", iotlbHit=" + iotlbHit + "}";
    }
}
