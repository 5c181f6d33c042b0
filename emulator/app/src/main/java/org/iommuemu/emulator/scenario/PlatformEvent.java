package org.iommuemu.emulator.scenario;

import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.TdispState;

/**
 * Something architectural that happened on the platform outside the DMA stream, as data: a TDI's TDISP transition,
 * a machine check at bind or at a TD's access, a refused SEAMCALL, KVM write-protecting its EPT. The platform
 * records events ({@link Platform#events()}); the report decides how to print them (the replay package's
 * {@code PlatformEventText}), and machine-readable outputs carry the fields. Every event knows where in the traffic
 * it happened: {@link #beforeTlp()} is the index of the TLP it came before, or {@link #SETUP} when it happened while
 * the platform was built.
 */
public sealed interface PlatformEvent
{
    /** {@link #beforeTlp()} of an event of the platform's setup, before any traffic. */
    long SETUP = -1;

    /** The index of the TLP the event came before, or {@link #SETUP}. */
    long beforeTlp();

    /** Whether the event is a machine check (counted in the summary's one machine-check count). */
    default boolean machineCheck()
    {
        return false;
    }

    <R> R accept(Visitor<R> visitor);

    /** One method per kind of event: the report's printer and any other consumer dispatch through it. */
    interface Visitor<R>
    {
        R bindMachineCheck(TdiBindMachineCheck event);

        R bindRefused(TdiBindRefused event);

        R bound(TdiBound event);

        R transition(TdiTransition event);

        R mmioMapped(MmioMapped event);

        R mmioMapRefused(MmioMapRefused event);

        R tdAccess(TdAccess event);

        R kvmDirtyLog(KvmDirtyLog event);

        R tioStep(TioStep event);

        R guestRmpInstruction(GuestRmpInstruction event);

        R pageStateChange(PageStateChange event);

        R tdConversion(TdConversion event);
        R seamcall(Seamcall event);

        R dirtyTracking(DirtyTracking event);

        R dirtyBitmap(DirtyBitmap event);

        R pageRequestOverflow(PageRequestOverflow event);
    }

    /**
     * LOCK_INTERFACE found private MMIO still reachable: a machine check, the TDI goes to ERROR.
     *
     * @param cause     the {@code MachineCheckRecord} cause code.
     * @param causeName its name.
     * @param cached    whether a cached IOMMU translation (not a table) still reached it.
     * @param address   the first private MMIO address still reachable.
     */
    record TdiBindMachineCheck(long beforeTlp, int requesterId, int cause, String causeName, boolean cached, long address)
        implements PlatformEvent
    {
        @Override
        public boolean machineCheck()
        {
            return true;
        }

        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.bindMachineCheck(this);
        }
    }

    /**
     * LOCK_INTERFACE refused without a machine check; {@code staleAddress} is the private MMIO address a cached
     * translation still reaches when the status is {@link TdiStatus#STALE_TRANSLATION}, else -1.
     */
    record TdiBindRefused(long beforeTlp, int requesterId, TdiStatus status, long staleAddress) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.bindRefused(this);
        }
    }

    /** LOCK_INTERFACE succeeded: the TDI is bound, CONFIG_LOCKED. */
    record TdiBound(long beforeTlp, int requesterId) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.bound(this);
        }
    }

    /** A TDISP operation other than bind ({@code operation}: start, stop, unbind) with its status and the TDI's state after it. */
    record TdiTransition(long beforeTlp, int requesterId, String operation, TdiStatus status, TdispState state)
        implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.transition(this);
        }
    }

    /** TDH.MMIO.MAP and the TD's accept mapped a TDI's private MMIO into the S-EPT. */
    record MmioMapped(long beforeTlp, int requesterId, long hpa, long gpa, long size) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.mmioMapped(this);
        }
    }

    /** TDH.MMIO.MAP refused one page: the SEAMCALL's status (with operand), RCX and RDX, and the TDI's state. */
    record MmioMapRefused(long beforeTlp, int requesterId, long gpa, long hpa, long status, long rcx, long rdx, TdispState tdiState)
        implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.mmioMapRefused(this);
        }
    }

    /**
     * The TD's own read or write through its EPTs ({@code td-read}, {@code td-write}).
     *
     * @param result       what happened: one of the {@link TdAccessResult}s.
     * @param address      the host physical address reached (the machine check's address for a machine check).
     * @param walkFault    the EPT violation's walk fault, {@link WalkFault#NONE} otherwise.
     * @param cause        the machine check's cause code, 0 otherwise.
     * @param causeName    its name, empty otherwise.
     */
    record TdAccess(long beforeTlp, int td, boolean write, long gpa, int size, TdAccessResult result, long address,
        WalkFault walkFault, int cause, String causeName) implements PlatformEvent
    {
        @Override
        public boolean machineCheck()
        {
            return result == TdAccessResult.MACHINE_CHECK;
        }

        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.tdAccess(this);
        }
    }

    /** What a TD's own access did. */
    enum TdAccessResult
    {
        /** Done. */
        OK,
        /** A shared-KeyID read of private memory: zeros. */
        ZEROS,
        /** The EPTs do not map it: nothing accessed. */
        EPT_VIOLATION,
        /** Poison consumed: a machine check. */
        MACHINE_CHECK,
        /** The TD is past TDH.MNG.VPFLUSHDONE: no vCPU of it runs, nothing accessed. */
        NO_VCPU
    }

    /**
     * KVM started dirty logging on a domain's guest memory and write-protected {@code leaves} EPT leaves: the IOMMU's
     * own table when {@code sharedWithIommu} (device writes now fault), else KVM's separate EPT.
     */
    record KvmDirtyLog(long beforeTlp, int domain, int leaves, boolean sharedWithIommu) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.kvmDirtyLog(this);
        }
    }

    /**
     * SEV-TIO: one command of the secure processor on a device's TDI, or the guest's request
     * ({@code guestRequest}: TIO_GUEST_REQUEST carrying TIO_MSG_SDTE_WRITE), and its status.
     *
     * @param command the command code ({@code sevtio.TioCommand}).
     * @param status  the command's status ({@code sevtio.TioStatus}; for a guest request the SDTE_WRITE status; for
     *                TIO_ASID_FENCE_STATUS the fence status, 1 fenced).
     * @param state   the TDI's TDISP state after it (null: no TDI).
     */
    record TioStep(long beforeTlp, int requesterId, int command, boolean guestRequest, int status, TdispState state)
        implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.tioStep(this);
        }
    }

    /** The SEV-SNP RMP instructions a timeline step runs. */
    enum RmpInstruction
    {
        /** The guest's PVALIDATE. */
        PVALIDATE,
        /** The hypervisor's PSMASH (of a 2 MiB entry). */
        PSMASH,
        /** The hypervisor's RMPUPDATE. */
        RMPUPDATE
    }

    /**
     * SEV-SNP: an RMP instruction a {@code pvalidate} or {@code psmash} action ran, and its outcome.
     *
     * @param validate    PVALIDATE: validate (true) or rescind.
     * @param result      the {@code GuestRmpResult} kind for PVALIDATE (OK, NPF, #VC, #GP), OK for the host's.
     * @param returnCode  EAX (an {@code RmpReturnCode}) when the instruction completed.
     * @param exitInfo1   the #NPF EXITINFO1 bits when it took one.
     * @param retry       the guest's (or hypervisor's) retry of an earlier step (after PSMASH on SIZEM, or per 4 KiB
     *                    after FAIL_SIZEMISMATCH).
     */
    record GuestRmpInstruction(long beforeTlp, int asid, RmpInstruction instruction, long gpa, long spa, int pageSizeLg2,
        boolean validate, int result, int returnCode, long exitInfo1, boolean retry) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.guestRmpInstruction(this);
        }
    }

    /**
     * SEV-SNP: a guest's page-state change through the GHCB ({@code page-state-change}) and what it took: the
     * hypervisor's RMPUPDATEs and PSMASHes, the guest's PVALIDATEs, and the VMM's IOMMU unmaps, maps and invalidations
     * (pages of 4 KiB) when its DMA mapping follows conversions.
     *
     * @param completed whether every page converted (false: the first page that failed stopped it; see
     *                  {@code failedGpa} and the RMP return code or #NPF bits).
     */
    record PageStateChange(long beforeTlp, int asid, long gpa, long size, boolean toPrivate, int rmpUpdates, int psmashes,
        int pvalidates, long iommuPagesUnmapped, long iommuPagesMapped, int invalidations, boolean completed, long failedGpa,
        int failedReturnCode, long failedExitInfo1) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.pageStateChange(this);
        }
    }

    /**
     * A SEAMCALL the timeline made ({@code seamcall} action) and what the TDX module answered.
     *
     * @param call        the call.
     * @param gpa         the GPA operand (0 for the calls that take none: {@link Scenario.SeamcallCall#takesNoGpa}).
     * @param level       the level operand: 0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB (-1 for the calls that take no GPA).
     * @param page        RECLAIM's page, or {@link Scenario.SeamcallAction#EVERY_PAGE} (every page of the TD); 0 otherwise.
     * @param status      RAX: TDX_SUCCESS (0) or the error code with its operand ID.
     * @param rcx         RCX returned (the offending entry, the new epoch, a removed or freed page, a page type).
     * @param rdx         RDX returned (level and state of the offending entry, a page's owner).
     * @param trustedIotlbDropped trusted (TEE-tagged) IOTLB entries the module's invalidation removed during the call.
     */
    record Seamcall(long beforeTlp, Scenario.SeamcallCall call, int td, long gpa, int level, long page, long status, long rcx,
        long rdx, int trustedIotlbDropped) implements PlatformEvent
    {
        /** The module's name of the call (TDH.MEM.RANGE.BLOCK, ..., TDG.MEM.PAGE.ACCEPT). */
        public String leaf()
        {
            return call.leafName();
        }

        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.seamcall(this);
        }
    }

    /**
     * TDX: a TD's in-place conversion ({@code td-convert}) and what it took: SEAMCALLs (SEPT.ADD, PAGE.AUG, the TD's
     * ACCEPT; or BLOCK, TRACK, PAGE.REMOVE), and the VMM's IOMMU unmaps, maps and invalidations (pages of 4 KiB) when its
     * DMA mapping follows conversions.
     *
     * @param failedStatus the SEAMCALL status that stopped it ({@code TdxStatus}), when not {@code completed}.
     */
    record TdConversion(long beforeTlp, int td, long gpa, long size, boolean toPrivate, int seamcalls, long iommuPagesUnmapped,
        long iommuPagesMapped, int invalidations, boolean completed, long failedGpa, long failedStatus) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.tdConversion(this);
        }
    }

    /**
     * Hardware dirty tracking of a domain turned on or off ({@code set-dirty-tracking}).
     *
     * @param entriesRewritten  the entries rewritten, each with its invalidations: AMD-Vi device table entries (DTE.HAD),
     *                          VT-d PASID entries (SSADE).
     * @param staleDirtyBytes   enabling: bytes whose D bits were left from before and cleared.
     * @param amdvi             whether the entries are AMD-Vi DTEs (else VT-d PASID entries).
     */
    record DirtyTracking(long beforeTlp, int domain, boolean enabled, boolean accessOnly, int entriesRewritten, long staleDirtyBytes,
        boolean amdvi)
        implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.dirtyTracking(this);
        }
    }

    /**
     * iommufd's GET_DIRTY_BITMAP over {@code [iova, iova + length)} of a domain ({@code read-dirty}).
     *
     * @param dirtyLeaves   leaves found dirty (a whole leaf is dirty at once: 2 MiB leaves report 2 MiB).
     * @param dirtyBytes    bytes of the range they cover (the bitmap's 4 KiB pages set, times 4096).
     * @param trackingOn    whether the domain's dirty tracking was on (off: only D bits left from before show).
     * @param cleared       whether the D bits were cleared (not iommufd's NO_CLEAR).
     * @param flushed       whether the IOTLB flush followed the clear.
     */
    record DirtyBitmap(long beforeTlp, int domain, long iova, long length, long dirtyLeaves, long dirtyBytes, boolean trackingOn,
        boolean cleared, boolean flushed) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.dirtyBitmap(this);
        }
    }

    /**
     * The page request queue overflowed (PRS.PRO set: requests it cannot take are answered by the hardware or dropped),
     * or, {@code set} false, software cleared the overflow after emptying the queue.
     */
    record PageRequestOverflow(long beforeTlp, boolean set) implements PlatformEvent
    {
        @Override
        public <R> R accept(final Visitor<R> visitor)
        {
            return visitor.pageRequestOverflow(this);
        }
    }
}
