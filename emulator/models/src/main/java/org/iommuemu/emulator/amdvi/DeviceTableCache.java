package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The IOMMU's cache of device table entries: a {@link TranslationCache} in the {@link CacheRole#CONTEXT} role
 * tagged by DeviceID, whose value is quadword 0; quadwords 1 and 2 sit in side arrays indexed by the same slot,
 * so one cache slot holds the whole entry the model uses and an eviction or invalidation drops it as one.
 * Only valid entries (V = 1) are cached. A changed DTE is not seen until INVALIDATE_DEVTAB_ENTRY (or
 * INVALIDATE_IOMMU_ALL) removes it through the dispatcher, as on hardware.
 * <p>
 * {@link #load} answers with the cache's one {@link DeviceTableEntry} flyweight, re-pointed at the entry;
 * allocation-free.
 */
final class DeviceTableCache
{
    private final TranslationCache cache;
    private final long[] quadword1;
    private final long[] quadword2;
    private final DeviceTableEntry entry = new DeviceTableEntry();
    /**
     * The device whose cached entry the flyweight holds, its slot and the cache's version then (-1: none): while the
     * version is unchanged that slot still holds the entry, so a repeated load needs no search and no copy.
     */
    private int lastDeviceId = -1;
    private int lastSlot;
    private long lastVersion;

    DeviceTableCache(final TranslationCache cache)
    {
        if (cache.role() != CacheRole.CONTEXT)
        {
            throw new IllegalArgumentException("the DTE cache must have the CONTEXT role, not " + cache.role());
        }
        this.cache = cache;
        this.quadword1 = new long[cache.entries()];
        this.quadword2 = new long[cache.entries()];
    }

    /** A default geometry (64 entries, 4-way, LRU) until timing profiles size it. */
    static TranslationCache defaultCache()
    {
        return new TranslationCache("amdvi-dte-cache", CacheRole.CONTEXT, 64, 4, Replacement.LRU, 2, 2);
    }

    TranslationCache cache()
    {
        return cache;
    }

    /** The flyweight {@link #load} points at the entry it found. */
    DeviceTableEntry entry()
    {
        return entry;
    }

    /** Look up (or read and cache) the entry of {@code deviceId} at {@code entryAddress}. */
    DeviceTableEntry load(final PhysicalMemory memory, final long entryAddress, final int deviceId)
    {
        if (deviceId == lastDeviceId && cache.version() == lastVersion)
        {
            // The flyweight still holds the cached entry of the last load: count the hit, as a lookup would.
            cache.hit(lastSlot);
            return entry;
        }
        final long tag = CacheTag.of(0, CacheTag.NO_PASID, deviceId, false, 0);
        final int slot = cache.lookup(tag, 0);
        if (slot != TranslationCache.MISS)
        {
            entry.set(cache.value(slot), quadword1[slot], quadword2[slot]);
            remember(deviceId, slot);
            return entry;
        }
        lastDeviceId = -1;
        entry.read(memory, entryAddress);
        if (entry.valid())
        {
            final int filled = cache.insert(tag, 0, entry.quadword0(), 0);
            quadword1[filled] = entry.quadword1();
            quadword2[filled] = entry.quadword2();
            remember(deviceId, filled);
        }
        return entry;
    }

    private void remember(final int deviceId, final int slot)
    {
        lastDeviceId = deviceId;
        lastSlot = slot;
        lastVersion = cache.version();
    }
}
