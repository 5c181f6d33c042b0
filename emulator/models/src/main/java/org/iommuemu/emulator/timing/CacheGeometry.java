package org.iommuemu.emulator.timing;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;

/**
 * The geometry and timing of one cache, in the terms of gem5 SMMUv3's {@code *_entries}, {@code *_assoc},
 * {@code *_policy}, {@code *_lat}, {@code *_slots} and {@code *_enable} parameters. The ranges are those
 * {@link TranslationCache} accepts, so a valid geometry always builds.
 *
 * @param enabled     whether the model has this cache at all (gem5's {@code *_enable}).
 * @param entries     total entries; a power of two.
 * @param ways        associativity; 0 = fully associative; otherwise a power of two up to {@code entries}.
 * @param replacement victim choice in a full set.
 * @param hitLatency  cycles a lookup costs.
 * @param slots       lookups that may be in the cache at once (gem5 declares {@code *_slots} as cycles but uses
 *                    them as semaphore counts, timing-perf.md 1.1).
 */
public record CacheGeometry(boolean enabled, int entries, int ways, Replacement replacement, int hitLatency, int slots)
{
    /** {@link #ways} value meaning one set holding every entry (gem5's {@code assoc = 0}). */
    public static final int FULLY_ASSOCIATIVE = 0;

    public CacheGeometry
    {
        Ranges.powerOfTwo("entries", entries);
        if (ways != FULLY_ASSOCIATIVE && (ways < 0 || Integer.bitCount(ways) != 1))
        {
            throw new ParameterException("ways", "must be 0 (fully associative) or a power of two, not " + ways);
        }
        if (ways > entries)
        {
            throw new ParameterException("ways", "must divide entries (" + entries + "), not " + ways);
        }
        if (replacement == null)
        {
            throw new ParameterException("replacement", "must be given");
        }
        Ranges.nonNegative("hit-latency", hitLatency);
        Ranges.positive("slots", slots);
    }

    /** Sets: entries / ways, 1 when fully associative. */
    public int sets()
    {
        return ways == FULLY_ASSOCIATIVE ? 1 : entries / ways;
    }

    /**
     * A cache of this geometry. It is built whether or not {@link #enabled} is set; the model decides whether to
     * consult it.
     *
     * @param seed seed of {@link Replacement#RANDOM}, so runs are reproducible.
     */
    public TranslationCache newCache(final String name, final CacheRole role, final long seed)
    {
        return new TranslationCache(name, role, entries, ways, replacement, hitLatency, seed);
    }
}
