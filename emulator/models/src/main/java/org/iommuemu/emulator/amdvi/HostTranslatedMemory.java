package org.iommuemu.emulator.amdvi;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Guest physical memory as a nested (v2 over v1) walk sees it: every entry read at a GPA is first translated by
 * the device's host (v1) table, then read from system memory. This is how nested translation composes the two
 * walks with the one generic {@link Walker}: the guest walk runs over this view, so each guest table fetch
 * costs a host walk, as in the two-dimensional walk of the hardware.
 * <p>
 * With a nested-walk cache (a {@link TranslationCache} in the {@link CacheRole#NESTED} role, tagged by the
 * DomainID, keyed by the 4 KiB GPA page) a host translation that was done before is not walked again; the
 * cache is emptied by INVALIDATE_IOMMU_PAGES of the domain (the GPA is the host table's input address) and
 * INVALIDATE_IOMMU_ALL.
 * <p>
 * A host walk that fails does not throw: the view remembers the failure ({@link #faulted()},
 * {@link #hostWalk()}) and returns an empty entry, so the guest walk stops with NOT_PRESENT and the caller
 * reports the host fault instead. Table fetches need host READ permission.
 * <p>
 * Only entry reads are meaningful; the bulk and write methods are not used by walks and throw (an emulator
 * bug if reached). Re-pointed per request; allocation-free.
 */
final class HostTranslatedMemory implements PhysicalMemory
{
    private final PhysicalMemory memory;
    private final TranslationCache nestedCache;
    private final WalkResult hostWalk = new WalkResult();
    private PageTableFormat format;
    private long root;
    private int initialPermissions;
    private long tag;
    private boolean faulted;
    private long faultAddress;
    private long outputAddress;
    private int pageSizeLg2;
    private int permissions;
    private boolean untranslatedOnly;

    /** @param nestedCache the nested-walk cache (role NESTED), or null for none. */
    HostTranslatedMemory(final PhysicalMemory memory, final TranslationCache nestedCache)
    {
        if (nestedCache != null && nestedCache.role() != CacheRole.NESTED)
        {
            throw new IllegalArgumentException("the nested-walk cache must have the NESTED role, not " + nestedCache.role());
        }
        this.memory = memory;
        this.nestedCache = nestedCache;
    }

    /**
     * Translate through the host table {@code format} at {@code root} of {@code domainId}, starting from the
     * DTE's permissions.
     */
    HostTranslatedMemory point(final PageTableFormat format, final long root, final int initialPermissions, final int domainId)
    {
        this.format = format;
        this.root = root;
        this.initialPermissions = initialPermissions;
        this.tag = CacheTag.of(domainId, CacheTag.NO_PASID, 0, false, 0);
        this.faulted = false;
        this.faultAddress = 0;
        return this;
    }

    /**
     * Translate one GPA with {@code access}; false (and {@link #faulted()}) when the host table refuses it. On
     * success {@link #outputAddress()}, {@link #pageSizeLg2()}, {@link #permissions()} and
     * {@link #untranslatedOnly()} describe the translation.
     */
    boolean translate(final long gpa, final int access)
    {
        final long key = CacheKey.of(gpa, PhysicalMemory.FRAME_SIZE_LG2);
        if (nestedCache != null)
        {
            final int slot = nestedCache.lookup(tag, key);
            if (slot != TranslationCache.MISS)
            {
                final int attribute = nestedCache.attribute(slot);
                if (CachedTranslation.grants(attribute, access))
                {
                    outputAddress = CachedTranslation.outputAddress(nestedCache, slot, gpa);
                    pageSizeLg2 = CachedTranslation.pageSizeLg2(attribute);
                    permissions = CachedTranslation.permissions(attribute);
                    untranslatedOnly = CachedTranslation.has(attribute, CachedTranslation.UNTRANSLATED_ONLY);
                    return true;
                }
            }
        }
        if (!Walker.walk(format, memory, root, gpa, access, initialPermissions, hostWalk))
        {
            faulted = true;
            faultAddress = gpa;
            return false;
        }
        outputAddress = hostWalk.outputAddress();
        pageSizeLg2 = hostWalk.pageSizeLg2();
        permissions = hostWalk.permissions();
        untranslatedOnly = (hostWalk.entryValue(hostWalk.entryCount() - 1) & AmdV1Format.U) != 0;
        if (nestedCache != null)
        {
            CachedTranslation.fill(nestedCache, tag, gpa, PhysicalMemory.FRAME_SIZE_LG2, outputAddress, permissions, pageSizeLg2,
                untranslatedOnly ? CachedTranslation.UNTRANSLATED_ONLY : 0);
        }
        return true;
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

    /** The host leaf's U bit (v1 PTE bit 59). */
    boolean untranslatedOnly()
    {
        return untranslatedOnly;
    }

    /** Whether a host walk failed since {@link #point}. */
    boolean faulted()
    {
        return faulted;
    }

    /** The GPA whose host walk failed. */
    long faultAddress()
    {
        return faultAddress;
    }

    /** The last host walk (the failed one after a fault; not the translation after a cache hit). */
    WalkResult hostWalk()
    {
        return hostWalk;
    }

    public long readEntry(final long address)
    {
        if (faulted || !translate(address, Permissions.READ))
        {
            return 0;
        }
        return memory.readEntry(outputAddress);
    }

    public void writeEntry(final long address, final long value)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory reads entries only");
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public void zero(final long address, final long length)
    {
        throw new UnsupportedOperationException("the nested-walk view of guest memory is read-only");
    }

    public MemoryAccessListener listener()
    {
        return memory.listener();
    }

    public void listener(final MemoryAccessListener listener)
    {
        throw new UnsupportedOperationException("set the listener on system memory");
    }

    public long residentFrames()
    {
        return memory.residentFrames();
    }
}
