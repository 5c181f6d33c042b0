package org.iommuemu.emulator.timing;

import java.util.List;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;

/**
 * The page-walk caches: table pointers of partial walks, partitioned per (stage, level) as in gem5 SMMUv3's
 * {@code WalkCache} (timing-perf.md 1.1). Levels are listed from the root: index 0 is gem5's L0 and x86's
 * PML4 (4-level paging), the last index is the last-level table (gem5 L3, x86 PT). The walker probes the
 * deepest cached level first, each probe costing {@link #hitLatency}.
 * <p>
 * A level's entries follow gem5's rule (a positive multiple of the associativity), not the power-of-two rule of
 * the other caches, so gem5's 28- and 348-entry partitions are representable, and {@link TranslationCache}
 * builds them (it selects sets by modulo).
 *
 * @param enabled            gem5 {@code walk_enable}.
 * @param ways               associativity of every partition; 0 = fully associative.
 * @param replacement        victim choice in a full set.
 * @param hitLatency         cycles per probe (gem5 {@code walk_lat}).
 * @param slots              probes in flight at once (gem5 {@code walk_slots}).
 * @param stage1Levels       entries per stage-1 level, root first.
 * @param stage2Levels       entries per stage-2 (nested) level, root first.
 * @param stage1CachedLevels level indexes whose table pointers are cached (gem5 {@code wc_s1_levels}, a mask);
 *                           kept sorted, without duplicates.
 * @param stage2CachedLevels the same for stage 2 (gem5 {@code wc_s2_levels}).
 * @param nonFinal           whether the stage-2 walks done for stage-1 table pointers use the cache (gem5
 *                           {@code wc_nonfinal_enable}).
 */
public record WalkCacheGeometry(boolean enabled, int ways, Replacement replacement, int hitLatency, int slots,
    List<Integer> stage1Levels, List<Integer> stage2Levels, List<Integer> stage1CachedLevels,
    List<Integer> stage2CachedLevels, boolean nonFinal)
{
    /** Deepest radix supported: x86 5-level paging. */
    public static final int MAX_LEVELS = 5;

    public WalkCacheGeometry
    {
        if (ways != CacheGeometry.FULLY_ASSOCIATIVE && (ways < 0 || Integer.bitCount(ways) != 1))
        {
            throw new ParameterException("ways", "must be 0 (fully associative) or a power of two, not " + ways);
        }
        if (replacement == null)
        {
            throw new ParameterException("replacement", "must be given");
        }
        Ranges.nonNegative("hit-latency", hitLatency);
        Ranges.positive("slots", slots);
        stage1Levels = levels("stage1-levels", stage1Levels, ways);
        stage2Levels = levels("stage2-levels", stage2Levels, ways);
        stage1CachedLevels = cachedLevels("stage1-cached-levels", stage1CachedLevels, stage1Levels.size());
        stage2CachedLevels = cachedLevels("stage2-cached-levels", stage2CachedLevels, stage2Levels.size());
    }

    /** Number of levels of a stage (1 or 2). */
    public int levelCount(final int stage)
    {
        return levelsOf(stage).size();
    }

    /** Entries of one level's partition. */
    public int levelEntries(final int stage, final int level)
    {
        return levelsOf(stage).get(level);
    }

    /** Whether table pointers read at {@code level} are cached (gem5's level mask). */
    public boolean isLevelCached(final int stage, final int level)
    {
        return (stage == 1 ? stage1CachedLevels : stage2CachedLevels).contains(level);
    }

    /** The mask gem5 writes as {@code wc_s1_levels} / {@code wc_s2_levels}. */
    public int cachedLevelMask(final int stage)
    {
        levelsOf(stage);
        int mask = 0;
        for (final int level : stage == 1 ? stage1CachedLevels : stage2CachedLevels)
        {
            mask |= 1 << level;
        }
        return mask;
    }

    /** The partition of one (stage, level) as a cache of its own. */
    public TranslationCache newCache(final int stage, final int level, final long seed)
    {
        final int entries = levelEntries(stage, level);
        final String name = "walk-s" + stage + "-l" + level;
        return new TranslationCache(name, CacheRole.WALK, entries, ways, replacement, hitLatency, seed);
    }

    private List<Integer> levelsOf(final int stage)
    {
        if (stage != 1 && stage != 2)
        {
            throw new IllegalArgumentException("stage must be 1 or 2, not " + stage);
        }
        return stage == 1 ? stage1Levels : stage2Levels;
    }

    private static List<Integer> levels(final String field, final List<Integer> levels, final int ways)
    {
        if (levels == null || levels.isEmpty() || levels.size() > MAX_LEVELS)
        {
            throw new ParameterException(field, "must list 1 to " + MAX_LEVELS + " levels, not " +
                (levels == null ? 0 : levels.size()));
        }
        for (int level = 0; level < levels.size(); level++)
        {
            final int entries = levels.get(level);
            if (entries <= 0)
            {
                throw new ParameterException(field, "level " + level + " must have at least 1 entry, not " + entries);
            }
            // gem5 WalkCache: each per-level partition must divide evenly by the associativity.
            if (ways != CacheGeometry.FULLY_ASSOCIATIVE && entries % ways != 0)
            {
                throw new ParameterException(field, "level " + level + " has " + entries +
                    " entries, not a multiple of ways (" + ways + ")");
            }
        }
        return List.copyOf(levels);
    }

    private static List<Integer> cachedLevels(final String field, final List<Integer> cached, final int levelCount)
    {
        if (cached == null)
        {
            throw new ParameterException(field, "must be given (an empty list caches no level)");
        }
        for (final int level : cached)
        {
            if (level < 0 || level >= levelCount)
            {
                throw new ParameterException(field, "level " + level + " does not exist (levels 0 to " +
                    (levelCount - 1) + ")");
            }
        }
        return cached.stream().distinct().sorted().toList();
    }
}
