package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.InterruptRange;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.AccessedDirty;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The DMA-remapping lookup of one request, in the order the hardware does it (shared/reference/vtd-tdx.md 1.7):
 * context cache, else root and context tables; in scalable mode the PASID cache, else the PASID directory and
 * table; then the IOTLB, else a first-stage, second-stage or nested walk; then the interrupt-range check. The
 * entries found are held by flyweights ({@link ContextEntry}, {@link ScalableContextEntry}, {@link PasidEntry});
 * the translation goes into the caller's {@link RequestOutcome} in place, and the state of the last lookup (fault
 * reason, FPD, domain, whether the device TLB is allowed) is read through accessors: one instance per model,
 * re-pointed per request, nothing allocated.
 * <p>
 * Cache tags: the context cache is tagged by requester ID (partition 0 legacy, 1 scalable) and holds the
 * entry's first quadword as the value and the low half of the second as the attribute; the PASID cache is
 * tagged by requester ID and PASID, one slot per entry holding q0 as the value, the directory's FPD as the
 * attribute and q1 and q2 in side arrays; the IOTLB is tagged by DID and PASID (none in legacy mode;
 * RID_PASID for requests without PASID in scalable mode; the PGTT as the partition for first-stage and nested
 * translations) and keyed by input page at 4 KiB, 2 MiB and 1 GiB, its entries {@link CachedTranslation}s.
 */
final class VtdTranslator
{
    static final int LARGEST_PAGE_LG2 = 30;
    private static final int FPD_ATTRIBUTE = 1;
    /** The IOTLB's page sizes ({@link TranslationCache#lookupPage} mask): 4 KiB, 2 MiB and 1 GiB. */
    private static final long IOTLB_PAGE_SIZES = (1L << 12) | (1L << 21) | (1L << LARGEST_PAGE_LG2);

    private final PhysicalMemory memory;
    private final VtdConfig config;
    private final long cap;
    private final long ecap;
    private final int haw;
    /** CAP.MGAW, decoded once. */
    private final int mgaw;
    private final TranslationCache contextCache;
    private final TranslationCache pasidCache;
    /**
     * Quadwords 1 and 2 of the PASID entry cached in each slot of {@link #pasidCache} (whose value holds quadword 0
     * and whose attribute the directory's FPD): one slot per PASID entry, as a PASID cache holds whole entries, and
     * one lookup per request. Valid while the slot's entry is (the cache owns validity and eviction).
     */
    private final long[] pasidQuadword1;
    private final long[] pasidQuadword2;
    private final TranslationCache iotlb;
    private final VtdSecondStageFormat[] secondStage = new VtdSecondStageFormat[12];
    private final X86Format[] firstStage = new X86Format[2];
    private final StageMemory hostView;
    private final StageMemory tableView;
    private final WalkResult walk = new WalkResult();
    private final WalkResult finalWalk = new WalkResult();

    // The last lookup.
    private VtdFaultReason fault;
    private boolean noTranslation;
    private boolean fpd;
    private boolean deviceTlbAllowed;
    private boolean pageRequestsAllowed;
    private boolean scalable;
    private int domainId;
    private int pasid;
    private int pgtt;
    /**
     * Hardware A/D updates of the second stage in the context the last {@link #context} found (scalable mode, PGTT
     * second stage or nested, PASID entry SSADE with ECAP.SSADS). A first stage (PGTT first stage or nested) always
     * gets them, as the x86 paging structures do (reference 2.3, QEMU's vtd_iova_to_flpte).
     */
    private boolean secondStageAccessedDirty;
    // The entries of the last lookup.
    private final ContextEntry legacyEntry = new ContextEntry();
    private final ScalableContextEntry scalableEntry = new ScalableContextEntry();
    private final PasidEntry pasidEntry = new PasidEntry();
    /** Slots of the context cache and the PASID cache that the last lookup hit or filled. */
    private int contextSlot;
    private int pasidSlot;
    /** The IOTLB tag of the context {@link #context} found (derived from it, as the fields above). */
    private long iotlbTag;
    /**
     * The request context of the last successful {@link #context} and the versions of the two caches after it:
     * while a request repeats it and neither cache changed, the lookups would hit the same slots and derive the
     * same fields (the fields above still hold them: only {@link #context} writes them). -1: none.
     */
    private int lastRequesterId = -1;
    private int lastRequestPasid;
    private int lastTtm;
    private long lastContextVersion;
    private long lastPasidVersion;
    /**
     * What {@link #translate} does in the context {@link #context} found, derived once from its entries there (the
     * IOTLB-hit path then reads no entry): {@link #KIND_PASS_THROUGH}, {@link #KIND_SECOND_STAGE} (with the root, AW,
     * SLEE and input width below) or {@link #KIND_FIRST_STAGE} (first stage or nested, with SRE, ERE and WPE).
     */
    private int kind;
    private static final int KIND_PASS_THROUGH = 0;
    private static final int KIND_SECOND_STAGE = 1;
    private static final int KIND_FIRST_STAGE = 2;
    private long kindRoot;
    private int kindAw;
    private boolean kindSlee;
    private int kindInputWidth;
    private boolean kindSre;
    private boolean kindEre;
    private boolean kindWpe;

    private PageWalkCache secondStageWalkCache;
    private PageWalkCache firstStageWalkCache;

    void walkCaches(final PageWalkCache secondStage, final PageWalkCache firstStage)
    {
        this.secondStageWalkCache = secondStage;
        this.firstStageWalkCache = firstStage;
    }

    VtdTranslator(final PhysicalMemory memory, final VtdConfig config, final long cap, final long ecap,
        final TranslationCache contextCache, final TranslationCache pasidCache, final TranslationCache iotlb,
        final TranslationCache nestedCache)
    {
        this.memory = memory;
        this.config = config;
        this.cap = cap;
        this.ecap = ecap;
        this.haw = config.hostAddressWidth;
        this.mgaw = VtdRegisters.mgaw(cap);
        this.contextCache = contextCache;
        this.pasidCache = pasidCache;
        this.pasidQuadword1 = new long[pasidCache.entries()];
        this.pasidQuadword2 = new long[pasidCache.entries()];
        this.iotlb = iotlb;
        this.hostView = new StageMemory(memory, config);
        this.tableView = new StageMemory(memory, config, new StageMemory(memory, config), nestedCache);
        final long largePages = VtdRegisters.secondStageLargePages(cap);
        final boolean snoopControl = (ecap & VtdRegisters.ECAP_SC) != 0;
        for (int levels = 2; levels <= 5; levels++)
        {
            secondStage[levels * 2] = new VtdSecondStageFormat(levels, haw, snoopControl, false, false, largePages);
            secondStage[levels * 2 + 1] = new VtdSecondStageFormat(levels, haw, snoopControl, true, false, largePages);
        }
        final boolean gigabytePages = (cap & VtdRegisters.CAP_FS1GP) != 0;
        firstStage[0] = new X86Format(4, true, haw, gigabytePages);
        firstStage[1] = new X86Format(5, true, haw, gigabytePages);
    }

    /** The second-stage format this IOMMU walks for {@code levels} (2..5) levels, with or without SLEE. */
    VtdSecondStageFormat secondStageFormat(final int levels, final boolean slee)
    {
        return secondStage[levels * 2 + (slee ? 1 : 0)];
    }

    /** The first-stage format this IOMMU walks for 4 or 5 levels. */
    X86Format firstStageFormat(final int levels)
    {
        return firstStage[levels == 5 ? 1 : 0];
    }

    /** Forget the fault of the last request (its context stays). */
    private void clearTranslation()
    {
        // The reference field only when it changes: a reference store costs the collector's write barriers.
        if (fault != null)
        {
            fault = null;
        }
        noTranslation = false;
    }

    /** The fault of the last {@link #context} or {@link #translate} that failed. */
    VtdFaultReason fault()
    {
        return fault;
    }

    /**
     * The last {@link #translate} failed for want of a translation at the last stage (not present or not permitted), not a structure error.
     */
    boolean noTranslation()
    {
        return noTranslation;
    }

    /** FPD of the context (context entry, PASID directory or PASID entry) the last lookup went through. */
    boolean faultProcessingDisabled()
    {
        return fpd;
    }

    /** The context allows device-TLB (ATS) requests: legacy TT = 01, scalable DTE with ECAP.DT. */
    boolean deviceTlbAllowed()
    {
        return deviceTlbAllowed;
    }

    /** The context allows page requests: scalable mode, the context entry's PRE with ECAP.PRS. */
    boolean pageRequestsAllowed()
    {
        return pageRequestsAllowed;
    }

    /** The last lookup was in scalable mode. */
    boolean scalable()
    {
        return scalable;
    }

    /**
     * The PASID the last lookup's translations are tagged with in the IOTLB: the request's or the RID_PASID in
     * scalable mode, negative in legacy mode.
     */
    int pasid()
    {
        return pasid;
    }

    /** The DID of the last lookup's context (0 before one was found). */
    int domainId()
    {
        return domainId;
    }

    private void reset()
    {
        clearTranslation();
        fpd = false;
        deviceTlbAllowed = false;
        pageRequestsAllowed = false;
        domainId = 0;
        pasid = -1;
        pgtt = 0;
        secondStageAccessedDirty = false;
    }

    /**
     * Find the context (and in scalable mode the PASID entry) of a request.
     *
     * @param rootTable   the latched root table address.
     * @param ttm         the latched RTADDR.TTM.
     * @param requestPasid the request's PASID, or negative.
     * @return false with {@link #fault()} set when a structure faults.
     */
    boolean context(final long rootTable, final int ttm, final int requesterId, final int requestPasid)
    {
        if (requesterId == lastRequesterId && requestPasid == lastRequestPasid && ttm == lastTtm &&
            contextCache.version() == lastContextVersion && pasidCache.version() == lastPasidVersion)
        {
            // The same request context as the last one, and neither cache has changed since: the lookups would hit
            // the same slots and derive the same fields, which still hold what they derived. Count the hits.
            clearTranslation();
            contextCache.hit(contextSlot);
            if (scalable)
            {
                pasidCache.hit(pasidSlot);
            }
            return true;
        }
        lastRequesterId = -1;
        reset();
        scalable = ttm == VtdRegisters.TTM_SCALABLE;
        if (!VtdRegisters.translationTableModeSupported(ttm, ecap))
        {
            return fail(VtdFaultReason.SM_ROOT_TABLE_ADDRESS);
        }
        if (!(scalable ? scalableContext(rootTable, requesterId, requestPasid) : legacyContext(rootTable, requesterId, requestPasid)))
        {
            return false;
        }
        // The IOTLB tag of this context's translations: DID and PASID (none in legacy mode), the PGTT for first-stage
        // and nested ones (their entries hold the combined translation, never shared with second-stage-only ones).
        iotlbTag = scalable ? CacheTag.of(domainId, pasid, 0, false, pgtt == PasidEntry.PGTT_SECOND_STAGE ? 0 : pgtt) :
            CacheTag.of(domainId, CacheTag.NO_PASID, 0, false, 0);
        deriveKind();
        lastRequesterId = requesterId;
        lastRequestPasid = requestPasid;
        lastTtm = ttm;
        lastContextVersion = contextCache.version();
        lastPasidVersion = pasidCache.version();
        return true;
    }

    private boolean legacyContext(final long rootTable, final int requesterId, final int requestPasid)
    {
        if (requestPasid >= 0)
        {
            return fail(VtdFaultReason.SM_LEGACY_WITH_PASID);
        }
        final long tag = CacheTag.of(0, CacheTag.NO_PASID, requesterId, false, 0);
        final int slot = contextCache.lookup(tag, requesterId);
        final ContextEntry entry = legacyEntry;
        if (slot != TranslationCache.MISS)
        {
            contextSlot = slot;
            entry.set(contextCache.value(slot), contextCache.attribute(slot) & 0xFFFF_FFFFL);
        }
        else if (!legacyContextMiss(rootTable, requesterId, tag))
        {
            return false;
        }
        fpd = entry.faultProcessingDisabled();
        domainId = entry.domainId();
        deviceTlbAllowed = entry.translationType() == ContextEntry.TT_DEVICE_TLB;
        return true;
    }

    /**
     * {@link #legacyContext} when the context cache missed: read the root and context entries, check them and fill the
     * cache. Out of line so that the cache-hit path stays small enough for the JIT to inline.
     */
    private boolean legacyContextMiss(final long rootTable, final int requesterId, final long tag)
    {
        final long rootAddress = RootEntry.address(rootTable, requesterId >>> 8);
        if (!hostView.answers(rootAddress))
        {
            return fail(VtdFaultReason.ROOT_TABLE_ACCESS);
        }
        final long rootLo = memory.readEntry(rootAddress);
        final long rootHi = memory.readEntry(rootAddress + 8);
        if (!RootEntry.present(rootLo))
        {
            return fail(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT);
        }
        if (RootEntry.reserved(rootLo, rootHi, haw))
        {
            return fail(VtdFaultReason.ROOT_ENTRY_RESERVED);
        }
        final long contextAddress = ContextEntry.address(RootEntry.contextTable(rootLo), requesterId & 0xFF);
        if (!hostView.answers(contextAddress))
        {
            return fail(VtdFaultReason.CONTEXT_TABLE_ACCESS);
        }
        final ContextEntry entry = legacyEntry.read(memory, contextAddress);
        fpd = entry.faultProcessingDisabled();
        if (!entry.present())
        {
            return fail(VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT);
        }
        if (entry.reserved(haw))
        {
            return fail(VtdFaultReason.CONTEXT_ENTRY_RESERVED);
        }
        if (!ContextEntry.supported(entry.translationType(), entry.addressWidth(), cap, ecap))
        {
            return fail(VtdFaultReason.CONTEXT_ENTRY_INVALID);
        }
        contextSlot = contextCache.insert(tag, requesterId, entry.low(), (int)entry.high());
        return true;
    }

    private boolean scalableContext(final long rootTable, final int requesterId, final int requestPasid)
    {
        final long tag = CacheTag.of(0, CacheTag.NO_PASID, requesterId, false, 1);
        final int slot = contextCache.lookup(tag, requesterId);
        final ScalableContextEntry entry = scalableEntry;
        if (slot != TranslationCache.MISS)
        {
            contextSlot = slot;
            entry.set(contextCache.value(slot), contextCache.attribute(slot) & 0xFFFF_FFFFL);
        }
        else if (!scalableContextMiss(rootTable, requesterId, tag))
        {
            return false;
        }
        fpd = entry.faultProcessingDisabled();
        deviceTlbAllowed = entry.deviceTlbEnabled() && (ecap & VtdRegisters.ECAP_DT) != 0;
        pageRequestsAllowed = entry.pageRequestsEnabled() && (ecap & VtdRegisters.ECAP_PRS) != 0;

        final int directoryEntries = entry.directoryEntries();
        if (requestPasid >= 0)
        {
            if (!entry.pasidEnabled())
            {
                return fail(VtdFaultReason.SM_PASIDE_CLEAR);
            }
            if ((requestPasid >>> VtdRegisters.pasidBits(ecap)) != 0 ||
                (requestPasid >>> PasidDirectoryEntry.INDEX_SHIFT) >= directoryEntries)
            {
                return fail(VtdFaultReason.SM_PASID_TOO_LARGE);
            }
            pasid = requestPasid;
        }
        else
        {
            pasid = entry.ridPasid();
            if ((pasid >>> PasidDirectoryEntry.INDEX_SHIFT) >= directoryEntries)
            {
                return fail(VtdFaultReason.SM_RID_PASID_ERROR);
            }
        }
        return pasidEntry(requesterId);
    }

    /**
     * {@link #scalableContext} when the context cache missed: read the scalable root and context entries, check them
     * and fill the cache. Out of line so that the cache-hit path stays small enough for the JIT to inline.
     */
    private boolean scalableContextMiss(final long rootTable, final int requesterId, final long tag)
    {
        final long rootAddress = RootEntry.address(rootTable, requesterId >>> 8);
        if (!hostView.answers(rootAddress))
        {
            return fail(VtdFaultReason.SM_ROOT_TABLE_ADDRESS);
        }
        final int devfn = requesterId & 0xFF;
        final long half = memory.readEntry(rootAddress + (ScalableRootEntry.upper(devfn) ? 8 : 0));
        if (!ScalableRootEntry.present(half))
        {
            return fail(VtdFaultReason.SM_ROOT_ENTRY_NOT_PRESENT);
        }
        if (ScalableRootEntry.reserved(half, haw))
        {
            return fail(VtdFaultReason.SM_ROOT_ENTRY_RESERVED);
        }
        final long contextAddress = ScalableContextEntry.address(ScalableRootEntry.contextTable(half), devfn);
        if (!hostView.answers(contextAddress))
        {
            return fail(VtdFaultReason.SM_CONTEXT_ENTRY_ACCESS);
        }
        final ScalableContextEntry entry = scalableEntry.read(memory, contextAddress);
        fpd = entry.faultProcessingDisabled();
        if (!entry.present())
        {
            return fail(VtdFaultReason.SM_CONTEXT_ENTRY_NOT_PRESENT);
        }
        if (entry.reserved(haw))
        {
            return fail(VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED);
        }
        contextSlot = contextCache.insert(tag, requesterId, entry.quadword0(), (int)entry.quadword1());
        return true;
    }

    private boolean pasidEntry(final int requesterId)
    {
        final long tag = CacheTag.of(0, pasid, requesterId, false, 0);
        final int slot = pasidCache.lookup(tag, pasid);
        final PasidEntry entry = pasidEntry;
        if (slot != TranslationCache.MISS)
        {
            pasidSlot = slot;
            entry.set(pasidCache.value(slot), pasidQuadword1[slot], pasidQuadword2[slot]);
            domainId = entry.domainId();
            fpd |= (pasidCache.attribute(slot) & FPD_ATTRIBUTE) != 0 || entry.faultProcessingDisabled();
        }
        else if (!pasidEntryMiss(tag))
        {
            return false;
        }
        pgtt = entry.pgtt();
        secondStageAccessedDirty = (pgtt == PasidEntry.PGTT_SECOND_STAGE || pgtt == PasidEntry.PGTT_NESTED) &&
            entry.secondStageAccessedDirty();
        return true;
    }

    /**
     * {@link #pasidEntry} when the PASID cache missed: read the PASID directory and table entries, check them and fill
     * the cache. Out of line so that the cache-hit path stays small enough for the JIT to inline.
     */
    private boolean pasidEntryMiss(final long tag)
    {
        final long directoryAddress = PasidDirectoryEntry.address(scalableEntry.pasidDirectory(), pasid);
        if (!hostView.answers(directoryAddress))
        {
            return fail(VtdFaultReason.SM_PASID_DIR_ACCESS);
        }
        final long directoryEntry = memory.readEntry(directoryAddress);
        final boolean directoryFpd = PasidDirectoryEntry.faultProcessingDisabled(directoryEntry);
        fpd |= directoryFpd;
        if (!PasidDirectoryEntry.present(directoryEntry))
        {
            return fail(VtdFaultReason.SM_PASID_DIR_NOT_PRESENT);
        }
        if (PasidDirectoryEntry.reserved(directoryEntry, haw))
        {
            return fail(VtdFaultReason.SM_PASID_DIR_RESERVED);
        }
        final long entryAddress = PasidEntry.address(PasidDirectoryEntry.pasidTable(directoryEntry), pasid);
        if (!hostView.answers(entryAddress))
        {
            return fail(VtdFaultReason.SM_PASID_TABLE_ACCESS);
        }
        final PasidEntry entry = pasidEntry.read(memory, entryAddress);
        fpd |= entry.faultProcessingDisabled();
        if (!entry.present())
        {
            return fail(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT);
        }
        if (entry.reserved(haw, ecap))
        {
            return fail(VtdFaultReason.SM_PASID_ENTRY_RESERVED);
        }
        if (!pasidEntryValid(entry))
        {
            return fail(VtdFaultReason.SM_PASID_ENTRY_INVALID);
        }
        domainId = entry.domainId();
        final int slot = pasidCache.insert(tag, pasid, entry.quadword0(), directoryFpd ? FPD_ATTRIBUTE : 0);
        pasidQuadword1[slot] = entry.quadword1();
        pasidQuadword2[slot] = entry.quadword2();
        pasidSlot = slot;
        return true;
    }

    private boolean pasidEntryValid(final PasidEntry entry)
    {
        return PasidEntry.check(entry.pgtt(), entry.addressWidth(), entry.firstStageLevels(), cap, ecap) == PasidEntry.Validity.VALID;
    }

    /**
     * Translate {@code address} after a successful {@link #context}; the translation goes into {@code out} (address,
     * size, permissions, IOTLB hit, first stage), the walk's fault too when a walk fails.
     *
     * @param access     {@link Permissions} bits the request needs (READ/WRITE, EXECUTE for an execute
     *                   request); 0 for an ATS translation request (find the translation, check nothing).
     * @param privileged the request's Privileged Mode Requested flag.
     * @return false with {@link #fault()} set.
     */
    boolean translate(final long address, final int access, final boolean privileged, final RequestOutcome out)
    {
        final int k = kind;
        if (k == KIND_SECOND_STAGE)
        {
            return secondStageOnly(address, access, kindRoot, kindAw, kindSlee, out);
        }
        return k == KIND_PASS_THROUGH ? passThrough(address, out) : firstStage(address, access, privileged, out);
    }

    /**
     * Derive {@link #kind} and its fields from the entries of the context just found: legacy mode by the context
     * entry's TT, scalable mode by the PASID entry's PGTT.
     */
    private void deriveKind()
    {
        if (!scalable)
        {
            final ContextEntry entry = legacyEntry;
            kind = entry.translationType() == ContextEntry.TT_PASS_THROUGH ? KIND_PASS_THROUGH : KIND_SECOND_STAGE;
            kindRoot = entry.secondStageRoot();
            kindAw = entry.addressWidth();
            kindSlee = false;
        }
        else
        {
            final PasidEntry entry = pasidEntry;
            kind = pgtt == PasidEntry.PGTT_PASS_THROUGH ? KIND_PASS_THROUGH :
                pgtt == PasidEntry.PGTT_SECOND_STAGE ? KIND_SECOND_STAGE : KIND_FIRST_STAGE;
            kindRoot = entry.secondStageRoot();
            kindAw = entry.addressWidth();
            kindSlee = entry.secondStageExecute();
            kindSre = entry.supervisorRequests();
            kindEre = entry.executeRequests();
            kindWpe = entry.writeProtect();
        }
        kindInputWidth = inputWidth(kindAw);
    }

    private boolean passThrough(final long address, final RequestOutcome out)
    {
        return translated(address, PhysicalMemory.FRAME_SIZE_LG2, Permissions.ALL, false, out);
    }

    private boolean secondStageOnly(final long address, final int access, final long root, final int aw, final boolean slee,
        final RequestOutcome out)
    {
        // The input width min(AGAW, MGAW) of this context's AW, derived with the kind (inputWidth(aw)).
        if ((address >>> kindInputWidth) != 0)
        {
            return fail(secondStageCode(VtdFaultReason.SM_ADDRESS_BEYOND_MAX, VtdFaultReason.ADDRESS_BEYOND_MGAW));
        }
        final int stageAccess = access & (slee ? Permissions.READ_WRITE | Permissions.EXECUTE : Permissions.READ_WRITE);
        final long tag = iotlbTag;
        return iotlbLookup(tag, address, stageAccess, 0, out) || secondStageWalk(address, access, root, aw, slee, tag, stageAccess, out);
    }

    /**
     * {@link #secondStageOnly} after an IOTLB miss: walk, fill the IOTLB. Out of line so that the IOTLB-hit path stays
     * small (the compiled hit path then carries none of the walk's register pressure).
     */
    private boolean secondStageWalk(final long address, final int access, final long root, final int aw, final boolean slee,
        final long tag, final int stageAccess, final RequestOutcome out)
    {
        final VtdSecondStageFormat format = secondStageFormat(aw + 2, slee);
        if (!(secondStageWalkCache == null ?
            Walker.walk(format, hostView.direct(), root, address, stageAccess, Permissions.ALL, walk) :
            secondStageWalkCache.walk(format, hostView.direct(), root, tag, address, stageAccess, Permissions.ALL, walk)))
        {
            return secondStageFault(walk, hostView, access, out);
        }
        int flags = CachedTranslation.DIRTY;
        if (secondStageAccessedDirty)
        {
            flags = markAccessedDirty(format, memory, walk, writes(access, walk.permissions()));
        }
        iotlbFill(tag, address, walk.outputAddress(), walk.pageSizeLg2(), walk.permissions(), flags);
        return translated(walk.outputAddress(), walk.pageSizeLg2(), walk.permissions(), false, out);
    }

    /**
     * Whether a request with {@code access} (0: an ATS translation request) dirties the page of a translation granting
     * {@code permissions}: a write; or a translation request answered with W, since the device may then write without
     * another request to the IOMMU (choice, docs/vtd.md "Dirty tracking").
     */
    private static boolean writes(final int access, final int permissions)
    {
        return (access & Permissions.WRITE) != 0 || (access == 0 && (permissions & Permissions.WRITE) != 0);
    }

    /**
     * The hardware's A/D update after a successful walk of a tracked stage: A in every entry the walk used, D in the
     * leaf when {@code dirty}, each an atomic read-modify-write done only when a flag the entry was read with is
     * missing ({@link AccessedDirty#mark}). Returns {@link CachedTranslation#DIRTY} when the leaf now carries D (or
     * the translation grants no write, so nothing can dirty it), else 0: the IOTLB entry says whether a write must
     * walk again.
     */
    private static int markAccessedDirty(final PageTableFormat format, final PhysicalMemory tables, final WalkResult result,
        final boolean dirty)
    {
        final int count = result.entryCount();
        final int leafLevel = result.entryLevel(count - 1);
        final long leafDirty = format.dirtyFlag(leafLevel);
        boolean missing = dirty && (result.entryValue(count - 1) & leafDirty) == 0;
        for (int i = 0; i < count && !missing; i++)
        {
            final long accessed = format.accessedFlag(result.entryLevel(i));
            missing = (result.entryValue(i) & accessed) != accessed;
        }
        if (missing)
        {
            AccessedDirty.mark(format, tables, result, dirty);
        }
        return dirty || (result.entryValue(count - 1) & leafDirty) != 0 || (result.permissions() & Permissions.WRITE) == 0 ?
            CachedTranslation.DIRTY : 0;
    }

    private boolean firstStage(final long address, final int access, final boolean privileged, final RequestOutcome out)
    {
        out.firstStage(true);
        if (privileged && !kindSre)
        {
            return fail(VtdFaultReason.SM_SRE_CLEAR);
        }
        if ((access & Permissions.EXECUTE) != 0 && !kindEre)
        {
            return fail(VtdFaultReason.SM_ERE_CLEAR);
        }
        // WPE clear: supervisor writes ignore R/W (CR0.WP = 0 semantics); the permission is granted afterwards.
        final boolean writeOverride = privileged && !kindWpe;
        final int stageAccess = access == 0 ? 0 : (access & (writeOverride ? ~Permissions.WRITE : -1)) |
            (privileged ? 0 : Permissions.USER);
        final int granted = writeOverride ? Permissions.WRITE : 0;
        return iotlbLookup(iotlbTag, address, stageAccess, granted, out) || firstStageWalk(address, access, stageAccess, granted, out);
    }

    /**
     * {@link #firstStage} after an IOTLB miss: the first-stage (or nested) walk, the IOTLB fill. Out of line so that
     * the IOTLB-hit path is small enough to be inlined.
     */
    private boolean firstStageWalk(final long address, final int access, final int stageAccess, final int granted,
        final RequestOutcome out)
    {
        final long tag = iotlbTag;
        final PasidEntry entry = pasidEntry;
        final X86Format format = firstStageFormat(entry.firstStageLevels());
        final boolean nested = pgtt == PasidEntry.PGTT_NESTED;
        final int aw = entry.addressWidth();
        final VtdSecondStageFormat ss = nested ? secondStageFormat(aw + 2, entry.secondStageExecute()) : null;
        final long ssRoot = entry.secondStageRoot();
        final StageMemory view = nested ? tableView.nested(ss, ssRoot, domainId) : hostView.direct();
        if (!(firstStageWalkCache == null ?
            Walker.walk(format, view, entry.firstStageRoot(), address, stageAccess, Permissions.ALL, walk) :
            firstStageWalkCache.walk(format, view, entry.firstStageRoot(), tag, address, stageAccess, Permissions.ALL, walk)))
        {
            return firstStageFault(view, stageAccess, out);
        }
        long output = walk.outputAddress();
        int sizeLg2 = walk.pageSizeLg2();
        int perms = walk.permissions();
        if (nested)
        {
            // The final GPA goes through the second stage too.
            if ((output >>> inputWidth(aw)) != 0)
            {
                return fail(VtdFaultReason.NESTED_FS_ADDRESS_BEYOND_MGAW);
            }
            final int ssAccess = stageAccess & (ss.impliedPermissions() ^ Permissions.ALL);
            if (!Walker.walk(ss, hostView.direct(), ssRoot, output, ssAccess, Permissions.ALL, finalWalk))
            {
                return secondStageFault(finalWalk, hostView, access, out);
            }
            output = finalWalk.outputAddress();
            sizeLg2 = Math.min(sizeLg2, finalWalk.pageSizeLg2());
            perms &= finalWalk.permissions();
        }
        // Both tracked stages must carry D for a write to use the cached translation without a walk.
        final boolean dirty = writes(access, perms | granted);
        int flags = markAccessedDirty(format, view, walk, dirty);
        if (nested && secondStageAccessedDirty)
        {
            flags &= markAccessedDirty(ss, memory, finalWalk, dirty);
        }
        iotlbFill(tag, address, output, sizeLg2, perms, flags);
        return translated(output, sizeLg2, perms | granted, false, out);
    }

    private boolean firstStageFault(final StageMemory view, final int stageAccess, final RequestOutcome out)
    {
        if (view.error() == StageMemory.SECOND_STAGE_FAULT)
        {
            final WalkResult ssWalk = view.secondStageWalk();
            final StageMemory ssHost = view.secondStageHost();
            if (ssHost.error() == StageMemory.ACCESS_ERROR)
            {
                return fail(ssHost.errorFetch() == 1 ? VtdFaultReason.SS_ROOT_ACCESS : VtdFaultReason.SS_ENTRY_ACCESS);
            }
            out.walkFault(ssWalk.fault());
            switch (ssWalk.fault())
            {
                case ADDRESS_WIDTH:
                    return fail(VtdFaultReason.NESTED_FS_ADDRESS_BEYOND_MGAW);
                case RESERVED_BIT:
                case BAD_LEVEL_ENCODING:
                    return fail(VtdFaultReason.SS_ENTRY_RESERVED);
                default:
                    return fail(view.errorFetch() == 1 ? VtdFaultReason.NESTED_FS_ROOT_READ : VtdFaultReason.NESTED_FS_ENTRY_READ);
            }
        }
        if (view.error() == StageMemory.ACCESS_ERROR)
        {
            return fail(view.errorFetch() == 1 ? VtdFaultReason.FS_ROOT_ACCESS : VtdFaultReason.FS_ENTRY_ACCESS);
        }
        out.walkFault(walk.fault());
        switch (walk.fault())
        {
            case ADDRESS_WIDTH:
                return fail(VtdFaultReason.FS_NOT_CANONICAL);
            case NOT_PRESENT:
                noTranslation = true;
                return fail(VtdFaultReason.FS_ENTRY_NOT_PRESENT);
            case RESERVED_BIT:
            case BAD_LEVEL_ENCODING:
                return fail(VtdFaultReason.FS_ENTRY_RESERVED);
            default:
                noTranslation = true;
                final int missing = stageAccess & ~walk.permissions();
                if ((missing & Permissions.USER) != 0)
                {
                    return fail(VtdFaultReason.FS_USER);
                }
                if ((missing & Permissions.WRITE) != 0)
                {
                    return fail(VtdFaultReason.FS_WRITE);
                }
                return fail(VtdFaultReason.FS_EXECUTE);
        }
    }

    private boolean secondStageFault(final WalkResult result, final StageMemory view, final int access, final RequestOutcome out)
    {
        if (view.error() == StageMemory.ACCESS_ERROR)
        {
            if (view.errorFetch() == 1)
            {
                return fail(scalable ? VtdFaultReason.SS_ROOT_ACCESS : VtdFaultReason.CONTEXT_ENTRY_INVALID);
            }
            return fail(secondStageCode(VtdFaultReason.SS_ENTRY_ACCESS, VtdFaultReason.PAGING_ENTRY_ACCESS));
        }
        final WalkFault walkFault = result.fault();
        out.walkFault(walkFault);
        if (walkFault == WalkFault.RESERVED_BIT || walkFault == WalkFault.BAD_LEVEL_ENCODING)
        {
            return fail(secondStageCode(VtdFaultReason.SS_ENTRY_RESERVED, VtdFaultReason.PAGING_ENTRY_RESERVED));
        }
        if (walkFault == WalkFault.ADDRESS_WIDTH)
        {
            return fail(secondStageCode(VtdFaultReason.SM_ADDRESS_BEYOND_MAX, VtdFaultReason.ADDRESS_BEYOND_MGAW));
        }
        noTranslation = true;
        if (scalable && config.scalableSecondStageCodes)
        {
            return fail(VtdFaultReason.SS_PERMISSION);
        }
        return fail((access & Permissions.WRITE) != 0 ? VtdFaultReason.WRITE : VtdFaultReason.READ);
    }

    /** An IOTLB hit that grants {@code access}: the translation, with {@code granted} added to its permissions. */
    private boolean iotlbLookup(final long tag, final long address, final int access, final int granted, final RequestOutcome out)
    {
        // One lookup over the three page sizes, smallest first (as the sizes are filled: 4 KiB, 2 MiB, 1 GiB).
        final int slot = iotlb.lookupPage(tag, address, IOTLB_PAGE_SIZES);
        if (slot == TranslationCache.MISS)
        {
            return false;
        }
        final int attribute = iotlb.attribute(slot);
        if (!CachedTranslation.grants(attribute, access))
        {
            // Walk again: the fault is reported from the tables, as a permission miss.
            return false;
        }
        if ((attribute & CachedTranslation.DIRTY) == 0 && ((access & Permissions.WRITE) != 0 || access == 0))
        {
            // Dirty tracking: the page is clean as far as this entry knows; the write walks to mark it dirty.
            return false;
        }
        // Every VT-d IOTLB entry is filled at its page size (iotlbFill, TrustedPath): the attribute's size is the entry's.
        final int sizeLg2 = CachedTranslation.pageSizeLg2(attribute);
        return translated(CachedTranslation.outputAddress(iotlb, slot, address, sizeLg2), sizeLg2,
            CachedTranslation.permissions(attribute) | granted, true, out);
    }

    private void iotlbFill(final long tag, final long address, final long output, final int sizeLg2, final int perms, final int flags)
    {
        final int size = Math.min(sizeLg2, LARGEST_PAGE_LG2);
        CachedTranslation.fill(iotlb, tag, address, size, output, perms, size, flags);
    }

    /** The translation, unless its output is in the interrupt range (with the check on): then the fault. */
    private boolean translated(final long output, final int sizeLg2, final int perms, final boolean iotlbHit,
        final RequestOutcome out)
    {
        if (config.interruptRangeCheck && InterruptRange.contains(output))
        {
            return fail(scalable ? secondStageCode(VtdFaultReason.SM_INTERRUPT_ADDRESS, VtdFaultReason.INTERRUPT_ADDRESS) :
                VtdFaultReason.INTERRUPT_ADDRESS);
        }
        out.translated(output, sizeLg2, perms).iotlbHit(iotlbHit);
        return true;
    }

    private boolean fail(final VtdFaultReason reason)
    {
        fault = reason;
        return false;
    }

    private VtdFaultReason secondStageCode(final VtdFaultReason scalableCode, final VtdFaultReason legacyCode)
    {
        return scalable && config.scalableSecondStageCodes ? scalableCode : legacyCode;
    }

    /** Input width of a second stage with AW: min(AGAW = 30 + 9 AW, MGAW). */
    private int inputWidth(final int aw)
    {
        return Math.min(30 + 9 * aw, mgaw);
    }
}
