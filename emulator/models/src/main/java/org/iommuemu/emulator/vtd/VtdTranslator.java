package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.TranslationCache;
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
 * state of the last lookup (fault reason, FPD, domain, translation) is left in this object's fields for the
 * model to read: one instance per model, re-pointed per request, nothing allocated.
 * <p>
 * Cache tags: the context cache is tagged by requester ID (partition 0 legacy, 1 scalable) and holds the
 * entry's first quadword as the value and the low half of the second as the attribute; the PASID cache is
 * tagged by requester ID and PASID, one slot per entry holding q0 as the value, the DID (and the directory's FPD)
 * as the attribute and q2 in {@link #pasidQuadword2}; the IOTLB is tagged by DID and PASID (none in legacy mode;
 * RID_PASID for requests without PASID in scalable mode; the PGTT as the partition for first-stage and nested
 * translations) and keyed by input page at 4 KiB, 2 MiB and 1 GiB.
 */
final class VtdTranslator
{
    static final int LARGEST_PAGE_LG2 = 30;
    private static final long INTERRUPT_FIRST = 0xFEE0_0000L;
    private static final long INTERRUPT_LAST = 0xFEEF_FFFFL;
    private static final int FPD_ATTRIBUTE = 1 << 16;
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
     * Quadword 2 of the PASID entry cached in each slot of {@link #pasidCache} (whose value holds quadword 0 and
     * whose attribute the DID and FPD): one slot per PASID entry, as a PASID cache holds whole entries, and one lookup
     * per request. Valid while the slot's entry is (the cache owns validity and eviction).
     */
    private final long[] pasidQuadword2;
    private final TranslationCache iotlb;
    private final VtdSecondStageFormat[] secondStage = new VtdSecondStageFormat[12];
    private final X86Format[] firstStage = new X86Format[2];
    private final StageMemory hostView;
    private final StageMemory tableView;
    private final WalkResult walk = new WalkResult();
    private final WalkResult finalWalk = new WalkResult();

    // The last lookup.
    VtdFaultReason fault;
    /** The fault is "no translation" at the last stage (not present or not permitted), not a structure error. */
    boolean noTranslation;
    boolean fpd;
    boolean deviceTlbAllowed;
    boolean scalable;
    int domainId;
    int pasid;
    int pgtt;
    long outputAddress;
    int pageSizeLg2;
    int permissions;
    boolean iotlbHit;
    // Context entry of the last lookup.
    private long context0;
    private long context1;
    private long pasid0;
    private long pasid2;
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

    private org.iommuemu.emulator.cache.PageWalkCache secondStageWalkCache;
    private org.iommuemu.emulator.cache.PageWalkCache firstStageWalkCache;

    void walkCaches(final org.iommuemu.emulator.cache.PageWalkCache secondStage, final org.iommuemu.emulator.cache.PageWalkCache firstStage)
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

    /** Forget the translation of the last request (its context stays). */
    private void clearTranslation()
    {
        // The reference field only when it changes: a reference store costs the collector's write barriers.
        if (fault != null)
        {
            fault = null;
        }
        noTranslation = false;
        outputAddress = 0;
        pageSizeLg2 = 0;
        permissions = 0;
        iotlbHit = false;
    }

    private void reset()
    {
        clearTranslation();
        fpd = false;
        deviceTlbAllowed = false;
        domainId = 0;
        pasid = -1;
        pgtt = 0;
    }

    /**
     * Find the context (and in scalable mode the PASID entry) of a request.
     *
     * @param rootTable   the latched root table address.
     * @param ttm         the latched RTADDR.TTM.
     * @param requestPasid the request's PASID, or negative.
     * @return false with {@link #fault} set when a structure faults.
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
        if (ttm > VtdRegisters.TTM_SCALABLE || (scalable && (ecap & VtdRegisters.ECAP_SMTS) == 0))
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
        if (slot != TranslationCache.MISS)
        {
            contextSlot = slot;
            context0 = contextCache.value(slot);
            context1 = contextCache.attribute(slot) & 0xFFFF_FFFFL;
        }
        else if (!legacyContextMiss(rootTable, requesterId, tag))
        {
            return false;
        }
        fpd = ContextEntry.faultProcessingDisabled(context0);
        domainId = ContextEntry.domainId(context1);
        deviceTlbAllowed = ContextEntry.translationType(context0) == ContextEntry.TT_DEVICE_TLB;
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
        context0 = memory.readEntry(contextAddress);
        context1 = memory.readEntry(contextAddress + 8);
        fpd = ContextEntry.faultProcessingDisabled(context0);
        if (!ContextEntry.present(context0))
        {
            return fail(VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT);
        }
        if (ContextEntry.reserved(context0, context1, haw))
        {
            return fail(VtdFaultReason.CONTEXT_ENTRY_RESERVED);
        }
        final int tt = ContextEntry.translationType(context0);
        if (tt == 3 || (tt == ContextEntry.TT_DEVICE_TLB && (ecap & VtdRegisters.ECAP_DT) == 0) ||
            (tt == ContextEntry.TT_PASS_THROUGH && (ecap & VtdRegisters.ECAP_PT) == 0) ||
            (tt != ContextEntry.TT_PASS_THROUGH && !sagawSupports(ContextEntry.addressWidth(context1))))
        {
            return fail(VtdFaultReason.CONTEXT_ENTRY_INVALID);
        }
        contextSlot = contextCache.insert(tag, requesterId, context0, (int)context1);
        return true;
    }

    private boolean scalableContext(final long rootTable, final int requesterId, final int requestPasid)
    {
        final long tag = CacheTag.of(0, CacheTag.NO_PASID, requesterId, false, 1);
        final int slot = contextCache.lookup(tag, requesterId);
        if (slot != TranslationCache.MISS)
        {
            contextSlot = slot;
            context0 = contextCache.value(slot);
            context1 = contextCache.attribute(slot) & 0xFFFF_FFFFL;
        }
        else if (!scalableContextMiss(rootTable, requesterId, tag))
        {
            return false;
        }
        fpd = ScalableContextEntry.faultProcessingDisabled(context0);
        deviceTlbAllowed = ScalableContextEntry.deviceTlbEnabled(context0) && (ecap & VtdRegisters.ECAP_DT) != 0;

        final int directoryEntries = ScalableContextEntry.directoryEntries(context0);
        if (requestPasid >= 0)
        {
            if (!ScalableContextEntry.pasidEnabled(context0))
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
            pasid = ScalableContextEntry.ridPasid(context1);
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
        context0 = memory.readEntry(contextAddress);
        context1 = memory.readEntry(contextAddress + 8);
        final long q2 = memory.readEntry(contextAddress + 16);
        final long q3 = memory.readEntry(contextAddress + 24);
        fpd = ScalableContextEntry.faultProcessingDisabled(context0);
        if (!ScalableContextEntry.present(context0))
        {
            return fail(VtdFaultReason.SM_CONTEXT_ENTRY_NOT_PRESENT);
        }
        if (ScalableContextEntry.reserved(context0, context1, q2, q3, haw))
        {
            return fail(VtdFaultReason.SM_CONTEXT_ENTRY_RESERVED);
        }
        contextSlot = contextCache.insert(tag, requesterId, context0, (int)context1);
        return true;
    }

    private boolean pasidEntry(final int requesterId)
    {
        final long tag = CacheTag.of(0, pasid, requesterId, false, 0);
        final int slot = pasidCache.lookup(tag, pasid);
        if (slot != TranslationCache.MISS)
        {
            pasidSlot = slot;
            pasid0 = pasidCache.value(slot);
            final int attribute = pasidCache.attribute(slot);
            domainId = attribute & 0xFFFF;
            fpd |= (attribute & FPD_ATTRIBUTE) != 0 || PasidEntry.faultProcessingDisabled(pasid0);
            pasid2 = pasidQuadword2[slot];
        }
        else if (!pasidEntryMiss(tag))
        {
            return false;
        }
        pgtt = PasidEntry.pgtt(pasid0);
        return true;
    }

    /**
     * {@link #pasidEntry} when the PASID cache missed: read the PASID directory and table entries, check them and fill
     * the cache. Out of line so that the cache-hit path stays small enough for the JIT to inline.
     */
    private boolean pasidEntryMiss(final long tag)
    {
        final long directoryAddress = PasidDirectoryEntry.address(ScalableContextEntry.pasidDirectory(context0), pasid);
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
        pasid0 = memory.readEntry(entryAddress);
        final long q1 = memory.readEntry(entryAddress + 8);
        pasid2 = memory.readEntry(entryAddress + 16);
        long upper = 0;
        for (int i = 3; i < PasidEntry.QUADWORDS; i++)
        {
            upper |= memory.readEntry(entryAddress + i * 8L);
        }
        fpd |= PasidEntry.faultProcessingDisabled(pasid0);
        if (!PasidEntry.present(pasid0))
        {
            return fail(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT);
        }
        if (upper != 0 || PasidEntry.reserved(pasid0, q1, pasid2, haw))
        {
            return fail(VtdFaultReason.SM_PASID_ENTRY_RESERVED);
        }
        if (!pasidEntryValid(pasid0, pasid2))
        {
            return fail(VtdFaultReason.SM_PASID_ENTRY_INVALID);
        }
        domainId = PasidEntry.domainId(q1);
        final int slot = pasidCache.insert(tag, pasid, pasid0, domainId | (directoryFpd ? FPD_ATTRIBUTE : 0));
        pasidQuadword2[slot] = pasid2;
        pasidSlot = slot;
        return true;
    }

    private boolean pasidEntryValid(final long q0, final long q2)
    {
        final int type = PasidEntry.pgtt(q0);
        final boolean usesSecond = type == PasidEntry.PGTT_SECOND_STAGE || type == PasidEntry.PGTT_NESTED;
        final boolean usesFirst = type == PasidEntry.PGTT_FIRST_STAGE || type == PasidEntry.PGTT_NESTED;
        switch (type)
        {
            case PasidEntry.PGTT_FIRST_STAGE:
                if ((ecap & VtdRegisters.ECAP_FLTS) == 0)
                {
                    return false;
                }
                break;
            case PasidEntry.PGTT_SECOND_STAGE:
                if ((ecap & VtdRegisters.ECAP_SLTS) == 0)
                {
                    return false;
                }
                break;
            case PasidEntry.PGTT_NESTED:
                if ((ecap & VtdRegisters.ECAP_NEST) == 0)
                {
                    return false;
                }
                break;
            case PasidEntry.PGTT_PASS_THROUGH:
                return (ecap & VtdRegisters.ECAP_PT) != 0;
            default:
                return false;
        }
        if (usesSecond && !sagawSupports(PasidEntry.addressWidth(q0)))
        {
            return false;
        }
        final int firstLevels = PasidEntry.firstStageLevels(q2);
        return !usesFirst || firstLevels == 4 || (firstLevels == 5 && (cap & VtdRegisters.CAP_FS5LP) != 0);
    }

    /**
     * Translate {@code address} after a successful {@link #context}.
     *
     * @param access     {@link Permissions} bits the request needs (READ/WRITE, EXECUTE for an execute
     *                   request); 0 for an ATS translation request (find the translation, check nothing).
     * @param privileged the request's Privileged Mode Requested flag.
     * @return false with {@link #fault} set.
     */
    boolean translate(final long address, final int access, final boolean privileged)
    {
        if (!scalable)
        {
            if (ContextEntry.translationType(context0) == ContextEntry.TT_PASS_THROUGH)
            {
                return passThrough(address);
            }
            final int aw = ContextEntry.addressWidth(context1);
            return secondStageOnly(address, access, ContextEntry.secondStageRoot(context0), aw, false);
        }
        switch (pgtt)
        {
            case PasidEntry.PGTT_PASS_THROUGH:
                return passThrough(address);
            case PasidEntry.PGTT_SECOND_STAGE:
                return secondStageOnly(address, access, PasidEntry.secondStageRoot(pasid0), PasidEntry.addressWidth(pasid0),
                    PasidEntry.secondStageExecute(pasid0));
            default:
                return firstStage(address, access, privileged);
        }
    }

    private boolean passThrough(final long address)
    {
        return translated(address, PhysicalMemory.FRAME_SIZE_LG2, Permissions.ALL);
    }

    private boolean secondStageOnly(final long address, final int access, final long root, final int aw, final boolean slee)
    {
        if ((address >>> inputWidth(aw)) != 0)
        {
            return fail(secondStageCode(VtdFaultReason.SM_ADDRESS_BEYOND_MAX, VtdFaultReason.ADDRESS_BEYOND_MGAW));
        }
        final int stageAccess = access & (slee ? Permissions.READ_WRITE | Permissions.EXECUTE : Permissions.READ_WRITE);
        final long tag = iotlbTag;
        return iotlbLookup(tag, address, stageAccess) || secondStageWalk(address, access, root, aw, slee, tag, stageAccess);
    }

    /**
     * {@link #secondStageOnly} after an IOTLB miss: walk, fill the IOTLB. Out of line so that the IOTLB-hit path stays
     * small (the compiled hit path then carries none of the walk's register pressure).
     */
    private boolean secondStageWalk(final long address, final int access, final long root, final int aw, final boolean slee,
        final long tag, final int stageAccess)
    {
        final VtdSecondStageFormat format = secondStageFormat(aw + 2, slee);
        if (!(secondStageWalkCache == null ?
            Walker.walk(format, hostView.direct(), root, address, stageAccess, Permissions.ALL, walk) :
            secondStageWalkCache.walk(format, hostView.direct(), root, tag, address, stageAccess, Permissions.ALL, walk)))
        {
            return secondStageFault(walk, hostView, access);
        }
        iotlbFill(tag, address, walk.outputAddress(), walk.pageSizeLg2(), walk.permissions());
        return translated(walk.outputAddress(), walk.pageSizeLg2(), walk.permissions());
    }

    private boolean firstStage(final long address, final int access, final boolean privileged)
    {
        if (privileged && !PasidEntry.supervisorRequests(pasid2))
        {
            return fail(VtdFaultReason.SM_SRE_CLEAR);
        }
        if ((access & Permissions.EXECUTE) != 0 && !PasidEntry.executeRequests(pasid2))
        {
            return fail(VtdFaultReason.SM_ERE_CLEAR);
        }
        // WPE clear: supervisor writes ignore R/W (CR0.WP = 0 semantics); the permission is granted afterwards.
        final boolean writeOverride = privileged && (pasid2 & PasidEntry.WPE) == 0;
        final int stageAccess = access == 0 ? 0 : (access & (writeOverride ? ~Permissions.WRITE : -1)) |
            (privileged ? 0 : Permissions.USER);
        final int granted = writeOverride ? Permissions.WRITE : 0;
        if (iotlbLookup(iotlbTag, address, stageAccess))
        {
            permissions |= granted;
            return true;
        }
        return firstStageWalk(address, access, stageAccess, granted);
    }

    /**
     * {@link #firstStage} after an IOTLB miss: the first-stage (or nested) walk, the IOTLB fill. Out of line so that
     * the IOTLB-hit path is small enough to be inlined.
     */
    private boolean firstStageWalk(final long address, final int access, final int stageAccess, final int granted)
    {
        final long tag = iotlbTag;
        final X86Format format = firstStageFormat(PasidEntry.firstStageLevels(pasid2));
        final boolean nested = pgtt == PasidEntry.PGTT_NESTED;
        final int aw = PasidEntry.addressWidth(pasid0);
        final VtdSecondStageFormat ss = nested ? secondStageFormat(aw + 2, PasidEntry.secondStageExecute(pasid0)) : null;
        final long ssRoot = PasidEntry.secondStageRoot(pasid0);
        final StageMemory view = nested ? tableView.nested(ss, ssRoot, domainId) : hostView.direct();
        if (!(firstStageWalkCache == null ?
            Walker.walk(format, view, PasidEntry.firstStageRoot(pasid2), address, stageAccess, Permissions.ALL, walk) :
            firstStageWalkCache.walk(format, view, PasidEntry.firstStageRoot(pasid2), tag, address, stageAccess, Permissions.ALL, walk)))
        {
            return firstStageFault(view, stageAccess);
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
                return secondStageFault(finalWalk, hostView, access);
            }
            output = finalWalk.outputAddress();
            sizeLg2 = Math.min(sizeLg2, finalWalk.pageSizeLg2());
            perms &= finalWalk.permissions();
        }
        iotlbFill(tag, address, output, sizeLg2, perms);
        return translated(output, sizeLg2, perms | granted);
    }

    private boolean firstStageFault(final StageMemory view, final int stageAccess)
    {
        if (view.error() == StageMemory.SECOND_STAGE_FAULT)
        {
            final WalkResult ssWalk = view.secondStageWalk();
            final StageMemory ssHost = view.secondStageHost();
            if (ssHost.error() == StageMemory.ACCESS_ERROR)
            {
                return fail(ssHost.errorFetch() == 1 ? VtdFaultReason.SS_ROOT_ACCESS : VtdFaultReason.SS_ENTRY_ACCESS);
            }
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

    private boolean secondStageFault(final WalkResult result, final StageMemory view, final int access)
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

    private boolean iotlbLookup(final long tag, final long address, final int access)
    {
        // One lookup over the three page sizes, smallest first (as the sizes are filled: 4 KiB, 2 MiB, 1 GiB).
        final int slot = iotlb.lookupPage(tag, address, IOTLB_PAGE_SIZES);
        if (slot == TranslationCache.MISS)
        {
            return false;
        }
        final int attribute = iotlb.attribute(slot);
        final int perms = attribute & Permissions.ALL;
        if ((access & ~perms) != 0)
        {
            // Walk again: the fault is reported from the tables, as a permission miss.
            return false;
        }
        iotlbHit = true;
        final int size = attribute >>> 8;
        return translated(iotlb.value(slot) | (address & ((1L << size) - 1)), size, perms);
    }

    private void iotlbFill(final long tag, final long address, final long output, final int sizeLg2, final int perms)
    {
        final int size = Math.min(sizeLg2, LARGEST_PAGE_LG2);
        iotlb.insert(tag, CacheKey.of(address, size), output & (-1L << size), perms | (size << 8));
    }

    private boolean translated(final long output, final int sizeLg2, final int perms)
    {
        outputAddress = output;
        pageSizeLg2 = sizeLg2;
        permissions = perms;
        if (config.interruptRangeCheck && output >= INTERRUPT_FIRST && output <= INTERRUPT_LAST)
        {
            return fail(scalable ? secondStageCode(VtdFaultReason.SM_INTERRUPT_ADDRESS, VtdFaultReason.INTERRUPT_ADDRESS) :
                VtdFaultReason.INTERRUPT_ADDRESS);
        }
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

    private boolean sagawSupports(final int aw)
    {
        return aw <= 3 && (VtdRegisters.sagaw(cap) & (1 << aw)) != 0;
    }
}
