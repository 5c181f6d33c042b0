package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.AccessedDirty;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The AMD-Vi lookup of one request, in the order the hardware does it: the device table entry (the DTE cache, else
 * the device table), then the IOTLB, else a host (v1) walk, a guest (v2) walk through the GCR3 table, or both
 * nested ({@link GuestTranslation}), and the IOTLB fill. The translation goes into the caller's
 * {@link RequestOutcome} in place; a failed walk is an IO_PAGE_FAULT, written to the {@link AmdViEventLog} with the
 * flags the request and the walk's fault give. One instance per model, re-pointed per request; nothing allocated.
 * <p>
 * {@link #lookUp} points the one {@link DeviceTableEntry} flyweight ({@link #entry()}) at the request's DTE; the
 * other methods work on that entry. The IOTLB is tagged by DomainID and the PASID of the guest table that
 * translated (none for host translations), keyed by the input page at 4 KiB, 2 MiB or 1 GiB; its entries are
 * {@link CachedTranslation}s reporting the leaf's size, with {@link CachedTranslation#UNTRANSLATED_ONLY} for a host
 * leaf with U.
 */
final class AmdViTranslator
{
    /**
     * IOTLB entry sizes: 4 KiB, 2 MiB and 1 GiB. A leaf of another size (AMD-Vi v1 NextLevel=7 pages such as
     * 32 KiB or 4 MiB) is cached as the largest of these that fits inside it, as the translation for the one
     * fragment that was requested (a choice: AMD does not publish its IOTLB's entry sizes).
     */
    static final long IOTLB_SIZES = (1L << 12) | (1L << 21) | (1L << 30);

    private final PhysicalMemory memory;
    private final TranslationCache iotlb;
    private final DeviceTableCache deviceTableCache;
    private final DeviceTableEntry entry;
    private final GuestTranslation guest;
    private final AmdViOptions options;
    private final AmdViEventLog eventLog;
    /** SNP is enabled (an RMP check is configured): Mode 0 is illegal. */
    private final boolean snp;
    /** EFR.HASup and EFR.HDSup: DTE.HAD may enable access (01b) and access-and-dirty (11b) updates of host entries. */
    private final boolean accessedSupported;
    private final boolean dirtySupported;
    /** Host page-table entries written back to set A or D. */
    private long accessDirtyUpdates;
    private final WalkResult walk = new WalkResult();
    private final AmdV1Format[] formats = new AmdV1Format[7];
    private PageWalkCache hostWalkCache;

    // Register state the request path reads, set by the model on every software register write.
    private long deviceTableBase;
    private long deviceTableEntries;
    private boolean guestTranslationEnabled;
    private boolean gcr3IsGpa;

    // The request in progress.
    private int deviceId;
    private boolean untranslatedOnly;

    AmdViTranslator(final PhysicalMemory memory, final TranslationCache iotlb, final DeviceTableCache deviceTableCache,
        final TranslationCache gcr3Cache, final TranslationCache nestedCache, final AmdViOptions options,
        final AmdViEventLog eventLog, final boolean snp, final long extendedFeatures)
    {
        this.accessedSupported = (extendedFeatures & AmdViRegisters.EFR_HA_SUP) != 0;
        this.dirtySupported = (extendedFeatures & AmdViRegisters.EFR_HD_SUP) != 0;
        this.memory = memory;
        this.iotlb = iotlb;
        this.deviceTableCache = deviceTableCache;
        this.entry = deviceTableCache.entry();
        this.options = options;
        this.eventLog = eventLog;
        this.snp = snp;
        for (int mode = 1; mode <= 6; mode++)
        {
            formats[mode] = new AmdV1Format(mode);
        }
        this.guest = new GuestTranslation(memory, formats, gcr3Cache, nestedCache);
    }

    /** The registers the request path reads: DEV_TABLE_BASE (base and Size) and CONTROL (GTEn, GCR3TRPMode). */
    void registers(final long deviceTableBaseRegister, final long control)
    {
        deviceTableBase = deviceTableBaseRegister & AmdViRegisters.BASE_ADDRESS;
        deviceTableEntries = ((deviceTableBaseRegister & AmdViRegisters.DEVICE_TABLE_SIZE) + 1) *
            (PhysicalMemory.FRAME_SIZE / DeviceTableEntry.SIZE);
        guestTranslationEnabled = (control & AmdViRegisters.CONTROL_GT_EN) != 0;
        gcr3IsGpa = (control & AmdViRegisters.CONTROL_GCR3_TRP_MODE) != 0;
    }

    /** Page-walk caches in front of the host (v1) walks. */
    void hostWalkCache(final PageWalkCache walkCache)
    {
        hostWalkCache = walkCache;
    }

    /** The flyweight {@link #lookUp} points at the request's DTE. */
    DeviceTableEntry entry()
    {
        return entry;
    }

    /**
     * Find the DTE of {@code deviceId} (the DTE cache, else the device table) and point {@link #entry()} at it.
     *
     * @return false when the DeviceID is beyond the device table's Size (nothing is read).
     */
    boolean lookUp(final int deviceId)
    {
        if (!inDeviceTable(deviceId))
        {
            return false;
        }
        this.deviceId = deviceId;
        deviceTableCache.load(memory, DeviceTableEntry.address(deviceTableBase, deviceId), deviceId);
        return true;
    }

    /** Whether {@code deviceId} is within the device table's Size. */
    boolean inDeviceTable(final int deviceId)
    {
        return (deviceId & 0xFFFF) < deviceTableEntries;
    }

    /** Mode 7; Mode 0 with SNP (SNP forbids it); with GV, GLX 3 or a reserved GPM ({@link DeviceTableEntry#illegal}). */
    boolean illegal()
    {
        return entry.illegal(snp);
    }

    /** Whether there is no table to translate a request of {@code requestPasid} with: Mode 0, no guest table. */
    boolean noTable(final int requestPasid)
    {
        return entry.mode() == 0 && guestPasid(requestPasid) == CacheTag.NO_PASID && pasidAccepted(requestPasid);
    }

    /** The host leaf's U bit of the last successful {@link #translate} (false for guest-only translations). */
    boolean untranslatedOnly()
    {
        return untranslatedOnly;
    }

    /**
     * Translate through the host table, the guest table or both (after a successful {@link #lookUp} of a valid,
     * legal DTE with TV). On success the translation is in {@code out} (before any RMP check); on failure the
     * fault is logged and in {@code out}.
     *
     * @param access     {@link Permissions#READ} or {@link Permissions#WRITE}, with EXECUTE for an execute request;
     *                   0 for an ATS translation request (find the translation, check nothing).
     * @param extraFlags event flags the request adds (TR for translation requests).
     */
    boolean translate(final int requestPasid, final long address, final int access, final boolean privileged,
        final int extraFlags, final RequestOutcome out)
    {
        if (!pasidAccepted(requestPasid))
        {
            return eventLog.invalidDeviceRequest(out, deviceId, address,
                extraFlags | ((access & Permissions.WRITE) != 0 ? AmdViEvent.FLAG_RW : 0));
        }
        final int pasid = guestPasid(requestPasid);
        out.tagPasid(pasid);
        // The request's PASID as the event reports it: none when the PASID was dropped or supplied by GIOV.
        final int eventPasid = pasid == requestPasid ? requestPasid : CacheTag.NO_PASID;
        final boolean guestPath = pasid != CacheTag.NO_PASID;
        final int walkAccess = access | (guestPath && !privileged ? Permissions.USER : 0);
        final long tag = CacheTag.of(entry.domainId(), pasid, 0, false, 0);
        final int slot = iotlb.lookupPage(tag, address, IOTLB_SIZES);
        if (slot != TranslationCache.MISS)
        {
            final int attribute = iotlb.attribute(slot);
            // A write (or an ATS translation request, which may grant one) needs the entry to say the page is dirty
            // already, or untracked (DIRTY); else it walks, as hardware re-walks to set D.
            final int needed = (access & Permissions.WRITE) != 0 || access == 0 ? CachedTranslation.DIRTY : 0;
            if (CachedTranslation.grants(attribute, walkAccess) && (attribute & needed) == needed)
            {
                untranslatedOnly = CachedTranslation.has(attribute, CachedTranslation.UNTRANSLATED_ONLY);
                out.translated(CachedTranslation.outputAddress(iotlb, slot, address), CachedTranslation.pageSizeLg2(attribute),
                    CachedTranslation.permissions(attribute)).iotlbHit(true).firstStage(guestPath);
                return true;
            }
        }
        // The walk in a method of its own: the IOTLB hit path above stays small enough to be inlined.
        return walkAndFill(pasid, eventPasid, address, walkAccess,
            extraFlags | requestFlags(access, privileged, eventPasid, guestPath), tag, out);
    }

    /** The IOTLB missed (or refused the access): walk the host or guest tables, fill the IOTLB. */
    private boolean walkAndFill(final int pasid, final int eventPasid, final long address, final int walkAccess,
        final int flags, final long tag, final RequestOutcome out)
    {
        final DeviceTableEntry dte = entry;
        final long outputAddress;
        final int pageSizeLg2;
        final int permissions;
        int cacheFlags = CachedTranslation.DIRTY;
        if (pasid == CacheTag.NO_PASID)
        {
            final AmdV1Format format = formats[dte.mode()];
            if (!(hostWalkCache == null ?
                Walker.walk(format, memory, dte.root(), address, walkAccess, dte.permissions(), walk) :
                hostWalkCache.walk(format, memory, dte.root(), tag, address, walkAccess, dte.permissions(), walk)))
            {
                return eventLog.ioPageFault(out, deviceId, dte.domainId(), eventPasid, address, flags | faultFlags(walk.fault()),
                    walk.fault(), dte.faultsSuppressed());
            }
            outputAddress = walk.outputAddress();
            pageSizeLg2 = walk.pageSizeLg2();
            permissions = walk.permissions();
            // The host leaf's U bit (v1 PTE bit 59); guest-only translations have no host leaf.
            untranslatedOnly = (walk.entryValue(walk.entryCount() - 1) & AmdV1Format.U) != 0;
            if (dte.hostAccessDirty() != DeviceTableEntry.HAD_NONE)
            {
                cacheFlags = markAccessedDirty(format, dte.hostAccessDirty(), walkAccess);
            }
        }
        else
        {
            out.firstStage(true);
            if (!guest.translate(dte, deviceId, pasid, address, walkAccess, gcr3IsGpa))
            {
                final WalkFault fault = guest.fault();
                final int faultFlags = flags | faultFlags(fault);
                if (guest.stage() == GuestTranslation.STAGE_HOST &&
                    options.nestedFaultAddress() == AmdViOptions.NestedFaultAddress.GUEST_PHYSICAL_ADDRESS)
                {
                    return eventLog.ioPageFault(out, deviceId, dte.domainId(), CacheTag.NO_PASID, guest.faultAddress(),
                        faultFlags & ~(AmdViEvent.FLAG_US | AmdViEvent.FLAG_NX), fault, dte.faultsSuppressed());
                }
                return eventLog.ioPageFault(out, deviceId, dte.domainId(), eventPasid, address, faultFlags, fault,
                    dte.faultsSuppressed());
            }
            outputAddress = guest.outputAddress();
            pageSizeLg2 = guest.pageSizeLg2();
            permissions = guest.permissions();
            untranslatedOnly = guest.untranslatedOnly();
        }
        out.translated(outputAddress, pageSizeLg2, permissions);
        // One IOTLB entry of the leaf's size (4 KiB, 2 MiB or 1 GiB; other sizes as the fragment used), carrying the leaf size.
        CachedTranslation.fill(iotlb, tag, address, iotlbEntrySize(pageSizeLg2), outputAddress, permissions, pageSizeLg2,
            cacheFlags | (untranslatedOnly ? CachedTranslation.UNTRANSLATED_ONLY : 0));
        return true;
    }

    /**
     * Host access/dirty tracking after a successful host walk whose DTE sets HAD (confidential-io-extras.md 3.2): A in
     * every entry the walk used (HAD 01b with EFR.HASup, 11b with EFR.HDSup) and, for HAD 11b, D in the leaf on a write,
     * or on an ATS translation request whose answer grants write (the device may write through it without the IOMMU
     * seeing the write); each an atomic read-modify-write only when a flag is missing ({@link AccessedDirty#mark}).
     * Without the EFR bit the DTE's request is ignored (a choice). Returns {@link CachedTranslation#DIRTY} when a write
     * may use the cached translation as it is: not tracking D, the leaf now carries D, or the translation grants no
     * write; else 0, so a later write that hits it walks again and marks D.
     */
    private int markAccessedDirty(final AmdV1Format format, final int had, final int access)
    {
        final boolean trackDirty = had == DeviceTableEntry.HAD_ACCESSED_DIRTY && dirtySupported;
        if (!trackDirty && !(had == DeviceTableEntry.HAD_ACCESSED && accessedSupported))
        {
            return CachedTranslation.DIRTY;
        }
        final boolean grantsWrite = (walk.permissions() & Permissions.WRITE) != 0;
        final boolean dirty = trackDirty && ((access & Permissions.WRITE) != 0 || (access == 0 && grantsWrite));
        accessDirtyUpdates += AccessedDirty.mark(format, memory, walk, dirty);
        if (!trackDirty)
        {
            return CachedTranslation.DIRTY;
        }
        final int leaf = walk.entryCount() - 1;
        final boolean leafDirty = (walk.entryValue(leaf) & format.dirtyFlag(walk.entryLevel(leaf))) != 0;
        return dirty || leafDirty || !grantsWrite ? CachedTranslation.DIRTY : 0;
    }

    /** Host page-table entries written back to set A or D so far. */
    long accessDirtyUpdates()
    {
        return accessDirtyUpdates;
    }

    /**
     * SEV-TIO: translate {@code gpa} of a request with T = 1 through the host (v1) table of the looked-up DTE (valid and
     * legal): "only the host (v1) page table translates; the sDTE has no host-table root" (confidential-io-extras.md
     * 1.5). The walk starts from the DTE's IR/IW; the secure DTE's IR/IW ({@code secureIrIw}) are ANDed in on every
     * use, so a rewritten secure DTE needs no invalidation of the host translation. The IOTLB holds these
     * translations under the DTE's DomainID with the trusted tag bit: the hypervisor's invalidations of the domain
     * reach them, as they reach the table they came from, and untrusted requests never hit them. TV = 0 or Mode 0 is
     * an IO_PAGE_FAULT (there is no table to translate with); a failed walk is an IO_PAGE_FAULT at {@code gpa}.
     *
     * @param access     {@link Permissions#READ} or {@link Permissions#WRITE}.
     * @param secureIrIw the secure DTE's IR/IW as {@link Permissions} (with EXECUTE and USER, which v1 tables imply).
     */
    boolean translateTrusted(final long gpa, final int access, final int secureIrIw, final RequestOutcome out)
    {
        final DeviceTableEntry dte = entry;
        final int flags = (access & Permissions.WRITE) != 0 ? AmdViEvent.FLAG_RW : 0;
        if (!dte.translationValid() || dte.mode() == 0)
        {
            return eventLog.ioPageFault(out, deviceId, dte.domainId(), CacheTag.NO_PASID, gpa, flags, WalkFault.NOT_PRESENT,
                dte.faultsSuppressed());
        }
        final long tag = CacheTag.of(dte.domainId(), CacheTag.NO_PASID, 0, true, 0);
        final int slot = iotlb.lookupPage(tag, gpa, IOTLB_SIZES);
        if (slot != TranslationCache.MISS)
        {
            final int attribute = iotlb.attribute(slot);
            final int permissions = CachedTranslation.permissions(attribute) & secureIrIw;
            if ((access & ~permissions) == 0)
            {
                out.translated(CachedTranslation.outputAddress(iotlb, slot, gpa), CachedTranslation.pageSizeLg2(attribute),
                    permissions).iotlbHit(true);
                return true;
            }
        }
        final AmdV1Format format = formats[dte.mode()];
        if (!(hostWalkCache == null ?
            Walker.walk(format, memory, dte.root(), gpa, access & secureIrIw, dte.permissions(), walk) :
            hostWalkCache.walk(format, memory, dte.root(), tag, gpa, access & secureIrIw, dte.permissions(), walk)) ||
            (access & ~secureIrIw) != 0)
        {
            final WalkFault fault = walk.fault() == WalkFault.NONE ? WalkFault.PERMISSION : walk.fault();
            return eventLog.ioPageFault(out, deviceId, dte.domainId(), CacheTag.NO_PASID, gpa, flags | faultFlags(fault), fault,
                dte.faultsSuppressed());
        }
        out.translated(walk.outputAddress(), walk.pageSizeLg2(), walk.permissions() & secureIrIw);
        CachedTranslation.fill(iotlb, tag, gpa, iotlbEntrySize(walk.pageSizeLg2()), walk.outputAddress(), walk.permissions(),
            walk.pageSizeLg2(), CachedTranslation.DIRTY);
        return true;
    }

    /** The event flags a request carries whatever goes wrong: RW, NX for execute, US for a user guest request, GN. */
    static int requestFlags(final int access, final boolean privileged, final int eventPasid, final boolean guestPath)
    {
        return ((access & Permissions.WRITE) != 0 ? AmdViEvent.FLAG_RW : 0) |
            ((access & Permissions.EXECUTE) != 0 ? AmdViEvent.FLAG_NX : 0) |
            (guestPath && !privileged ? AmdViEvent.FLAG_US : 0) |
            (eventPasid != CacheTag.NO_PASID ? AmdViEvent.FLAG_GN : 0);
    }

    /** PR and PE for a permission fault (the page was present), RZ for a reserved bit or an illegal level. */
    private static int faultFlags(final WalkFault fault)
    {
        switch (fault)
        {
            case PERMISSION:
                return AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE;
            case RESERVED_BIT:
            case BAD_LEVEL_ENCODING:
                // The entry was present (an entry without PR has no other bits to check), so PR with RZ, as VirtualBox's
                // model writes it and as an x86 #PF has P with RSVD.
                return AmdViEvent.FLAG_PR | AmdViEvent.FLAG_RZ;
            default:
                return 0;
        }
    }

    /** Whether guest translation is on for this DTE: GV and Control.GTEn. */
    private boolean guestTranslationOn()
    {
        return entry.guestTranslationValid() && guestTranslationEnabled;
    }

    /** The PASID whose guest table translates the request, or NO_PASID for the host table alone. */
    private int guestPasid(final int requestPasid)
    {
        if (!guestTranslationOn())
        {
            return CacheTag.NO_PASID;
        }
        if (requestPasid != CacheTag.NO_PASID)
        {
            return requestPasid;
        }
        return entry.guestIoProtectionValid() ? 0 : CacheTag.NO_PASID;
    }

    /** False for a PASID request to a device without guest translation when the options refuse it. */
    private boolean pasidAccepted(final int requestPasid)
    {
        return requestPasid == CacheTag.NO_PASID || guestTranslationOn() ||
            options.pasidWithoutGuest() == AmdViOptions.PasidWithoutGuest.HOST_TRANSLATION;
    }

    /** The IOTLB entry size for a leaf of {@code leafLg2}: the largest of 4 KiB, 2 MiB and 1 GiB not above it. */
    static int iotlbEntrySize(final int leafLg2)
    {
        return leafLg2 >= 30 ? 30 : leafLg2 >= 21 ? 21 : 12;
    }
}
