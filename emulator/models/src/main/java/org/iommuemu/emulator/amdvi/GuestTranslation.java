package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * AMD-Vi v2 (guest) translation of one request: the GCR3 table lookup of the PASID (through the GCR3 cache),
 * the x86-64 guest walk from that PASID's guest CR3, and, when the DTE also has a host table (Mode != 0), the
 * nested composition: every guest table fetch and the final GPA go through the host (v1) table.
 * <p>
 * How the walks compose: the one generic {@link Walker} walks the guest table over a
 * {@link HostTranslatedMemory} view, whose entry reads translate each GPA through the host table first;
 * the final GPA is then translated with the request's access. The result is the host output address, the
 * smaller of the two page sizes and the AND of both permissions. Without a host table the guest CR3 and the
 * guest table's addresses are system physical addresses.
 * <p>
 * The GCR3 table root pointer and the GCR3 table's own pointers are SPAs, or, with Control.GCR3TRPMode and a
 * host table, GPAs translated by it (reference amd-vi-rmp.md 3, "Nested mode"). The guest CR3 in a GCR3 entry is
 * a GPA whenever there is a host table.
 * <p>
 * PASID 0 decodes the full 48/57 bits with no sign extension; other PASIDs use canonical addresses
 * (reference amd-vi-rmp.md 3, Linux amd_iommu_domain_alloc_paging_v2).
 * <p>
 * Results are read through the accessors, re-pointed per request; allocation-free.
 */
final class GuestTranslation
{
    /** Where a failed translation stopped. */
    static final int STAGE_NONE = 0;
    /** The GCR3 table had no valid entry for the PASID (or the PASID is beyond its levels). */
    static final int STAGE_GCR3 = 1;
    /** The guest walk failed. */
    static final int STAGE_GUEST = 2;
    /** The host walk of a guest table fetch, a GCR3 table fetch, or the final GPA failed. */
    static final int STAGE_HOST = 3;

    private final PhysicalMemory memory;
    private final HostTranslatedMemory nestedView;
    private final AmdV1Format[] hostFormats;
    private final TranslationCache gcr3Cache;
    /** [levels == 5][PASID 0]: canonical and zero-extended 4- and 5-level formats. */
    private final X86Format[] guestFormats = {
        new X86Format(4), new X86Format(4, false, 52, true), new X86Format(5), new X86Format(5, false, 52, true)};
    private final WalkResult guestWalk = new WalkResult();

    private int stage;
    private WalkFault fault = WalkFault.NONE;
    private long faultAddress;
    private long outputAddress;
    private int pageSizeLg2;
    private int permissions;
    private boolean untranslatedOnly;

    GuestTranslation(final PhysicalMemory memory, final AmdV1Format[] hostFormats, final TranslationCache gcr3Cache,
        final TranslationCache nestedCache)
    {
        this.memory = memory;
        this.nestedView = new HostTranslatedMemory(memory, nestedCache);
        this.hostFormats = hostFormats;
        this.gcr3Cache = gcr3Cache;
    }

    /**
     * Translate {@code address} of {@code pasid} for a device whose DTE is {@code dte} (GV set, GLX and GPM legal,
     * Mode 0..6).
     *
     * @param access     {@link Permissions} the request needs, USER included for a non-privileged request.
     * @param gcr3IsGpa  Control.GCR3TRPMode.
     * @return true when translated and allowed; otherwise {@link #stage()}, {@link #fault()}, {@link #faultAddress()}.
     */
    boolean translate(final DeviceTableEntry dte, final int deviceId, final int pasid, final long address, final int access,
        final boolean gcr3IsGpa)
    {
        stage = STAGE_NONE;
        if (fault != WalkFault.NONE)
        {
            fault = WalkFault.NONE;
        }
        faultAddress = address;
        untranslatedOnly = false;
        final int mode = dte.mode();
        final boolean nested = mode != 0;
        if (nested)
        {
            nestedView.point(hostFormats[mode], dte.root(), dte.permissions(), dte.domainId());
        }
        final long cr3 = guestCr3(dte, deviceId, pasid, nested && gcr3IsGpa);
        if (stage != STAGE_NONE)
        {
            return false;
        }

        final X86Format format = guestFormats[
            (dte.guestPagingMode() == DeviceTableEntry.GPM_5_LEVEL ? 2 : 0) + (pasid == 0 ? 1 : 0)];
        // Without a host table the DTE's IR/IW are the guest walk's starting permissions; nested, the host walk
        // of the final GPA applies them.
        final int initial = nested ? Permissions.ALL : dte.permissions();
        if (!Walker.walk(format, nested ? nestedView : memory, cr3, address, access, initial, guestWalk))
        {
            if (nested && nestedView.faulted())
            {
                return hostFault();
            }
            stage = STAGE_GUEST;
            fault = guestWalk.fault();
            return false;
        }
        outputAddress = guestWalk.outputAddress();
        pageSizeLg2 = guestWalk.pageSizeLg2();
        permissions = guestWalk.permissions();
        if (!nested)
        {
            return true;
        }
        if (!nestedView.translate(outputAddress, access & Permissions.READ_WRITE))
        {
            return hostFault();
        }
        outputAddress = nestedView.outputAddress();
        pageSizeLg2 = Math.min(pageSizeLg2, nestedView.pageSizeLg2());
        permissions &= nestedView.permissions();
        untranslatedOnly = nestedView.untranslatedOnly();
        return true;
    }

    /** Where a failed translation stopped: {@link #STAGE_GCR3}, {@link #STAGE_GUEST} or {@link #STAGE_HOST}. */
    int stage()
    {
        return stage;
    }

    /** The walk fault of a failed translation (NOT_PRESENT for a missing GCR3 entry). */
    WalkFault fault()
    {
        return fault;
    }

    /** The address the failing walk was given (the GVA, or a GPA for the host stage). */
    long faultAddress()
    {
        return faultAddress;
    }

    long outputAddress()
    {
        return outputAddress;
    }

    int pageSizeLg2()
    {
        return pageSizeLg2;
    }

    int permissions()
    {
        return permissions;
    }

    /** The host leaf's U bit of a nested translation (false without a host table). */
    boolean untranslatedOnly()
    {
        return untranslatedOnly;
    }

    /** The failed host walk behind a {@link #STAGE_HOST} fault. */
    WalkResult hostWalk()
    {
        return nestedView.hostWalk();
    }

    /** The guest walk (for diagnosis). */
    WalkResult guestWalk()
    {
        return guestWalk;
    }

    private long guestCr3(final DeviceTableEntry dte, final int deviceId, final int pasid, final boolean tableIsGpa)
    {
        final long tag = CacheTag.of(dte.domainId(), pasid, deviceId, false, 0);
        final int slot = gcr3Cache.lookup(tag, 0);
        if (slot != TranslationCache.MISS)
        {
            return gcr3Cache.value(slot);
        }
        final int levels = dte.glx() + 1;
        if (!GuestCr3TableEntry.reaches(pasid, levels))
        {
            stage = STAGE_GCR3;
            fault = WalkFault.NOT_PRESENT;
            return 0;
        }
        long table = dte.gcr3Root();
        for (int level = levels - 1; level >= 0; level--)
        {
            final long entryAddress = table + GuestCr3TableEntry.offset(pasid, level);
            final long entry = tableIsGpa ? nestedView.readEntry(entryAddress) : memory.readEntry(entryAddress);
            if (tableIsGpa && nestedView.faulted())
            {
                hostFault();
                return 0;
            }
            if (!GuestCr3TableEntry.valid(entry))
            {
                stage = STAGE_GCR3;
                fault = WalkFault.NOT_PRESENT;
                return 0;
            }
            table = GuestCr3TableEntry.address(entry);
        }
        gcr3Cache.insert(tag, 0, table, 0);
        return table;
    }

    private boolean hostFault()
    {
        stage = STAGE_HOST;
        fault = nestedView.hostWalk().fault();
        faultAddress = nestedView.faultAddress();
        return false;
    }
}
