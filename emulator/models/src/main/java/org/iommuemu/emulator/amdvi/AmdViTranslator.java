package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.PageWalkCache;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.platform.RequestOutcome;
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
        final AmdViEventLog eventLog, final boolean snp)
    {
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
        // The request's PASID as the event reports it: none when the PASID was dropped or supplied by GIOV.
        final int eventPasid = pasid == requestPasid ? requestPasid : CacheTag.NO_PASID;
        final boolean guestPath = pasid != CacheTag.NO_PASID;
        final int walkAccess = access | (guestPath && !privileged ? Permissions.USER : 0);
        final long tag = CacheTag.of(entry.domainId(), pasid, 0, false, 0);
        final int slot = iotlb.lookupPage(tag, address, IOTLB_SIZES);
        if (slot != TranslationCache.MISS)
        {
            final int attribute = iotlb.attribute(slot);
            if (CachedTranslation.grants(attribute, walkAccess))
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
            untranslatedOnly ? CachedTranslation.UNTRANSLATED_ONLY : 0);
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
                return AmdViEvent.FLAG_RZ;
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
