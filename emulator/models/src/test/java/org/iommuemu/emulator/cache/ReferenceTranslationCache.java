package org.iommuemu.emulator.cache;

import java.util.Arrays;

/**
 * TEST REFERENCE: the straightforward TranslationCache as it was before the fast paths (full scans, no memo,
 * no index), kept to check that the optimised cache gives the same slots, values and statistics.
 * <p>
 * The one set-associative cache the IOMMU models use for every translation structure: entries of a
 * {@link CacheTag} (identity) and a key ({@link CacheKey} for addresses, a raw ID otherwise) holding a value
 * and an attribute word (for translations: the output page and permissions with the size).
 * <p>
 * Storage is parallel primitive arrays; lookup, fill and invalidation allocate nothing. Entries stay valid
 * until invalidated or evicted, which is how hardware behaves: an unmap that nobody invalidates leaves stale
 * hits behind. The geometry (entries, ways, replacement, hit latency) comes from the timing profile; the
 * latency is only carried here, the timing model charges it.
 * <p>
 * Not thread-safe: one emulator thread owns an IOMMU model and its caches.
 */
final class ReferenceTranslationCache
{
    /** Returned by {@link #lookup} on a miss. */
    public static final int MISS = -1;

    private final String name;
    private final CacheRole role;
    private final int entries;
    private final int ways;
    private final int sets;
    /** {@code sets - 1} when the set count is a power of two (a mask picks the set), else -1 (modulo does). */
    private final int setMask;
    private final Replacement replacement;
    private final int hitLatency;
    private final long[] tags;
    private final long[] keys;
    private final long[] values;
    private final int[] attributes;
    /** 0: invalid; otherwise the tick of the last use (LRU) or of the fill (FIFO, others). */
    private final long[] stamps;
    private final int[] nextVictim;
    private long tick;
    private long random;

    private long lookups;
    private long hits;
    private long fills;
    private long evictions;
    private long invalidated;

    /**
     * @param entries    total entries; a positive multiple of {@code ways} (gem5's rule: its walk-cache
     *                   partitions of 28 or 348 entries are valid).
     * @param ways       associativity; 0 for fully associative.
     * @param hitLatency cycles a hit costs, for the timing model.
     * @param seed       seed of {@link Replacement#RANDOM} (runs are reproducible).
     */
    ReferenceTranslationCache(final String name, final CacheRole role, final int entries, final int ways,
        final Replacement replacement, final int hitLatency, final long seed)
    {
        if (entries <= 0)
        {
            throw new IllegalArgumentException(name + ": entries must be positive, not " + entries);
        }
        final int associativity = ways == 0 ? entries : ways;
        if (associativity < 0 || entries % associativity != 0)
        {
            throw new IllegalArgumentException(name + ": ways must be 0 (fully associative) or divide the " + entries +
                " entries, not " + ways);
        }
        if (hitLatency < 0)
        {
            throw new IllegalArgumentException(name + ": hit latency must not be negative");
        }
        this.name = name;
        this.role = role;
        this.entries = entries;
        this.ways = associativity;
        this.sets = entries / associativity;
        this.setMask = Integer.bitCount(sets) == 1 ? sets - 1 : -1;
        this.replacement = replacement;
        this.hitLatency = hitLatency;
        this.tags = new long[entries];
        this.keys = new long[entries];
        this.values = new long[entries];
        this.attributes = new int[entries];
        this.stamps = new long[entries];
        this.nextVictim = new int[sets];
        this.random = seed == 0 ? 0x9E37_79B9_7F4A_7C15L : seed;
    }

    /** The slot holding {@code (tag, key)}, or {@link #MISS}. A hit refreshes the entry under LRU. */
    public int lookup(final long tag, final long key)
    {
        lookups++;
        final int base = setOf(tag, key) * ways;
        for (int slot = base, end = base + ways; slot < end; slot++)
        {
            if (stamps[slot] != 0 && keys[slot] == key && tags[slot] == tag)
            {
                hits++;
                if (replacement == Replacement.LRU)
                {
                    stamps[slot] = ++tick;
                }
                return slot;
            }
        }
        return MISS;
    }

    /**
     * One lookup of the translation for {@code address}, probing each page size in {@code sizeLg2Mask} (bit n set:
     * entries of 2^n bytes, keyed by {@link CacheKey#of}) from the smallest; counted as one lookup and at most one
     * hit. This is how an IOTLB holding 4 KiB, 2 MiB and 1 GiB entries is searched.
     *
     * @return the slot holding the translation, or {@link #MISS}.
     */
    public int lookupPage(final long tag, final long address, final long sizeLg2Mask)
    {
        lookups++;
        long sizes = sizeLg2Mask;
        while (sizes != 0)
        {
            final int sizeLg2 = Long.numberOfTrailingZeros(sizes);
            sizes &= sizes - 1;
            final long key = CacheKey.of(address, sizeLg2);
            final int base = setOf(tag, key) * ways;
            for (int slot = base, end = base + ways; slot < end; slot++)
            {
                if (stamps[slot] != 0 && keys[slot] == key && tags[slot] == tag)
                {
                    hits++;
                    if (replacement == Replacement.LRU)
                    {
                        stamps[slot] = ++tick;
                    }
                    return slot;
                }
            }
        }
        return MISS;
    }

    /** Fill (or refresh) {@code (tag, key)}, evicting a victim from a full set; returns the slot. */
    public int insert(final long tag, final long key, final long value, final int attribute)
    {
        fills++;
        final int set = setOf(tag, key);
        final int base = set * ways;
        int target = -1;
        for (int slot = base, end = base + ways; slot < end; slot++)
        {
            if (stamps[slot] != 0 && keys[slot] == key && tags[slot] == tag)
            {
                target = slot;
                break;
            }
            if (target < 0 && stamps[slot] == 0)
            {
                target = slot;
            }
        }
        if (target < 0)
        {
            target = victim(set, base);
            evictions++;
        }
        tags[target] = tag;
        keys[target] = key;
        values[target] = value;
        attributes[target] = attribute;
        stamps[target] = ++tick;
        return target;
    }

    /** Remove every entry the scope covers; returns how many. */
    public int invalidate(final InvalidationScope scope)
    {
        int removed = 0;
        for (int slot = 0; slot < entries; slot++)
        {
            if (stamps[slot] != 0 && scope.covers(tags[slot], keys[slot]))
            {
                stamps[slot] = 0;
                removed++;
            }
        }
        invalidated += removed;
        return removed;
    }

    public long value(final int slot)
    {
        return values[slot];
    }

    public int attribute(final int slot)
    {
        return attributes[slot];
    }

    public long tag(final int slot)
    {
        return tags[slot];
    }

    public long key(final int slot)
    {
        return keys[slot];
    }

    /** Valid entries. */
    public int occupancy()
    {
        int valid = 0;
        for (final long stamp : stamps)
        {
            if (stamp != 0)
            {
                valid++;
            }
        }
        return valid;
    }

    public String name()
    {
        return name;
    }

    public CacheRole role()
    {
        return role;
    }

    public int entries()
    {
        return entries;
    }

    public int ways()
    {
        return ways;
    }

    public int sets()
    {
        return sets;
    }

    public Replacement replacement()
    {
        return replacement;
    }

    public int hitLatency()
    {
        return hitLatency;
    }

    public long lookups()
    {
        return lookups;
    }

    public long hits()
    {
        return hits;
    }

    public long misses()
    {
        return lookups - hits;
    }

    public long fills()
    {
        return fills;
    }

    public long evictions()
    {
        return evictions;
    }

    public long invalidated()
    {
        return invalidated;
    }

    /** Hits over lookups, 0 before the first lookup. */
    public double hitRate()
    {
        return lookups == 0 ? 0 : (double)hits / lookups;
    }

    /** Drop every entry and zero the statistics. */
    public void clear()
    {
        Arrays.fill(stamps, 0);
        Arrays.fill(nextVictim, 0);
        lookups = 0;
        hits = 0;
        fills = 0;
        evictions = 0;
        invalidated = 0;
    }

    public String toString()
    {
        return name + "(" + role + ", " + entries + " entries, " + (sets == 1 ? "fully associative" : ways + "-way") +
            ", " + replacement + ", " + hitLatency + " cycles)";
    }

    private int setOf(final long tag, final long key)
    {
        if (sets == 1)
        {
            return 0;
        }
        // Consecutive pages go to consecutive sets (the low bits of the page number index the set, as in a hardware
        // TLB); the tag and the size, mixed on their own, offset them so that domains and sizes spread. The address
        // goes through one shift and one add: the mixing is off the lookup's dependency chain.
        long spread = (key & CacheKey.SIZE_MASK) * 0x9E37_79B9L + tag * 0xC2B2_AE3D_27D4_EB4FL;
        spread ^= spread >>> 32;
        final long h = (key >>> CacheKey.SIZE_BITS) + spread;
        return setMask >= 0 ? (int)h & setMask : (int)Long.remainderUnsigned(h, sets);
    }

    private int victim(final int set, final int base)
    {
        switch (replacement)
        {
            case ROUND_ROBIN:
            {
                final int way = nextVictim[set];
                nextVictim[set] = way + 1 == ways ? 0 : way + 1;
                return base + way;
            }
            case RANDOM:
            {
                random ^= random << 13;
                random ^= random >>> 7;
                random ^= random << 17;
                return base + (int)Long.remainderUnsigned(random, ways);
            }
            default:
            {
                // LRU and FIFO: the oldest stamp (last use for LRU, fill for FIFO).
                int oldest = base;
                for (int slot = base + 1, end = base + ways; slot < end; slot++)
                {
                    if (stamps[slot] < stamps[oldest])
                    {
                        oldest = slot;
                    }
                }
                return oldest;
            }
        }
    }
}
