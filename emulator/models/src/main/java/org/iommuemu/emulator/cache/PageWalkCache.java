package org.iommuemu.emulator.cache;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Per-level page-walk caches in front of the generic {@link Walker} (gem5 SMMUv3's {@code WalkCache}, the AMD-Vi
 * "PDE" caches that INVALIDATE_IOMMU_PAGES' PDE bit flushes, VT-d's paging-structure caches). The cache of level L
 * holds, per (tag, input address at the granule an L entry covers), the table that entry points to, the level of
 * that table and the permissions granted down to it. A walk probes the deepest cached level first and resumes
 * there; a miss walks from the root; a successful walk, resumed or not, fills every cached level it passed through.
 * <p>
 * Semantics as hardware: a cached table pointer stays usable until invalidated (role {@link CacheRole#WALK}
 * through the {@link InvalidationDispatcher}), so a freed table can still be walked through a stale pointer. A walk
 * that resumes from a cached pointer and fails is repeated from the root, so fault records always carry the full
 * walk (a documented choice: hardware would report the fault of the cached path). Allocation-free.
 */
public final class PageWalkCache
{
    private final TranslationCache[] byLevel;
    private int hits;
    private int resumedLevel = -1;
    private WalkCacheProbeListener probeListener = WalkCacheProbeListener.NONE;

    /**
     * @param byLevel the cache of each level, indexed by the engine's level numbering (0 = leaf table); null where a
     *                level is not cached. Entries of the leaf table (level 0) are never table pointers.
     */
    public PageWalkCache(final TranslationCache... byLevel)
    {
        this.byLevel = byLevel.clone();
        for (final TranslationCache cache : this.byLevel)
        {
            if (cache != null && cache.role() != CacheRole.WALK)
            {
                throw new IllegalArgumentException(cache.name() + " is not a WALK cache");
            }
        }
    }

    /** The caches, for registration with a dispatcher and for statistics (nulls included). */
    public TranslationCache[] caches()
    {
        return byLevel.clone();
    }

    /** Walks that resumed from a cached pointer. */
    public int hits()
    {
        return hits;
    }

    /** Who hears each probe (the replay's timing model); {@link WalkCacheProbeListener#NONE} by default. */
    public void probeListener(final WalkCacheProbeListener listener)
    {
        probeListener = listener == null ? WalkCacheProbeListener.NONE : listener;
    }

    /** The level the last walk resumed at, or -1 when it walked from the root. */
    public int resumedLevel()
    {
        return resumedLevel;
    }

    /** {@link Walker#walk} with this cache in front; {@code tag} identifies the address space (domain, PASID). */
    public boolean walk(final PageTableFormat format, final PhysicalMemory memory, final long root, final long tag,
        final long inputAddress, final int access, final int initialPermissions, final WalkResult result)
    {
        resumedLevel = -1;
        final int top = Math.min(format.topLevel(), byLevel.length - 1);
        for (int level = 1; level <= top; level++)
        {
            final TranslationCache cache = byLevel[level];
            if (cache == null)
            {
                continue;
            }
            probeListener.onWalkCacheProbe();
            final int slot = cache.lookup(tag, CacheKey.of(inputAddress, format.itemSizeLg2(level)));
            if (slot != TranslationCache.MISS)
            {
                final int attribute = cache.attribute(slot);
                final int permissionsAbove = initialPermissions & attribute & Permissions.ALL;
                if (Walker.resume(format, memory, cache.value(slot), attribute >>> 8, inputAddress, access,
                    permissionsAbove, result))
                {
                    hits++;
                    resumedLevel = level;
                    // The levels walked below the cached pointer fill their caches too, as on a walk from the root.
                    fill(format, tag, inputAddress, result, attribute & Permissions.ALL);
                    return true;
                }
                break;
            }
        }
        if (!Walker.walk(format, memory, root, inputAddress, access, initialPermissions, result))
        {
            return false;
        }
        fill(format, tag, inputAddress, result, Permissions.ALL);
        return true;
    }

    /**
     * Cache the table pointers of a successful walk's entries (all but the last), each with the permissions the
     * tables grant down to it, starting from {@code permissionsAbove}: those the levels above the walk's first entry
     * grant (a resumed walk's cached pointer), never the caller's initial permissions, which are per request.
     */
    private void fill(final PageTableFormat format, final long tag, final long inputAddress, final WalkResult result,
        final int permissionsAbove)
    {
        int permissions = permissionsAbove;
        final int last = result.entryCount() - 1;
        for (int i = 0; i < last; i++)
        {
            final int level = result.entryLevel(i);
            final long step = format.tableStep(result.entryValue(i), level);
            if (step == PageTableFormat.NOT_A_TABLE)
            {
                return; // a level-skipping or unusual entry: nothing below it is cached
            }
            permissions &= format.permissions(result.entryValue(i), level);
            if (level < byLevel.length && byLevel[level] != null)
            {
                final int nextLevel = result.entryLevel(i + 1);
                final long table = result.entryAddress(i + 1) & -(long)PhysicalMemory.FRAME_SIZE;
                byLevel[level].insert(tag, CacheKey.of(inputAddress, format.itemSizeLg2(level)), table, permissions | (nextLevel << 8));
            }
        }
    }
}
