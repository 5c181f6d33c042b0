package org.iommuemu.tdx;

import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;

/**
 * The outcome of one DMA through {@link TdxConnect}, owned by the caller and re-filled by every request
 * (nothing is allocated per request). A refused request is a value with its reason; a machine check fills
 * {@link #machineCheck()}.
 */
public final class DmaOutcome
{
    /** Translated (T=1) or allowed (T=0) and the data access may proceed. */
    public static final int OK = 0;
    /** A read of private memory on the untrusted path under {@link HostReadMode#ZEROS}: return zeros. */
    public static final int READ_ZEROS = 1;
    /** A T=0 write reached private memory under {@link UntrustedDmaRule#POISON}: lines poisoned. */
    public static final int WRITE_POISONED = 2;
    /** The access raised a machine check (see {@link #machineCheck()}). */
    public static final int MACHINE_CHECK = 3;
    /** T=1 from a requester with no TDI, or a TDI bound to no TD. */
    public static final int REFUSED_NO_TDI = 4;
    /** T=1 from a TDI not in RUN. */
    public static final int REFUSED_TDI_NOT_RUN = 5;
    /** The S-EPT (or shared EPT) has no translation: not present, bad entry or beyond the width. */
    public static final int REFUSED_NOT_MAPPED = 6;
    /** The S-EPT leaf is blocked. */
    public static final int REFUSED_BLOCKED = 7;
    /** The S-EPT leaf is pending (not yet accepted by the TD). */
    public static final int REFUSED_PENDING = 8;
    /** The translation does not grant the access. */
    public static final int REFUSED_PERMISSION = 9;
    /** T=0 to TD private memory under {@link UntrustedDmaRule#ABORT} (UR/CA). */
    public static final int REFUSED_PRIVATE_T0 = 10;
    /** T=0 to private MMIO of a locked TDI under {@link UntrustedMmioRule#ABORT} (UR/CA). */
    public static final int REFUSED_PRIVATE_MMIO_T0 = 11;
    /**
     * T=1 from a TDI whose TD is being torn down (TDH.MNG.VPFLUSHDONE done: its keys are no longer configured). A
     * model choice: the reference does not say what the trusted path does then; the model refuses, as the module
     * refuses the VMM's memory SEAMCALLs (TD_KEYS_NOT_CONFIGURED).
     */
    public static final int REFUSED_TD_KEYS_NOT_CONFIGURED = 12;

    private final WalkResult walk = new WalkResult();
    private final MachineCheckRecord machineCheck = new MachineCheckRecord();
    private int status;
    private long outputAddress;
    private int pageSizeLg2;
    private boolean viaSharedEpt;
    private long septEntry;

    void reset()
    {
        status = OK;
        outputAddress = 0;
        pageSizeLg2 = 0;
        viaSharedEpt = false;
        septEntry = 0;
        machineCheck.clear();
    }

    DmaOutcome status(final int status)
    {
        this.status = status;
        return this;
    }

    void translation(final long outputAddress, final int pageSizeLg2, final boolean viaSharedEpt)
    {
        this.outputAddress = outputAddress;
        this.pageSizeLg2 = pageSizeLg2;
        this.viaSharedEpt = viaSharedEpt;
    }

    void septEntry(final long entry)
    {
        this.septEntry = entry;
    }

    WalkResult walkScratch()
    {
        return walk;
    }

    public int status()
    {
        return status;
    }

    /** True for {@link #OK}, {@link #READ_ZEROS} and {@link #WRITE_POISONED}: the request completed. */
    public boolean completed()
    {
        return status == OK || status == READ_ZEROS || status == WRITE_POISONED;
    }

    /** Host physical address the request reached (T=1: the S-EPT or shared-EPT output; T=0: the input HPA). */
    public long outputAddress()
    {
        return outputAddress;
    }

    public int pageSizeLg2()
    {
        return pageSizeLg2;
    }

    /** T=1 only: whether the shared EPT translated the request (a shared GPA) rather than the S-EPT. */
    public boolean viaSharedEpt()
    {
        return viaSharedEpt;
    }

    /** T=1 through the S-EPT: the last S-EPT entry read (the leaf, or where the walk stopped). */
    public long septEntry()
    {
        return septEntry;
    }

    /** The walk of the last T=1 request (fault, entries read); valid until the next request. */
    public WalkResult walk()
    {
        return walk;
    }

    public WalkFault walkFault()
    {
        return walk.fault();
    }

    public MachineCheckRecord machineCheck()
    {
        return machineCheck;
    }

    public static String statusName(final int status)
    {
        switch (status)
        {
            case OK: return "OK";
            case READ_ZEROS: return "READ_ZEROS";
            case WRITE_POISONED: return "WRITE_POISONED";
            case MACHINE_CHECK: return "MACHINE_CHECK";
            case REFUSED_NO_TDI: return "REFUSED_NO_TDI";
            case REFUSED_TDI_NOT_RUN: return "REFUSED_TDI_NOT_RUN";
            case REFUSED_NOT_MAPPED: return "REFUSED_NOT_MAPPED";
            case REFUSED_BLOCKED: return "REFUSED_BLOCKED";
            case REFUSED_PENDING: return "REFUSED_PENDING";
            case REFUSED_PERMISSION: return "REFUSED_PERMISSION";
            case REFUSED_PRIVATE_T0: return "REFUSED_PRIVATE_T0";
            case REFUSED_PRIVATE_MMIO_T0: return "REFUSED_PRIVATE_MMIO_T0";
            case REFUSED_TD_KEYS_NOT_CONFIGURED: return "REFUSED_TD_KEYS_NOT_CONFIGURED";
            default: return "UNKNOWN(" + status + ")";
        }
    }

    public String toString()
    {
        return "DmaOutcome{" + statusName(status) + ", oa=0x" + Long.toHexString(outputAddress) + ", sizeLg2=" + pageSizeLg2 +
            (viaSharedEpt ? ", shared" : "") + ", " + machineCheck + "}";
    }
}
