package org.iommuemu.emulator.cosim.server;

import java.util.Arrays;

import org.iommuemu.emulator.cache.CacheKey;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.cache.InvalidationScope;

/**
 * The translations a session gave its peer (ATS_REQ answers and IE_TLP translation completions), which the peer may
 * have cached: what ATS_INV must reach when the guest's invalidations drop them (docs/protocol.md 6.5). Each entry is a
 * {@link CacheTag} (domain, PASID, requester, T) and a {@link CacheKey} (page, size), so the models'
 * {@link InvalidationScope}s decide what is covered exactly as they do for the IOMMU's own caches.
 * <p>
 * An open-addressing set of (tag, key) pairs with room for {@link #CAPACITY} entries; adding one already there costs a
 * probe and no allocation. When more than that are handed out the shadow has lost track: it marks itself overflowed,
 * and the next invalidation must be forwarded as "everything" ({@link #overflowed()}). Used from the model thread only.
 */
final class AtsShadow
{
    static final int CAPACITY = 65536;
    private static final int SLOTS = CAPACITY * 2;
    private static final long EMPTY = -1L;

    private final long[] tags = new long[SLOTS];
    private final long[] keys = new long[SLOTS];
    private int size;
    private boolean overflowed;

    AtsShadow()
    {
        Arrays.fill(keys, EMPTY);
    }

    /** Remember a translation handed out. */
    void add(final long tag, final long key)
    {
        if (overflowed)
        {
            return;
        }
        int slot = slot(tag, key);
        while (keys[slot] != EMPTY)
        {
            if (keys[slot] == key && tags[slot] == tag)
            {
                return;
            }
            slot = (slot + 1) & (SLOTS - 1);
        }
        if (size == CAPACITY)
        {
            overflowed = true;
            return;
        }
        keys[slot] = key;
        tags[slot] = tag;
        size++;
    }

    /**
     * Remove every entry {@code scope} covers, passing each to {@code sink} first.
     *
     * @return how many were removed.
     */
    int removeCovered(final InvalidationScope scope, final Sink sink)
    {
        int removed = 0;
        for (int slot = 0; slot < SLOTS; slot++)
        {
            if (keys[slot] != EMPTY && scope.covers(tags[slot], keys[slot]))
            {
                sink.accept(tags[slot], keys[slot]);
                keys[slot] = EMPTY;
                removed++;
            }
        }
        if (removed > 0)
        {
            size -= removed;
            rehash();
        }
        return removed;
    }

    /** Forget everything (after an invalidation of everything was forwarded). */
    void clear()
    {
        Arrays.fill(keys, EMPTY);
        size = 0;
        overflowed = false;
    }

    boolean overflowed()
    {
        return overflowed;
    }

    int size()
    {
        return size;
    }

    /** Receives a removed entry. */
    @FunctionalInterface
    interface Sink
    {
        void accept(long tag, long key);
    }

    private void rehash()
    {
        final long[] oldTags = tags.clone();
        final long[] oldKeys = keys.clone();
        Arrays.fill(keys, EMPTY);
        for (int i = 0; i < SLOTS; i++)
        {
            if (oldKeys[i] != EMPTY)
            {
                int slot = slot(oldTags[i], oldKeys[i]);
                while (keys[slot] != EMPTY)
                {
                    slot = (slot + 1) & (SLOTS - 1);
                }
                keys[slot] = oldKeys[i];
                tags[slot] = oldTags[i];
            }
        }
    }

    private static int slot(final long tag, final long key)
    {
        long h = tag * 0x9E37_79B9_7F4A_7C15L + key;
        h ^= h >>> 29;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return (int)(h >>> 40) & (SLOTS - 1);
    }
}
