package org.iommuemu.tdx;

import java.util.Arrays;

import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.EptFormat;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;

import static org.iommuemu.tdx.SecureEptEntry.INIT_VALUE;

/**
 * The TDX module's memory management: TDs, the Secure EPT, the PAMT and the memory SEAMCALLs with their
 * state machine and completion codes (shared/reference/vtd-tdx.md 5).
 * <p>
 * Every SEAMCALL fills a caller-owned {@link SeamcallResult}: RAX status, and RCX/RDX (on an S-EPT failure
 * the offending entry and its level_state, reference 8). Architectural failures are statuses, never
 * exceptions; only caller bugs (an unknown vCPU, a null result) throw.
 * <p>
 * The S-EPT pages are the VMM's pages given in R8 (SEPT.ADD, DEMOTE), as the module does; each SEAMCALL finds
 * its entry with the generic {@link Walker} (which records every entry it reads) and writes entries built by
 * {@link SecureEptFormat}. The {@link PageTable} mapper cannot be used for the SEAMCALLs because it draws
 * table pages from its own {@code FrameAllocator} (see docs/tdx.md). Not thread-safe: concurrency (another
 * logical processor inside a SEAMCALL) is modelled with {@link #holdHostLock}.
 * <p>
 * Documented choices on UNVERIFIED points are in docs/tdx.md; the main ones are noted at each method.
 */
public final class TdxModule
{
    private static final int FRAME_LG2 = PhysicalMemory.FRAME_SIZE_LG2;
    private static final int ENTRIES_PER_PAGE = 512;
    private static final long MAPPED_ATTRIBUTES = SecureEptEntry.STATE_MAPPED |
        SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_WB) | SecureEptEntry.RWX | SecureEptEntry.SVE;
    private static final long PENDING_ATTRIBUTES = SecureEptEntry.STATE_PENDING |
        SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_WB);
    private static final long MMIO_PERMISSIONS = SecureEptEntry.R | SecureEptEntry.W;

    /** {@link #tdAccess}: the access completed. */
    public static final int TD_ACCESS_OK = 0;
    /** {@link #tdAccess}: the EPTs do not allow it (an EPT violation, or a #VE for a pending page); no data moved. */
    public static final int TD_ACCESS_EPT_VIOLATION = 1;
    /** {@link #tdAccess}: the access raised a machine check; the record says where and why. */
    public static final int TD_ACCESS_MACHINE_CHECK = 2;
    /** {@link #tdAccess}: a read through the shared EPT of private memory, answered with zeros ({@link HostReadMode}). */
    public static final int TD_ACCESS_READ_ZEROS = 3;
    /** {@link #tdAccess}: the TD is past TDH.MNG.VPFLUSHDONE, so no vCPU of it runs; nothing accessed. */
    public static final int TD_ACCESS_NO_VCPU = 4;

    private final PhysicalMemory memory;
    private final Pamt pamt = new Pamt();
    private final MemoryIntegrity integrity;
    private final Long2ObjectHashMap<TrustDomain> domainsByTdr = new Long2ObjectHashMap<>();
    private final SecureEptFormat sept4 = new SecureEptFormat(4);
    private final SecureEptFormat sept5 = new SecureEptFormat(5);
    private final WalkResult walk = new WalkResult();
    /** Told of BLOCK and TRACK (an array: SEAMCALLs iterate it without an iterator). */
    private TlbTrackingListener[] trackingListeners = new TlbTrackingListener[0];
    private final UnsafeBuffer pageBuffer = new UnsafeBuffer(new byte[PhysicalMemory.FRAME_SIZE]);
    private int nextTdId = 1;
    private boolean relocateUnblocks = true;

    // Scratch of the SEAMCALL in progress (the module is single-threaded).
    private long opGpa;
    private int opLevel;
    private long entryAddress;
    private long entry;

    public TdxModule(final PhysicalMemory memory, final HostReadMode hostReadMode)
    {
        this.memory = memory;
        this.integrity = new MemoryIntegrity(pamt, hostReadMode);
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    public Pamt pamt()
    {
        return pamt;
    }

    public MemoryIntegrity integrity()
    {
        return integrity;
    }

    /**
     * Tell {@code listener} of every successful TDH.MEM.RANGE.BLOCK and TDH.MEM.TRACK from now on (an IOMMU whose
     * trusted IOTLB caches S-EPT translations: see {@link TlbTrackingListener}). Call during setup.
     */
    public void addTrackingListener(final TlbTrackingListener listener)
    {
        for (final TlbTrackingListener existing : trackingListeners)
        {
            if (existing == listener)
            {
                throw new IllegalArgumentException("tracking listener registered already: " + listener);
            }
        }
        final TlbTrackingListener[] grown = Arrays.copyOf(trackingListeners, trackingListeners.length + 1);
        grown[trackingListeners.length] = listener;
        trackingListeners = grown;
    }

    /** The TD whose TDR page is at {@code tdr}, or null. */
    public TrustDomain td(final long tdr)
    {
        return domainsByTdr.get(tdr);
    }

    // ------------------------------------------------------------------------------------------------------
    // TD life cycle (TDH.MNG.CREATE/ADDCX/INIT in one step; TDH.MR.FINALIZE; teardown: TDH.MNG.VPFLUSHDONE,
    // TDH.PHYMEM.CACHE.WB, TDH.MNG.KEY.FREEID, TDH.PHYMEM.PAGE.RECLAIM).

    /**
     * Create a TD: the TDR page and the S-EPT root page become the TD's (both must be host pages), the root
     * is filled with FREE entries, and the shared EPT is a fresh {@link EptFormat} domain from the VMM's
     * allocator. On success {@link #td(long)} finds it.
     *
     * @param gpaWidth {@link TrustDomain#GPAW_48} (4-level S-EPT) or {@link TrustDomain#GPAW_52} (5-level).
     */
    public SeamcallResult createTd(final long tdr, final long septRoot, final int gpaWidth, final int maxVcpus,
        final FrameAllocator sharedEptAllocator, final SeamcallResult out)
    {
        if (gpaWidth != TrustDomain.GPAW_48 && gpaWidth != TrustDomain.GPAW_52)
        {
            throw new IllegalArgumentException("GPA width is 48 or 52, not " + gpaWidth);
        }
        if (!isPageAddress(tdr) || !pamt.allHostOwned(tdr, FRAME_LG2) || domainsByTdr.containsKey(tdr))
        {
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_METADATA_INCORRECT, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        if (!isPageAddress(septRoot) || septRoot == tdr || !pamt.allHostOwned(septRoot, FRAME_LG2))
        {
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_METADATA_INCORRECT, TdxStatus.OPERAND_ID_RDX), 0, 0);
        }
        final int levels = gpaWidth == TrustDomain.GPAW_48 ? 4 : 5;
        final PageTable sharedEpt = new PageTable(new EptFormat(levels), sharedEptAllocator);
        final TrustDomain td = new TrustDomain(nextTdId++, tdr, gpaWidth, levels == 4 ? sept4 : sept5, septRoot, sharedEpt, maxVcpus);
        memory.writeEntries(septRoot, ENTRIES_PER_PAGE, INIT_VALUE, 0);
        assign(td, tdr, FRAME_LG2, Pamt.PT_TDR);
        assign(td, septRoot, FRAME_LG2, Pamt.PT_SEPT);
        integrity.clear(tdr, PhysicalMemory.FRAME_SIZE);
        integrity.clear(septRoot, PhysicalMemory.FRAME_SIZE);
        domainsByTdr.put(tdr, td);
        return success(out, 0, 0);
    }

    /**
     * TDH.MR.FINALIZE (RCX = TDR): ends the build phase (PAGE.ADD); a second one is OP_STATE_INCORRECT, one after
     * VPFLUSHDONE TD_KEYS_NOT_CONFIGURED (the module checks the TD's build state before its operation state).
     */
    public SeamcallResult finalizeTd(final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = tdIn(tdr, TdxStatus.OPERAND_ID_RCX, TrustDomain.Lifecycle.KEYS_CONFIGURED,
            TdxStatus.TD_KEYS_NOT_CONFIGURED, out);
        if (td == null)
        {
            return out;
        }
        if (td.finalized)
        {
            return out.set(TdxStatus.OP_STATE_INCORRECT, 0, 0);
        }
        td.finalized = true;
        return success(out, 0, 0);
    }

    /**
     * TDH.MNG.VPFLUSHDONE (RCX = TDR), the first step of teardown as the module's tdh_mng_vpflushdone takes it: the TD
     * becomes BLOCKED (no vCPU may enter, the memory SEAMCALLs answer TD_KEYS_NOT_CONFIGURED) and its HKID waits for
     * TDH.PHYMEM.CACHE.WB. A second one, or one after FREEID, is LIFECYCLE_STATE_INCORRECT; while a vCPU is associated
     * FLUSHVP_NOT_DONE (the module counts vCPUs associated with a logical processor until TDH.VP.FLUSH; the model
     * has no TDH.VP.FLUSH and counts the running ones).
     */
    public SeamcallResult vpFlushDone(final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = tdIn(tdr, TdxStatus.OPERAND_ID_RCX, TrustDomain.Lifecycle.KEYS_CONFIGURED,
            TdxStatus.LIFECYCLE_STATE_INCORRECT, out);
        if (td == null)
        {
            return out;
        }
        if (td.anyVcpuRunning())
        {
            return out.set(TdxStatus.FLUSHVP_NOT_DONE, 0, 0);
        }
        td.lifecycle = TrustDomain.Lifecycle.BLOCKED;
        td.cacheWritebackPending = true;
        return success(out, 0, 0);
    }

    /**
     * TDH.PHYMEM.CACHE.WB (RCX = 0 start, 1 resume), as tdh_phymem_cache_wb: writes back the cache lines of every HKID
     * that VPFLUSHDONE flushed, which FREEID then needs. The model has one package and is never interrupted, so a
     * start completes at once; with no such HKID it answers NO_HKID_READY_TO_WBCACHE (not an error); a resume finds no
     * interrupted write-back (WBCACHE_RESUME_ERROR); any other RCX is OPERAND_INVALID | RCX.
     */
    public SeamcallResult cacheWriteback(final long command, final SeamcallResult out)
    {
        if (command == SeamcallLeaf.CACHE_WB_RESUME)
        {
            return out.set(TdxStatus.WBCACHE_RESUME_ERROR, 0, 0);
        }
        if (command != SeamcallLeaf.CACHE_WB_START)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        boolean any = false;
        for (final TrustDomain td : domainsByTdr.values())
        {
            if (td.lifecycle == TrustDomain.Lifecycle.BLOCKED)
            {
                td.cacheWritebackPending = false;
                any = true;
            }
        }
        return out.set(any ? TdxStatus.SUCCESS : TdxStatus.NO_HKID_READY_TO_WBCACHE, 0, 0);
    }

    /**
     * TDH.MNG.KEY.FREEID (RCX = TDR), as tdh_mng_key_freeid: a BLOCKED TD whose cache lines were written back becomes
     * TEARDOWN (its HKID is free; afterwards only RECLAIM applies to its pages). Before VPFLUSHDONE, or twice,
     * LIFECYCLE_STATE_INCORRECT; before TDH.PHYMEM.CACHE.WB, WBCACHE_NOT_COMPLETE.
     */
    public SeamcallResult freeKeyId(final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = tdIn(tdr, TdxStatus.OPERAND_ID_RCX, TrustDomain.Lifecycle.BLOCKED, TdxStatus.LIFECYCLE_STATE_INCORRECT,
            out);
        if (td == null)
        {
            return out;
        }
        if (td.cacheWritebackPending)
        {
            return out.set(TdxStatus.WBCACHE_NOT_COMPLETE, 0, 0);
        }
        td.lifecycle = TrustDomain.Lifecycle.TEARDOWN;
        return success(out, 0, 0);
    }

    /**
     * UNVERIFIED switch of {@link #pageRelocate}: true (default) leaves the relocated leaf MAPPED; false leaves it
     * BLOCKED over the new page, for the VMM's TDH.MEM.RANGE.UNBLOCK (docs/tdx.md).
     */
    public void relocateUnblocks(final boolean unblocks)
    {
        this.relocateUnblocks = unblocks;
    }

    public boolean relocateUnblocks()
    {
        return relocateUnblocks;
    }

    // ------------------------------------------------------------------------------------------------------
    // The register-level entry point.

    /**
     * Execute a SEAMCALL from its registers: RAX = leaf | version, RCX = GPA | level (or the page for
     * RECLAIM, or the TDR for TDH.MEM.TRACK, as the module's tdh_mem_track reads it), RDX = TDR, R8 = page, R9 = source
     * page. An unknown leaf gives TDX_OPERAND_INVALID on RAX.
     */
    public SeamcallResult seamcall(final long rax, final long rcx, final long rdx, final long r8, final long r9,
        final SeamcallResult out)
    {
        switch (SeamcallLeaf.leaf(rax))
        {
            case SeamcallLeaf.TDH_MEM_PAGE_ADD: return pageAdd(rcx, rdx, r8, r9, out);
            case SeamcallLeaf.TDH_MEM_SEPT_ADD: return septAdd(rcx, rdx, r8, out);
            case SeamcallLeaf.TDH_MEM_PAGE_RELOCATE: return pageRelocate(rcx, rdx, r8, out);
            case SeamcallLeaf.TDH_MEM_PAGE_AUG: return pageAug(rcx, rdx, r8, out);
            case SeamcallLeaf.TDH_MEM_RANGE_BLOCK: return rangeBlock(rcx, rdx, out);
            case SeamcallLeaf.TDH_MEM_PAGE_DEMOTE: return pageDemote(rcx, rdx, r8, out);
            case SeamcallLeaf.TDH_MR_FINALIZE: return finalizeTd(rcx, out);
            case SeamcallLeaf.TDH_MNG_VPFLUSHDONE: return vpFlushDone(rcx, out);
            case SeamcallLeaf.TDH_MNG_KEY_FREEID: return freeKeyId(rcx, out);
            case SeamcallLeaf.TDH_PHYMEM_CACHE_WB: return cacheWriteback(rcx, out);
            case SeamcallLeaf.TDH_MEM_PAGE_PROMOTE: return pagePromote(rcx, rdx, out);
            case SeamcallLeaf.TDH_PHYMEM_PAGE_RECLAIM: return reclaim(rcx, out);
            case SeamcallLeaf.TDH_MEM_PAGE_REMOVE: return pageRemove(rcx, rdx, out);
            case SeamcallLeaf.TDH_MEM_SEPT_REMOVE: return septRemove(rcx, rdx, out);
            case SeamcallLeaf.TDH_MEM_TRACK: return track(rcx, out);
            case SeamcallLeaf.TDH_MEM_RANGE_UNBLOCK: return rangeUnblock(rcx, rdx, out);
            default: return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RAX), 0, 0);
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Memory SEAMCALLs.

    /** TDH.MEM.SEPT.ADD: a FREE entry at level 1.. top becomes NL_MAPPED over the new S-EPT page in R8. */
    public SeamcallResult septAdd(final long pageInfo, final long tdr, final long newPage, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 1, out);
        if (td == null || !locate(td, out))
        {
            return out;
        }
        if (SecureEptEntry.state(entry) != SecureEptEntry.STATE_FREE)
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!hostPage(newPage, FRAME_LG2, TdxStatus.OPERAND_ID_R8, out))
        {
            return out;
        }
        memory.writeEntries(newPage, ENTRIES_PER_PAGE, INIT_VALUE, 0);
        memory.writeEntry(entryAddress, td.format.makeTable(newPage, opLevel));
        assign(td, newPage, FRAME_LG2, Pamt.PT_SEPT);
        integrity.clear(newPage, PhysicalMemory.FRAME_SIZE);
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.PAGE.ADD (build time, before finalize): a FREE 4 KiB entry becomes MAPPED over the page in R8,
     * initialised from the source page in R9. Choice: 4 KiB only; after finalize TDX_OPERAND_INVALID on TDR.
     */
    public SeamcallResult pageAdd(final long pageInfo, final long tdr, final long page, final long source,
        final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 0, out);
        if (td == null)
        {
            return out;
        }
        if (opLevel != PageInfo.LEVEL_4K)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        if (td.finalized)
        {
            return out.set(TdxStatus.OP_STATE_INCORRECT, 0, 0);
        }
        if (!locate(td, out))
        {
            return out;
        }
        if (SecureEptEntry.state(entry) != SecureEptEntry.STATE_FREE)
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!isPageAddress(source))
        {
            // The module's shared_hpa_check_with_pwr_2_alignment of R9, before the new page in R8.
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_R9), 0, 0);
        }
        if (!hostPage(page, FRAME_LG2, TdxStatus.OPERAND_ID_R8, out))
        {
            return out;
        }
        if (pamt.record(source) != 0 || source == page)
        {
            // The model's own check: the module reads any shared-HPA source (with a shared KeyID).
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_METADATA_INCORRECT, TdxStatus.OPERAND_ID_R9), 0, 0);
        }
        memory.read(source, pageBuffer, 0, PhysicalMemory.FRAME_SIZE);
        memory.write(page, pageBuffer, 0, PhysicalMemory.FRAME_SIZE);
        memory.writeEntry(entryAddress, td.format.makeLeaf(page, FRAME_LG2, 0, MAPPED_ATTRIBUTES));
        assign(td, page, FRAME_LG2, Pamt.PT_REG);
        integrity.clear(page, PhysicalMemory.FRAME_SIZE);
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.PAGE.AUG (before or after finalize): a FREE entry at level 0 (4 KiB) or 1 (2 MiB) becomes
     * PENDING over the zeroed page(s) in R8. Pending leaves carry R/W/X = 0 and SVE = 0 until the guest
     * accepts them (choice).
     */
    public SeamcallResult pageAug(final long pageInfo, final long tdr, final long page, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 0, out);
        if (td == null)
        {
            return out;
        }
        if (opLevel > PageInfo.LEVEL_2M)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        final int sizeLg2 = PageInfo.sizeLg2(opLevel);
        if (!locate(td, out))
        {
            return out;
        }
        if (!SecureEptEntry.isFree(entry))
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!hostPage(page, sizeLg2, TdxStatus.OPERAND_ID_R8, out))
        {
            return out;
        }
        memory.zero(page, 1L << sizeLg2);
        memory.writeEntry(entryAddress, td.format.makeLeaf(page, sizeLg2, opLevel, PENDING_ATTRIBUTES));
        assign(td, page, sizeLg2, Pamt.PT_REG);
        integrity.clear(page, 1L << sizeLg2);
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.RANGE.BLOCK: MAPPED/BLOCKEDW to BLOCKED, PENDING/PENDING_BLOCKEDW to PENDING_BLOCKED, NL_MAPPED
     * to NL_BLOCKED, MMIO_MAPPED to MMIO_BLOCKED; R/W/X cleared; the current TLB epoch is recorded (BEPOCH).
     * Tracking listeners are told of the blocked range.
     */
    public SeamcallResult rangeBlock(final long pageInfo, final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 0, out);
        if (td == null || !locate(td, out))
        {
            return out;
        }
        final long state = SecureEptEntry.state(entry);
        final long newState;
        if (state == SecureEptEntry.STATE_MAPPED || state == SecureEptEntry.STATE_BLOCKEDW)
        {
            newState = SecureEptEntry.STATE_BLOCKED;
        }
        else if (state == SecureEptEntry.STATE_PENDING || state == SecureEptEntry.STATE_PENDING_BLOCKEDW)
        {
            newState = SecureEptEntry.STATE_PENDING_BLOCKED;
        }
        else if (state == SecureEptEntry.STATE_NL_MAPPED && (entry & SecureEptEntry.RWX) != 0)
        {
            newState = SecureEptEntry.STATE_NL_BLOCKED;
        }
        else if (state == SecureEptEntry.STATE_MMIO_MAPPED)
        {
            newState = SecureEptEntry.STATE_MMIO_BLOCKED;
        }
        else
        {
            // Blocked already: a warning (bit 63 clear) and nothing changes, as the module's tdh_mem_range_block has it.
            return septError(SecureEptEntry.isBlocked(entry) ? TdxStatus.GPA_RANGE_ALREADY_BLOCKED : TdxStatus.EPT_ENTRY_STATE_INCORRECT,
                out);
        }
        memory.writeEntry(entryAddress, SecureEptEntry.withState(entry, newState) & ~SecureEptEntry.RWX);
        pamt.blockEpoch(SecureEptEntry.hpa(entry), td.epoch);
        final int sizeLg2 = PageInfo.sizeLg2(opLevel);
        for (final TlbTrackingListener listener : trackingListeners)
        {
            listener.blocked(td, opGpa, sizeLg2);
        }
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.TRACK: advance the TD's TLB epoch. TDX_PREVIOUS_TLB_EPOCH_BUSY (no operand, RCX untouched) while a vCPU
     * that entered in the previous epoch still runs. On success the tracking listeners are told: this is where the
     * module invalidates its trusted IOMMU entries of the TD (docs/tdx.md, "TLB tracking and trusted IOMMU caches").
     */
    public SeamcallResult track(final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = tdIn(tdr, TdxStatus.OPERAND_ID_RCX, TrustDomain.Lifecycle.KEYS_CONFIGURED,
            TdxStatus.TD_KEYS_NOT_CONFIGURED, out);
        if (td == null)
        {
            return out;
        }
        if (!td.advanceEpoch())
        {
            return out.set(TdxStatus.PREVIOUS_TLB_EPOCH_BUSY, 0, 0);
        }
        for (final TlbTrackingListener listener : trackingListeners)
        {
            listener.tracked(td, td.epoch);
        }
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.RANGE.UNBLOCK: BLOCKED to MAPPED (R/W/X restored: the module maps private memory RWX),
     * PENDING_BLOCKED to PENDING, NL_BLOCKED to NL_MAPPED, MMIO_BLOCKED to MMIO_MAPPED (RW). Needs TLB tracking
     * done for the block, else TDX_TLB_TRACKING_NOT_DONE.
     */
    public SeamcallResult rangeUnblock(final long pageInfo, final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 0, out);
        if (td == null || !locate(td, out))
        {
            return out;
        }
        final long state = SecureEptEntry.state(entry);
        final long restored;
        if (state == SecureEptEntry.STATE_BLOCKED)
        {
            restored = SecureEptEntry.withState(entry, SecureEptEntry.STATE_MAPPED) | SecureEptEntry.RWX;
        }
        else if (state == SecureEptEntry.STATE_PENDING_BLOCKED)
        {
            restored = SecureEptEntry.withState(entry, SecureEptEntry.STATE_PENDING);
        }
        else if (state == SecureEptEntry.STATE_NL_BLOCKED)
        {
            restored = SecureEptEntry.withState(entry, SecureEptEntry.STATE_NL_MAPPED) | SecureEptEntry.RWX;
        }
        else if (state == SecureEptEntry.STATE_MMIO_BLOCKED)
        {
            restored = SecureEptEntry.withState(entry, SecureEptEntry.STATE_MMIO_MAPPED) | MMIO_PERMISSIONS;
        }
        else
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (td.finalized && SecureEptEntry.trackingRequired(entry) && !trackingDone(td))
        {
            // The module names the S-EPT tree here (OPERAND_ID_SEPT_TREE), not RCX, and leaves RCX and RDX alone.
            return out.set(TdxStatus.withOperand(TdxStatus.TLB_TRACKING_NOT_DONE, TdxStatus.OPERAND_ID_SEPT), 0, 0);
        }
        memory.writeEntry(entryAddress, restored);
        pamt.clearBlockEpoch(SecureEptEntry.hpa(entry));
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.PAGE.REMOVE: a blocked leaf (BLOCKED, PENDING_BLOCKED, MMIO_BLOCKED) becomes FREE once TLB
     * tracking is done; its frames go back to the host (PT_NDA). RCX returns the removed page's HPA and RDX 0, as the
     * module's tdh_mem_page_remove does (the model returned the removed entry and its level_state before).
     */
    public SeamcallResult pageRemove(final long pageInfo, final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 0, out);
        if (td == null || !locate(td, out))
        {
            return out;
        }
        final long state = SecureEptEntry.state(entry);
        if (state != SecureEptEntry.STATE_MAPPED && state != SecureEptEntry.STATE_BLOCKED && state != SecureEptEntry.STATE_BLOCKEDW &&
            state != SecureEptEntry.STATE_PENDING && state != SecureEptEntry.STATE_PENDING_BLOCKED &&
            state != SecureEptEntry.STATE_PENDING_BLOCKEDW && state != SecureEptEntry.STATE_MMIO_MAPPED &&
            state != SecureEptEntry.STATE_MMIO_BLOCKED)
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!blockedAndTracked(td, out))
        {
            return out;
        }
        final long removed = entry;
        final int sizeLg2 = PageInfo.sizeLg2(opLevel);
        memory.writeEntry(entryAddress, INIT_VALUE);
        release(td, SecureEptEntry.hpa(removed), sizeLg2);
        integrity.clear(SecureEptEntry.hpa(removed), 1L << sizeLg2);
        return success(out, SecureEptEntry.hpa(removed), 0);
    }

    /**
     * TDH.MEM.PAGE.RELOCATE (leaf 5), as the TDX module's tdh_mem_page_relocate (1.5) does it: a 4 KiB leaf (OPERAND_INVALID
     * on RCX for a larger level) in a state the call allows (STATE_INCORRECT otherwise) moves to the host page in R8: the
     * mapped page itself as R8 is OPERAND_INVALID on R8; once the TD runs the leaf must be blocked and the block
     * tracked (GPA_RANGE_NOT_BLOCKED, TLB_TRACKING_NOT_DONE); R8 must be a 4 KiB-aligned host page (PAGE_METADATA_INCORRECT
     * or OPERAND_INVALID on R8). The content is copied (not for a PENDING leaf), the leaf points at R8 and is unblocked
     * (MAPPED with RWX, or PENDING; {@link #relocateUnblocks(boolean)} false keeps it BLOCKED, the model's old choice),
     * R8 becomes the TD's page and the old page goes back to the host (PT_NDA). RCX returns the old page's HPA, RDX 0.
     * The integrity state of the lines does not move: the target's lines start clean, as after AUG (choice).
     */
    public SeamcallResult pageRelocate(final long pageInfo, final long tdr, final long target, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 0, out);
        if (td == null)
        {
            return out;
        }
        if (opLevel != PageInfo.LEVEL_4K)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        if (!locate(td, out))
        {
            return out;
        }
        final long state = SecureEptEntry.state(entry);
        final boolean pending = state == SecureEptEntry.STATE_PENDING || state == SecureEptEntry.STATE_PENDING_BLOCKED;
        if (!pending && state != SecureEptEntry.STATE_MAPPED && state != SecureEptEntry.STATE_BLOCKED)
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        final long old = entry;
        final long source = SecureEptEntry.hpa(old);
        if (target == source)
        {
            // The module compares the target with the mapped page before it looks at tracking.
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_R8), 0, 0);
        }
        if (!blockedAndTracked(td, out) || !hostPage(target, FRAME_LG2, TdxStatus.OPERAND_ID_R8, out))
        {
            return out;
        }
        final long moved = SecureEptEntry.withHpa(old, target);
        if (pending)
        {
            // A pending page has no content the TD could have seen: nothing is copied and the leaf stays PENDING.
            memory.writeEntry(entryAddress, SecureEptEntry.withState(moved, SecureEptEntry.STATE_PENDING));
        }
        else
        {
            memory.read(source, pageBuffer, 0, PhysicalMemory.FRAME_SIZE);
            memory.write(target, pageBuffer, 0, PhysicalMemory.FRAME_SIZE);
            memory.writeEntry(entryAddress,
                relocateUnblocks ? SecureEptEntry.withState(moved, SecureEptEntry.STATE_MAPPED) | SecureEptEntry.RWX : moved);
        }
        final long blockedIn = pamt.blockEpoch(source);
        pamt.clearBlockEpoch(source);
        release(td, source, FRAME_LG2);
        integrity.clear(source, PhysicalMemory.FRAME_SIZE);
        assign(td, target, FRAME_LG2, Pamt.PT_REG);
        integrity.clear(target, PhysicalMemory.FRAME_SIZE);
        if (!relocateUnblocks && !pending)
        {
            pamt.blockEpoch(target, blockedIn);
        }
        // tdh_mem_page_relocate returns the old page's HPA in RCX (RDX stays 0).
        return success(out, source, 0);
    }

    /**
     * TDH.MEM.SEPT.REMOVE: an NL_BLOCKED entry whose S-EPT page holds only FREE entries becomes FREE once
     * TLB tracking is done; the page goes back to the host. A child that is not FREE gives
     * TDX_EPT_ENTRY_NOT_FREE with that child in RCX (choice).
     */
    public SeamcallResult septRemove(final long pageInfo, final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 1, out);
        if (td == null || !locate(td, out))
        {
            return out;
        }
        final long nlState = SecureEptEntry.state(entry);
        if (nlState != SecureEptEntry.STATE_NL_MAPPED && nlState != SecureEptEntry.STATE_NL_BLOCKED)
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!blockedAndTracked(td, out))
        {
            return out;
        }
        final long child = SecureEptEntry.hpa(entry);
        for (int i = 0; i < ENTRIES_PER_PAGE; i++)
        {
            final long childEntry = memory.readEntry(child + ((long)i << PageTableFormat.ENTRY_SIZE_LG2));
            if (SecureEptEntry.state(childEntry) != SecureEptEntry.STATE_FREE)
            {
                // The module's is_sept_free matches FREE only (a REMOVED child keeps the page too); it reports the page
                // (the parent entry), not the child: TDX_EPT_PAGE_NOT_FREE.
                return septError(TdxStatus.EPT_PAGE_NOT_FREE, out);
            }
        }
        memory.writeEntry(entryAddress, INIT_VALUE);
        release(td, child, FRAME_LG2);
        return success(out, child, 0);
    }

    /**
     * TDH.MEM.PAGE.DEMOTE: a blocked 2 MiB (level 1) or 1 GiB (level 2) leaf becomes NL_MAPPED over the new
     * S-EPT page in R8, filled with 512 leaves of the next size. Needs BLOCK and TLB tracking first (choice:
     * KVM's block, track, demote order). BLOCKED children come out MAPPED, PENDING_BLOCKED ones PENDING.
     * Allocation-free: one entry read, 512 entry writes, one PAMT update.
     */
    public SeamcallResult pageDemote(final long pageInfo, final long tdr, final long newPage, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 1, out);
        if (td == null)
        {
            return out;
        }
        if (opLevel > PageInfo.LEVEL_1G)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        if (!locate(td, out))
        {
            return out;
        }
        final long state = SecureEptEntry.state(entry);
        final long childAttributes;
        if (state == SecureEptEntry.STATE_BLOCKED || state == SecureEptEntry.STATE_MAPPED)
        {
            childAttributes = SecureEptEntry.withState(td.format.attributes(entry, opLevel), SecureEptEntry.STATE_MAPPED) |
                SecureEptEntry.RWX;
        }
        else if (state == SecureEptEntry.STATE_PENDING_BLOCKED || state == SecureEptEntry.STATE_PENDING)
        {
            childAttributes = SecureEptEntry.withState(td.format.attributes(entry, opLevel), SecureEptEntry.STATE_PENDING);
        }
        else
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!blockedAndTracked(td, out) || !hostPage(newPage, FRAME_LG2, TdxStatus.OPERAND_ID_R8, out))
        {
            return out;
        }
        final int childLevel = opLevel - 1;
        final int childLg2 = PageInfo.sizeLg2(childLevel);
        final long base = SecureEptEntry.hpa(entry);
        memory.writeEntries(newPage, ENTRIES_PER_PAGE, td.format.makeLeaf(base, childLg2, childLevel, childAttributes), 1L << childLg2);
        memory.writeEntry(entryAddress, td.format.makeTable(newPage, opLevel));
        pamt.clearBlockEpoch(base);
        assign(td, newPage, FRAME_LG2, Pamt.PT_SEPT);
        integrity.clear(newPage, PhysicalMemory.FRAME_SIZE);
        return success(out, 0, 0);
    }

    /**
     * TDH.MEM.PAGE.PROMOTE: an NL_BLOCKED entry at level 1 or 2 whose S-EPT page holds 512 leaves that are all
     * MAPPED or all PENDING, contiguous, aligned to the larger size and with identical attributes, becomes
     * one leaf of that state; the freed S-EPT page goes back to the host and is returned in RCX. Otherwise
     * TDX_EPT_INVALID_PROMOTE_CONDITIONS | RCX with the merged (parent) entry in RCX and RDX, as the module reports it
     * (a child whose entry lock is held: OPERAND_BUSY | RCX). Needs the NL entry BLOCKed
     * and TLB tracking done (choice). Allocation-free.
     */
    public SeamcallResult pagePromote(final long pageInfo, final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = prologue(pageInfo, tdr, 1, out);
        if (td == null)
        {
            return out;
        }
        if (opLevel > PageInfo.LEVEL_1G)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        if (!locate(td, out))
        {
            return out;
        }
        final long promoted = SecureEptEntry.state(entry);
        if (promoted != SecureEptEntry.STATE_NL_MAPPED && promoted != SecureEptEntry.STATE_NL_BLOCKED)
        {
            return septError(TdxStatus.EPT_ENTRY_STATE_INCORRECT, out);
        }
        if (!blockedAndTracked(td, out))
        {
            return out;
        }
        final long child = SecureEptEntry.hpa(entry);
        final int childLevel = opLevel - 1;
        final int childLg2 = PageInfo.sizeLg2(childLevel);
        final int sizeLg2 = PageInfo.sizeLg2(opLevel);
        final long first = memory.readEntry(child);
        final long firstState = SecureEptEntry.state(first);
        final long base = SecureEptEntry.hpa(first);
        final long attributes = td.format.attributes(first, childLevel);
        if ((first & SecureEptEntry.TDEL) != 0)
        {
            return septError(TdxStatus.OPERAND_BUSY, out);
        }
        if ((firstState != SecureEptEntry.STATE_MAPPED && firstState != SecureEptEntry.STATE_PENDING) ||
            (base & ((1L << sizeLg2) - 1)) != 0)
        {
            return septError(TdxStatus.EPT_INVALID_PROMOTE_CONDITIONS, out);
        }
        // Fast path: children that differ from the first only by the address step are uniform (same state,
        // no TDEL, contiguous, same attributes); one bulk pass over the S-EPT page decides it.
        final long step = 1L << childLg2;
        final boolean uniform = memory.matchEntries(child + PhysicalMemory.ENTRY_SIZE, ENTRIES_PER_PAGE - 1, first + step, step,
            PhysicalMemory.ENTRY_SIZE) == ENTRIES_PER_PAGE - 1;
        for (int i = 1; i < ENTRIES_PER_PAGE && !uniform; i++)
        {
            final long childEntry = memory.readEntry(child + ((long)i << PageTableFormat.ENTRY_SIZE_LG2));
            if ((childEntry & SecureEptEntry.TDEL) != 0)
            {
                return septError(TdxStatus.OPERAND_BUSY, out);
            }
            if (SecureEptEntry.state(childEntry) != firstState || SecureEptEntry.hpa(childEntry) != base + ((long)i << childLg2) ||
                td.format.attributes(childEntry, childLevel) != attributes)
            {
                return septError(TdxStatus.EPT_INVALID_PROMOTE_CONDITIONS, out);
            }
        }
        memory.writeEntry(entryAddress, td.format.makeLeaf(base, sizeLg2, opLevel, attributes));
        pamt.clearBlockEpoch(child);
        release(td, child, FRAME_LG2);
        return success(out, child, 0);
    }

    /**
     * TDH.PHYMEM.PAGE.RECLAIM (RCX = page), as tdh_phymem_page_reclaim: a page of a TD in TEARDOWN (after KEY.FREEID)
     * goes back to the host. RCX returns the page type, RDX the owner's TDR (also when the call then fails). A host
     * page gives PAGE_METADATA_INCORRECT | RCX; a TD not in TEARDOWN LIFECYCLE_STATE_INCORRECT; the TDR page only when
     * it is the TD's last page (else TD_ASSOCIATED_PAGES_EXIST). Reclaiming the TDR destroys the TD.
     */
    public SeamcallResult reclaim(final long page, final SeamcallResult out)
    {
        final long record = isPageAddress(page) ? pamt.record(page) : 0;
        final int type = Pamt.typeOf(record);
        if (type == Pamt.PT_NDA || type == Pamt.PT_RSVD)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_METADATA_INCORRECT, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        final TrustDomain td = tdById(Pamt.tdOf(record));
        if (td == null)
        {
            throw new IllegalStateException("PAMT names TD " + Pamt.tdOf(record) + " which does not exist");
        }
        if (td.lifecycle != TrustDomain.Lifecycle.TEARDOWN)
        {
            return out.set(TdxStatus.LIFECYCLE_STATE_INCORRECT, type, td.tdr);
        }
        if (type == Pamt.PT_TDR && td.ownedFrames != 1)
        {
            return out.set(TdxStatus.TD_ASSOCIATED_PAGES_EXIST, type, td.tdr);
        }
        release(td, page & -PhysicalMemory.FRAME_SIZE, FRAME_LG2);
        integrity.clear(page & -PhysicalMemory.FRAME_SIZE, PhysicalMemory.FRAME_SIZE);
        if (type == Pamt.PT_TDR)
        {
            domainsByTdr.remove(td.tdr);
        }
        return success(out, type, td.tdr);
    }

    /**
     * Every page of the TD whose TDR is {@code tdr} reclaimed, as KVM does when it destroys a torn-down TD: each 4 KiB
     * frame the TD owns (private pages, S-EPT pages, private MMIO) with {@link #reclaim}, in address order, then the TDR.
     * Stops at the first refusal, whose status it returns; RCX = the frames reclaimed before it (all of them, the TDR
     * included, on success), RDX = the TDR. Not a SEAMCALL of its own: a loop of TDH.PHYMEM.PAGE.RECLAIM.
     */
    public SeamcallResult reclaimAll(final long tdr, final SeamcallResult out)
    {
        final TrustDomain td = tdOrFail(tdr, TdxStatus.OPERAND_ID_RCX, out);
        if (td == null)
        {
            return out;
        }
        long reclaimed = 0;
        for (final long frame : pamt.framesOf(td.id))
        {
            if (frame != tdr)
            {
                if (reclaim(frame, out).status() != TdxStatus.SUCCESS)
                {
                    return out.set(out.status(), reclaimed, tdr);
                }
                reclaimed++;
            }
        }
        if (reclaim(tdr, out).status() != TdxStatus.SUCCESS)
        {
            return out.set(out.status(), reclaimed, tdr);
        }
        return out.set(TdxStatus.SUCCESS, reclaimed + 1, tdr);
    }

    /**
     * TDG.MEM.PAGE.ACCEPT (the guest's TDCALL, RCX = GPA | level), as the TDX module's tdg_mem_page_accept (1.5) decides
     * it: PENDING becomes MAPPED (RWX, SVE) and the page is zeroed; MMIO_PENDING becomes MMIO_MAPPED (RW; TDX
     * Connect). A page the guest can already use (MAPPED, BLOCKEDW, EXPORTED_*; MMIO_MAPPED), at the requested level or
     * as a larger leaf the walk stopped at, answers the warning {@link TdxStatus#PAGE_ALREADY_ACCEPTED} with that level
     * as the operand; a table (non-leaf) entry at the requested level answers {@link TdxStatus#PAGE_SIZE_MISMATCH} with
     * the level (the guest retries smaller, as Linux's try_accept_one does); a held entry lock OPERAND_BUSY | RCX. Any
     * other state (FREE, REMOVED, BLOCKED, PENDING_BLOCKED, a missing level, a larger leaf that is not usable) is no
     * answer at all: the module exits to the VMM with an EPT violation ({@link TdxStatus#EPT_VIOLATION_EXIT}, the
     * model's marker, with the entry and its level_state in RCX and RDX). PENDING_EXPORTED_DIRTY, which the module
     * accepts during live migration, is not modelled (an exit here).
     */
    public SeamcallResult accept(final TrustDomain td, final long pageInfo, final SeamcallResult out)
    {
        if (td.lifecycle != TrustDomain.Lifecycle.KEYS_CONFIGURED)
        {
            return out.set(TdxStatus.NO_VCPU, 0, 0);
        }
        if (!checkPageInfo(td, pageInfo, 0, out))
        {
            return out;
        }
        if (!findEntry(td))
        {
            final int last = walk.entryCount() - 1;
            final long stopped = last >= 0 ? walk.entryValue(last) : 0;
            final int level = last >= 0 ? walk.entryLevel(last) : td.format.topLevel();
            if (last >= 0 && guestAccessibleLeaf(stopped))
            {
                return out.set(TdxStatus.withOperand(TdxStatus.PAGE_ALREADY_ACCEPTED, level), 0, 0);
            }
            return out.set(TdxStatus.EPT_VIOLATION_EXIT, stopped, TdxStatus.levelState(level, stopped));
        }
        if ((entry & SecureEptEntry.TDEL) != 0)
        {
            return septError(TdxStatus.OPERAND_BUSY, out);
        }
        if (!SecureEptEntry.isFree(entry) && !SecureEptEntry.isLeafState(entry))
        {
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_SIZE_MISMATCH, opLevel), 0, 0);
        }
        if (guestAccessibleLeaf(entry))
        {
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_ALREADY_ACCEPTED, opLevel), 0, 0);
        }
        final long state = SecureEptEntry.state(entry);
        if (state == SecureEptEntry.STATE_PENDING)
        {
            final int sizeLg2 = PageInfo.sizeLg2(opLevel);
            final long page = SecureEptEntry.hpa(entry);
            memory.zero(page, 1L << sizeLg2);
            integrity.clear(page, 1L << sizeLg2);
            memory.writeEntry(entryAddress, SecureEptEntry.withState(entry, SecureEptEntry.STATE_MAPPED) |
                SecureEptEntry.RWX | SecureEptEntry.SVE);
            return success(out, 0, 0);
        }
        if (state == SecureEptEntry.STATE_MMIO_PENDING)
        {
            memory.writeEntry(entryAddress, SecureEptEntry.withState(entry, SecureEptEntry.STATE_MMIO_MAPPED) |
                MMIO_PERMISSIONS | SecureEptEntry.SVE);
            return success(out, 0, 0);
        }
        return out.set(TdxStatus.EPT_VIOLATION_EXIT, entry, TdxStatus.levelState(opLevel, entry));
    }

    /** The module's sept_state_is_guest_accessible_leaf: MAPPED, BLOCKEDW, EXPORTED_* (and TDX Connect's MMIO_MAPPED). */
    private static boolean guestAccessibleLeaf(final long entry)
    {
        final long state = SecureEptEntry.state(entry);
        return state == SecureEptEntry.STATE_MAPPED || state == SecureEptEntry.STATE_BLOCKEDW ||
            state == SecureEptEntry.STATE_EXPORTED_BLOCKEDW || state == SecureEptEntry.STATE_EXPORTED_DIRTY ||
            state == SecureEptEntry.STATE_EXPORTED_DIRTY_BLOCKEDW || state == SecureEptEntry.STATE_MMIO_MAPPED;
    }

    // ------------------------------------------------------------------------------------------------------
    // Concurrency model.

    /**
     * Set the host-side entry lock (TDEL) on the entry at {@code pageInfo}, as a SEAMCALL running on another
     * logical processor holds it: every SEAMCALL that meets the entry returns TDX_OPERAND_BUSY (operand SEPT)
     * until {@link #releaseHostLock}. Returns false when no entry is reachable at that level.
     */
    public boolean holdHostLock(final TrustDomain td, final long pageInfo)
    {
        return setLock(td, pageInfo, true);
    }

    public boolean releaseHostLock(final TrustDomain td, final long pageInfo)
    {
        return setLock(td, pageInfo, false);
    }

    private boolean setLock(final TrustDomain td, final long pageInfo, final boolean lock)
    {
        opGpa = PageInfo.gpa(pageInfo);
        opLevel = PageInfo.level(pageInfo);
        if (!findEntry(td))
        {
            return false;
        }
        memory.writeEntry(entryAddress, lock ? entry | SecureEptEntry.TDEL : entry & ~SecureEptEntry.TDEL);
        return true;
    }

    // ------------------------------------------------------------------------------------------------------
    // Translation (hot path: no allocation, no exception).

    /**
     * Translate a TD GPA for an access as the CPU or a trusted device does: a GPA with the shared bit walks
     * the shared EPT, any other the S-EPT. True when the translation allows the access; otherwise
     * {@code result} holds the fault and, for a blocked or pending leaf ({@code PERMISSION} fault), the leaf
     * as its last entry.
     */
    public boolean translate(final TrustDomain td, final long gpa, final int access, final WalkResult result)
    {
        if (td.isShared(gpa))
        {
            return td.sharedEpt.translate(gpa, access, result);
        }
        return Walker.walk(td.format, memory, td.septRoot, gpa, access, Permissions.ALL, result);
    }

    /**
     * The TD's own CPU access (a vCPU's load or store) of {@code length} bytes at {@code gpa}, inside one page:
     * translated as {@link #translate} does, then checked by {@link MemoryIntegrity}. A private GPA is accessed with
     * the TD's private KeyID ({@link Requester#TD}): a read of a poisoned line is a machine check (cause
     * {@code POISON_CONSUMED}, the record filled), a full-line write clears the line's poison. A shared GPA uses a
     * shared KeyID, so it is checked as a host access ({@link Requester#HOST_CPU}, requester id = the TD's id).
     * Returns one of the {@code TD_ACCESS_*} codes; {@code walk} holds the translation (or the EPT fault). A TD past
     * VPFLUSHDONE runs no vCPU: {@link #TD_ACCESS_NO_VCPU}, nothing accessed.
     */
    public int tdAccess(final TrustDomain td, final long gpa, final int length, final boolean write, final WalkResult walk,
        final MachineCheckRecord machineCheck)
    {
        machineCheck.clear();
        if (td.lifecycle != TrustDomain.Lifecycle.KEYS_CONFIGURED)
        {
            return TD_ACCESS_NO_VCPU;
        }
        if (!translate(td, gpa, write ? Permissions.WRITE : Permissions.READ, walk))
        {
            return TD_ACCESS_EPT_VIOLATION;
        }
        final int requester = td.isShared(gpa) ? Requester.HOST_CPU : Requester.TD;
        final long hpa = walk.outputAddress();
        if (write)
        {
            integrity.write(requester, hpa, length);
            return TD_ACCESS_OK;
        }
        final int result = integrity.read(requester, td.id(), hpa, length, machineCheck);
        return result == MemoryIntegrity.MACHINE_CHECK ? TD_ACCESS_MACHINE_CHECK :
            result == MemoryIntegrity.READ_ZEROS ? TD_ACCESS_READ_ZEROS : TD_ACCESS_OK;
    }

    /** Walk the S-EPT only (the trusted-DMA second stage, or a benchmark of the S-EPT walk). */
    public boolean walkSept(final TrustDomain td, final long gpa, final int access, final WalkResult result)
    {
        return Walker.walk(td.format, memory, td.septRoot, gpa, access, Permissions.ALL, result);
    }

    /** The S-EPT entry at {@code pageInfo}'s GPA and level, or {@code INIT_VALUE}'s FREE when unreachable. */
    public long septEntry(final TrustDomain td, final long pageInfo)
    {
        opGpa = PageInfo.gpa(pageInfo);
        opLevel = PageInfo.level(pageInfo);
        return findEntry(td) ? entry : INIT_VALUE;
    }

    // ------------------------------------------------------------------------------------------------------
    // TDX Connect support (used by TdxConnect).

    /**
     * Map private MMIO: a FREE entry becomes MMIO_PENDING (TDIO, uncached, R/W/X = 0) over {@code hpa}; the
     * guest's accept makes it MMIO_MAPPED. The caller has checked that the MMIO belongs to a TDI bound to
     * this TD.
     */
    SeamcallResult mmioMap(final TrustDomain td, final long pageInfo, final long hpa, final SeamcallResult out)
    {
        if (!checkPageInfo(td, pageInfo, 0, out))
        {
            return out;
        }
        if (opLevel > PageInfo.LEVEL_2M)
        {
            return out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
        }
        final int sizeLg2 = PageInfo.sizeLg2(opLevel);
        if ((hpa & ((1L << sizeLg2) - 1)) != 0 || !isInMemory(hpa, sizeLg2) || !pamt.allHostOwned(hpa, sizeLg2))
        {
            return out.set(TdxStatus.withOperand(TdxStatus.PAGE_METADATA_INCORRECT, TdxStatus.OPERAND_ID_R8), 0, 0);
        }
        if (!locate(td, out))
        {
            return out;
        }
        if (!SecureEptEntry.isFree(entry))
        {
            return septError(TdxStatus.EPT_ENTRY_NOT_FREE, out);
        }
        final long attributes = SecureEptEntry.STATE_MMIO_PENDING | SecureEptEntry.TDIO |
            SecureEptEntry.memoryTypeBits(SecureEptEntry.MEMORY_TYPE_UC);
        memory.writeEntry(entryAddress, td.format.makeLeaf(hpa, sizeLg2, opLevel, attributes));
        assign(td, hpa, sizeLg2, Pamt.PT_MMIO);
        return success(out, 0, 0);
    }

    // ------------------------------------------------------------------------------------------------------

    private TrustDomain prologue(final long pageInfo, final long tdr, final int minLevel, final SeamcallResult out)
    {
        // The module checks the TD's keys (its build state) before RCX: from VPFLUSHDONE on.
        final TrustDomain td = tdIn(tdr, TdxStatus.OPERAND_ID_RDX, TrustDomain.Lifecycle.KEYS_CONFIGURED,
            TdxStatus.TD_KEYS_NOT_CONFIGURED, out);
        return td != null && checkPageInfo(td, pageInfo, minLevel, out) ? td : null;
    }

    /**
     * {@link #tdOrFail}, and the TD must be in {@code lifecycle}: else null with {@code refusal} (no operand) in
     * {@code out}.
     */
    private TrustDomain tdIn(final long tdr, final int operandId, final TrustDomain.Lifecycle lifecycle, final long refusal,
        final SeamcallResult out)
    {
        final TrustDomain td = tdOrFail(tdr, operandId, out);
        if (td != null && td.lifecycle != lifecycle)
        {
            out.set(refusal, 0, 0);
            return null;
        }
        return td;
    }

    /**
     * The TD whose TDR page is {@code tdr}, given in the register {@code operandId} names, or null with {@code out}
     * filled as the module's check_lock_and_map_explicit_tdr fills it: OPERAND_INVALID for a misaligned address,
     * PAGE_METADATA_INCORRECT for a page that is not a TDR.
     */
    private TrustDomain tdOrFail(final long tdr, final int operandId, final SeamcallResult out)
    {
        final TrustDomain td = domainsByTdr.get(tdr);
        if (td == null)
        {
            out.set(TdxStatus.withOperand((tdr & (PhysicalMemory.FRAME_SIZE - 1)) != 0 ? TdxStatus.OPERAND_INVALID :
                TdxStatus.PAGE_METADATA_INCORRECT, operandId), 0, 0);
        }
        return td;
    }

    /** RCX checks: no reserved bits, a level this TD has, a private GPA inside the width, aligned to the level. */
    private boolean checkPageInfo(final TrustDomain td, final long pageInfo, final int minLevel, final SeamcallResult out)
    {
        final long gpa = PageInfo.gpa(pageInfo);
        final int level = PageInfo.level(pageInfo);
        if (PageInfo.hasReservedBits(pageInfo) || level < minLevel || level > td.format.topLevel() ||
            !td.isValidGpa(gpa) || td.isShared(gpa) || (gpa & ((1L << PageInfo.sizeLg2(level)) - 1)) != 0)
        {
            out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, TdxStatus.OPERAND_ID_RCX), 0, 0);
            return false;
        }
        opGpa = gpa;
        opLevel = level;
        return true;
    }

    /**
     * Find the entry at {@code opLevel} for {@code opGpa} with the generic walker. Sets {@code entryAddress}
     * and {@code entry}; on failure fills {@code out} with TDX_EPT_WALK_FAILED and the entry the walk stopped
     * at; a locked entry gives TDX_OPERAND_BUSY.
     */
    private boolean locate(final TrustDomain td, final SeamcallResult out)
    {
        if (!findEntry(td))
        {
            final int last = walk.entryCount() - 1;
            final long stopped = last >= 0 ? walk.entryValue(last) : 0;
            out.set(TdxStatus.withOperand(TdxStatus.EPT_WALK_FAILED, TdxStatus.OPERAND_ID_RCX), stopped,
                TdxStatus.levelState(last >= 0 ? walk.entryLevel(last) : td.format.topLevel(), stopped));
            return false;
        }
        if ((entry & SecureEptEntry.TDEL) != 0)
        {
            septError(TdxStatus.OPERAND_BUSY, out);
            return false;
        }
        return true;
    }

    private boolean findEntry(final TrustDomain td)
    {
        Walker.walk(td.format, memory, td.septRoot, opGpa, 0, Permissions.ALL, walk);
        final int count = walk.entryCount();
        for (int i = 0; i < count; i++)
        {
            if (walk.entryLevel(i) == opLevel)
            {
                entryAddress = walk.entryAddress(i);
                entry = walk.entryValue(i);
                return true;
            }
        }
        return false;
    }

    private boolean trackingDone(final TrustDomain td)
    {
        final long blocked = pamt.blockEpoch(SecureEptEntry.hpa(entry));
        return blocked == Pamt.NO_EPOCH || td.trackingDone(blocked);
    }

    /**
     * A page operand the TD is to take ({@code sizeLg2} bytes, aligned): OPERAND_INVALID for a misaligned address or one
     * beyond memory, PAGE_METADATA_INCORRECT for a page the host does not own (the module's
     * check_and_lock_explicit_private_hpa, with PT_NDA expected). The module checks page operands after the walk and the
     * state and tracking checks; so do the calls here.
     */
    private boolean hostPage(final long page, final int sizeLg2, final int operandId, final SeamcallResult out)
    {
        if ((page & ((1L << sizeLg2) - 1)) != 0 || !isInMemory(page, sizeLg2))
        {
            out.set(TdxStatus.withOperand(TdxStatus.OPERAND_INVALID, operandId), 0, 0);
            return false;
        }
        if (!pamt.allHostOwned(page, sizeLg2))
        {
            out.set(TdxStatus.withOperand(TdxStatus.PAGE_METADATA_INCORRECT, operandId), 0, 0);
            return false;
        }
        return true;
    }

    /** An S-EPT error on the operation's entry: operand RCX (its GPA and level), the entry in RCX, level_state in RDX. */
    private SeamcallResult septError(final long status, final SeamcallResult out)
    {
        return out.set(TdxStatus.withOperand(status, TdxStatus.OPERAND_ID_RCX), entry, TdxStatus.levelState(opLevel, entry));
    }

    /**
     * Once the TD runs (finalized), an entry whose state needs it must be blocked (else TDX_GPA_RANGE_NOT_BLOCKED) and
     * its block's TLB epoch tracked (else TDX_TLB_TRACKING_NOT_DONE on RCX, RCX and RDX left at 0) before it is removed,
     * demoted, promoted or relocated; before finalize nothing needs either (the module's
     * {@code op_state_is_tlb_tracking_required} is false in INITIALIZED). Fills {@code out} when it returns false.
     */
    private boolean blockedAndTracked(final TrustDomain td, final SeamcallResult out)
    {
        if (!td.finalized || !SecureEptEntry.trackingRequired(entry))
        {
            return true;
        }
        if (!SecureEptEntry.isBlocked(entry))
        {
            septError(TdxStatus.GPA_RANGE_NOT_BLOCKED, out);
            return false;
        }
        if (!trackingDone(td))
        {
            out.set(TdxStatus.withOperand(TdxStatus.TLB_TRACKING_NOT_DONE, TdxStatus.OPERAND_ID_RCX), 0, 0);
            return false;
        }
        return true;
    }

    private static SeamcallResult success(final SeamcallResult out, final long rcx, final long rdx)
    {
        return out.set(TdxStatus.SUCCESS, rcx, rdx);
    }

    private void assign(final TrustDomain td, final long hpa, final int sizeLg2, final int type)
    {
        pamt.assign(hpa, sizeLg2, type, td.id);
        td.ownedFrames += 1L << (sizeLg2 - FRAME_LG2);
    }

    private void release(final TrustDomain td, final long hpa, final int sizeLg2)
    {
        pamt.release(hpa, sizeLg2);
        td.ownedFrames -= 1L << (sizeLg2 - FRAME_LG2);
    }

    private TrustDomain tdById(final int id)
    {
        for (final TrustDomain td : domainsByTdr.values())
        {
            if (td.id == id)
            {
                return td;
            }
        }
        return null;
    }

    private static boolean isPageAddress(final long address)
    {
        return (address & (PhysicalMemory.FRAME_SIZE - 1)) == 0 && address >= 0 && address < PhysicalMemory.ADDRESS_LIMIT;
    }

    private static boolean isInMemory(final long address, final int sizeLg2)
    {
        return address >= 0 && address <= PhysicalMemory.ADDRESS_LIMIT - (1L << sizeLg2);
    }
}
