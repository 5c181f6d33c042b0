package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.CachedTranslation;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;

/**
 * A model of the ATS translation caches (ATCs) of the devices behind one IOMMU: one {@link TranslationCache}
 * in the {@link CacheRole#DEVICE_TLB} role, tagged by requester ID and PASID, keyed by the untranslated page at
 * the size of the answer. It is filled by every translation request the IOMMU answers with R or W (not when
 * the answer has U, "untranslated access only") and emptied only by INVALIDATE_IOTLB_PAGES through the
 * dispatcher: the IOMMU's own invalidations (INVALIDATE_IOMMU_PAGES, INVALIDATE_IOMMU_ALL) do not reach it,
 * which is why a driver must send both.
 * <p>
 * INVALIDATE_IOTLB_PAGES with GN = 0 removes the device's entries of every PASID in the range, with GN = 1
 * those of its PASID (UNVERIFIED which entries an invalidation without PASID reaches; removing more is safe).
 * <p>
 * {@link #translate} answers "does device X's ATC hold address A", so a replay can serve translated requests
 * from it. Allocation-free.
 */
public final class DeviceTlb
{
    /** Returned by {@link #translate} when the ATC holds no translation. */
    public static final long NO_TRANSLATION = -1L;

    private final TranslationCache cache;
    /** Bit n set when an entry of 2^n bytes was ever filled: the sizes a lookup probes. */
    private long sizesFilled;
    private int lastPermissions;

    public DeviceTlb(final TranslationCache cache)
    {
        if (cache.role() != CacheRole.DEVICE_TLB)
        {
            throw new IllegalArgumentException("a device TLB must have the DEVICE_TLB role, not " + cache.role());
        }
        this.cache = cache;
    }

    /** A default geometry (1024 entries shared by all devices, 4-way, LRU). */
    public static TranslationCache defaultCache()
    {
        return new TranslationCache("amdvi-device-tlb", CacheRole.DEVICE_TLB, 1024, 4, Replacement.LRU, 0, 3);
    }

    public TranslationCache cache()
    {
        return cache;
    }

    /** Cache an ATS answer: {@code 2^sizeLg2} bytes at {@code untranslated} go to {@code translated}. */
    void fill(final int deviceId, final int pasid, final long untranslated, final int sizeLg2, final long translated,
        final int permissions)
    {
        sizesFilled |= 1L << sizeLg2;
        CachedTranslation.fill(cache, CacheTag.of(0, pasid, deviceId, false, 0), untranslated, sizeLg2, translated, permissions,
            sizeLg2, 0);
    }

    /**
     * The translated address of {@code address} in the ATC of {@code deviceId} for {@code pasid}
     * ({@link CacheTag#NO_PASID} for none), or {@link #NO_TRANSLATION}; {@link #lastPermissions()} then holds
     * the cached permissions.
     */
    public long translate(final int deviceId, final int pasid, final long address)
    {
        final long tag = CacheTag.of(0, pasid, deviceId, false, 0);
        long sizes = sizesFilled;
        while (sizes != 0)
        {
            final int sizeLg2 = Long.numberOfTrailingZeros(sizes);
            sizes &= sizes - 1;
            final int slot = cache.lookup(tag, CacheKey.of(address, sizeLg2));
            if (slot != TranslationCache.MISS)
            {
                lastPermissions = CachedTranslation.permissions(cache.attribute(slot));
                return CachedTranslation.outputAddress(cache, slot, address);
            }
        }
        lastPermissions = 0;
        return NO_TRANSLATION;
    }

    /** Whether the ATC of {@code deviceId} holds a translation of {@code address} for {@code pasid}. */
    public boolean holds(final int deviceId, final int pasid, final long address)
    {
        return translate(deviceId, pasid, address) != NO_TRANSLATION;
    }

    /** Permissions of the last translation {@link #translate} found. */
    public int lastPermissions()
    {
        return lastPermissions;
    }
}
