package org.iommuemu.tdx;

import java.util.Arrays;

import org.iommuemu.pagetable.PageTable;

/**
 * One TD as the TDX module sees it: its TDR page, GPA width and shared bit, the Secure EPT root (written
 * only by the module), the shared EPT (an ordinary EPT {@link PageTable} the VMM owns), its TLB-tracking
 * epoch and its life-cycle flags.
 * <p>
 * TLB tracking follows the module's scheme: a vCPU entering the TD counts in the epoch it entered; TDH.MEM.TRACK
 * advances the epoch only when no vCPU of the previous epoch still runs; a mapping blocked in epoch b may be
 * removed or unblocked once the epoch is past b + 1, or is b + 1 with no vCPU of epoch b left.
 */
public final class TrustDomain
{
    /** TD_PARAMS.config_flags MAX_GPAW = 0: shared bit GPA[47], 4-level S-EPT. */
    public static final int GPAW_48 = 48;
    /** MAX_GPAW = 1: shared bit GPA[51], 5-level S-EPT. */
    public static final int GPAW_52 = 52;

    private static final long NOT_RUNNING = -1;

    final int id;
    final long tdr;
    final int gpaWidth;
    final long sharedBit;
    final SecureEptFormat format;
    final long septRoot;
    final PageTable sharedEpt;
    final long[] vcpuEpoch;
    final int[] epochRefCount = new int[2];
    long epoch;
    boolean finalized;
    /** Where the TD is in the module's key life cycle (TDR.LIFECYCLE_STATE from TDH.MNG.KEY.CONFIG on). */
    Lifecycle lifecycle = Lifecycle.KEYS_CONFIGURED;
    /** Blocked by VPFLUSHDONE, and its cache lines not yet written back by TDH.PHYMEM.CACHE.WB (the KOT's WBINVD bitmap). */
    boolean cacheWritebackPending;
    long ownedFrames;

    /**
     * The module's TD life cycle from key configuration to teardown (TDR.LIFECYCLE_STATE; intel/tdx-module 1.5):
     * TDH.MNG.VPFLUSHDONE moves KEYS_CONFIGURED to BLOCKED, TDH.MNG.KEY.FREEID (after TDH.PHYMEM.CACHE.WB) BLOCKED to
     * TEARDOWN, where TDH.PHYMEM.PAGE.RECLAIM gives the TD's pages back.
     */
    public enum Lifecycle
    {
        /** The TD runs: its keys are configured (TD_KEYS_CONFIGURED). */
        KEYS_CONFIGURED,
        /** VPFLUSHDONE was done: no vCPU may run, the memory SEAMCALLs answer TD_KEYS_NOT_CONFIGURED (TD_BLOCKED). */
        BLOCKED,
        /** KEY.FREEID was done: the HKID is free, only RECLAIM applies (TD_TEARDOWN). */
        TEARDOWN
    }

    TrustDomain(final int id, final long tdr, final int gpaWidth, final SecureEptFormat format, final long septRoot,
        final PageTable sharedEpt, final int maxVcpus)
    {
        this.id = id;
        this.tdr = tdr;
        this.gpaWidth = gpaWidth;
        this.sharedBit = 1L << (gpaWidth - 1);
        this.format = format;
        this.septRoot = septRoot;
        this.sharedEpt = sharedEpt;
        this.vcpuEpoch = new long[maxVcpus];
        Arrays.fill(vcpuEpoch, NOT_RUNNING);
    }

    public int id()
    {
        return id;
    }

    /** Physical address of the TDR page: how SEAMCALLs name the TD (RDX). */
    public long tdr()
    {
        return tdr;
    }

    public int gpaWidth()
    {
        return gpaWidth;
    }

    /** GPA[47] or GPA[51]. */
    public long sharedBit()
    {
        return sharedBit;
    }

    public boolean isShared(final long gpa)
    {
        return (gpa & sharedBit) != 0;
    }

    /** Whether {@code gpa} lies inside the TD's GPA width. */
    public boolean isValidGpa(final long gpa)
    {
        return (gpa >>> gpaWidth) == 0;
    }

    public SecureEptFormat septFormat()
    {
        return format;
    }

    /** Physical address of the S-EPT root page. */
    public long septRoot()
    {
        return septRoot;
    }

    /** The VMM-owned shared EPT (GPAs with the shared bit set, indexed by the full GPA as KVM does). */
    public PageTable sharedEpt()
    {
        return sharedEpt;
    }

    public long epoch()
    {
        return epoch;
    }

    public boolean isFinalized()
    {
        return finalized;
    }

    /** Whether TDH.MNG.KEY.FREEID freed the TD's HKID (its pages may be reclaimed). */
    public boolean isKeyFreed()
    {
        return lifecycle == Lifecycle.TEARDOWN;
    }

    public Lifecycle lifecycle()
    {
        return lifecycle;
    }

    /** Frames the PAMT records as owned by this TD (TDR, S-EPT, private pages, private MMIO). */
    public long ownedFrames()
    {
        return ownedFrames;
    }

    public int maxVcpus()
    {
        return vcpuEpoch.length;
    }

    public boolean isRunning(final int vcpu)
    {
        return vcpuEpoch[vcpu] != NOT_RUNNING;
    }

    /**
     * TDH.VP.ENTER: the vCPU runs, counted in the current epoch. Entering a running vCPU, or a TD past VPFLUSHDONE, is a
     * caller bug.
     */
    public void vcpuEnter(final int vcpu)
    {
        if (lifecycle != Lifecycle.KEYS_CONFIGURED)
        {
            throw new IllegalStateException("TD " + id + " is " + lifecycle + ": no vCPU enters it after TDH.MNG.VPFLUSHDONE");
        }
        if (vcpuEpoch[vcpu] != NOT_RUNNING)
        {
            throw new IllegalStateException("vCPU " + vcpu + " of TD " + id + " is already running");
        }
        vcpuEpoch[vcpu] = epoch;
        epochRefCount[(int)(epoch & 1)]++;
    }

    /** A TD exit: the vCPU leaves the TD (its TLB entries for blocked mappings are gone). */
    public void vcpuExit(final int vcpu)
    {
        final long entered = vcpuEpoch[vcpu];
        if (entered == NOT_RUNNING)
        {
            throw new IllegalStateException("vCPU " + vcpu + " of TD " + id + " is not running");
        }
        epochRefCount[(int)(entered & 1)]--;
        vcpuEpoch[vcpu] = NOT_RUNNING;
    }

    boolean anyVcpuRunning()
    {
        return epochRefCount[0] + epochRefCount[1] != 0;
    }

    /** TDH.MEM.TRACK: false when a vCPU of the previous epoch still runs. */
    boolean advanceEpoch()
    {
        if (epochRefCount[(int)((epoch - 1) & 1)] != 0)
        {
            return false;
        }
        epoch++;
        return true;
    }

    /** Whether TLB tracking is complete for a mapping blocked in {@code blockEpoch}. */
    boolean trackingDone(final long blockEpoch)
    {
        return epoch > blockEpoch + 1 || (epoch == blockEpoch + 1 && epochRefCount[(int)(blockEpoch & 1)] == 0);
    }

    public String toString()
    {
        return "TrustDomain{id=" + id + ", tdr=0x" + Long.toHexString(tdr) + ", gpaw=" + gpaWidth + ", epoch=" + epoch + "}";
    }
}
