package org.iommuemu.emulator.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The one place invalidations go: AMD-Vi commands and VT-d descriptors state a typed
 * {@link InvalidationScope} and the roles it reaches, and every registered cache of those roles drops what
 * the scope covers. No per-command invalidation loops anywhere else.
 */
public final class InvalidationDispatcher
{
    private TranslationCache[] caches = new TranslationCache[8];
    private int count;
    private long invalidations;
    private long entriesRemoved;
    private InvalidationListener[] listeners = new InvalidationListener[0];

    public void register(final TranslationCache cache)
    {
        for (int i = 0; i < count; i++)
        {
            if (caches[i] == cache)
            {
                throw new IllegalArgumentException(cache.name() + " is registered already");
            }
        }
        if (count == caches.length)
        {
            caches = Arrays.copyOf(caches, count * 2);
        }
        caches[count++] = cache;
    }

    /**
     * Invalidate {@code scope} in every registered cache whose role is in {@code roleMask} (a bitmask of
     * {@link CacheRole#bit()}); returns how many entries went.
     */
    public int invalidate(final InvalidationScope scope, final int roleMask)
    {
        invalidations++;
        int removed = 0;
        for (int i = 0; i < count; i++)
        {
            if ((caches[i].role().bit() & roleMask) != 0)
            {
                removed += caches[i].invalidate(scope);
            }
        }
        entriesRemoved += removed;
        for (final InvalidationListener listener : listeners)
        {
            listener.onInvalidation(scope, roleMask);
        }
        return removed;
    }

    /**
     * Add one who hears each invalidation once its caches have been invalidated, after those added before (nobody by
     * default): a co-simulation session and a log of it both listen.
     */
    public void addListener(final InvalidationListener listener)
    {
        if (listener == null)
        {
            throw new IllegalArgumentException("null listener");
        }
        listeners = Arrays.copyOf(listeners, listeners.length + 1);
        listeners[listeners.length - 1] = listener;
    }

    public int cacheCount()
    {
        return count;
    }

    public TranslationCache cache(final int index)
    {
        if (index < 0 || index >= count)
        {
            throw new IndexOutOfBoundsException("cache " + index + " of " + count);
        }
        return caches[index];
    }

    public long invalidations()
    {
        return invalidations;
    }

    public long entriesRemoved()
    {
        return entriesRemoved;
    }

    /** Register every level cache of {@code walkCache}; returns them (levels without a cache left out). */
    public List<TranslationCache> register(final PageWalkCache walkCache)
    {
        final List<TranslationCache> registered = new ArrayList<>();
        for (final TranslationCache cache : walkCache.caches())
        {
            if (cache != null)
            {
                register(cache);
                registered.add(cache);
            }
        }
        return registered;
    }
}
