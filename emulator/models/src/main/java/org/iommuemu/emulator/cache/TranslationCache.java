package org.iommuemu.emulator.cache;

import java.util.Arrays;

/**
 * The one set-associative cache the IOMMU models use for every translation structure: entries of a
 * {@link CacheTag} (identity) and a key ({@link CacheKey} for addresses, a raw ID otherwise) holding a value
 * and an attribute word (for translations: the output page and permissions with the size).
 * <p>
 * Storage is primitive arrays (a slot's tag, key, value and stamp side by side in one); lookup, fill and
 * invalidation allocate nothing. Entries stay valid
 * until invalidated or evicted, which is how hardware behaves: an unmap that nobody invalidates leaves stale
 * hits behind. The geometry (entries, ways, replacement, hit latency) comes from the timing profile; the
 * latency is only carried here, the timing model charges it.
 * <p>
 * Not thread-safe: one emulator thread owns an IOMMU model and its caches.
 */
public final class TranslationCache
{
    /** Returned by {@link #lookup} on a miss. */
    public static final int MISS = -1;

    private static final int SLOT_SHIFT = 2;
    private static final int STRIDE = 1 << SLOT_SHIFT;
    private static final int TAG = 0;
    private static final int KEY = 1;
    private static final int VALUE = 2;
    private static final int STAMP = 3;

    /** Fully associative caches with at least this many ways get a hash index. */
    static final int INDEX_MIN_WAYS = 16;

    private final String name;
    private final CacheRole role;
    private final int entries;
    private final int ways;
    private final int sets;
    /** {@code sets - 1} when the set count is a power of two (a mask picks the set), else -1 (modulo does). */
    private final int setMask;
    private final Replacement replacement;
    private final int hitLatency;
    /**
     * Per slot, side by side in one cache line: tag, key, value and stamp ({@link #STRIDE} longs, at
     * {@code slot << SLOT_SHIFT} plus {@link #TAG}, {@link #KEY}, {@link #VALUE}, {@link #STAMP}), so a hit reads
     * one line rather than one per array.
     */
    private final long[] slots;
    private final int[] attributes;
    // Stamp: 0: invalid; otherwise the tick of the last use (LRU) or of the fill (FIFO, others).
    private final int[] nextVictim;
    /**
     * The last {@link #lookupPage} hit, tried first (streaming DMA hits the same page again and again): valid while
     * {@link #version} is {@code pageMemoVersion}, for the same tag and size mask and an address with the same key at
     * the size of the memo's key. Set only when no smaller size of the mask was present: then, with nothing changed since, the
     * scan (smallest size first) would return that slot again. Fields, not slot reads: the check loads no array.
     */
    private long pageMemoVersion = -1;
    private long pageMemoTag;
    private long pageMemoKey;
    private long pageMemoMask;
    private int pageMemoSlot;
    /** The last {@link #lookup} hit (a DTE cache sees the same device again and again), valid as the above. */
    private long lookupMemoVersion = -1;
    private long lookupMemoTag;
    private long lookupMemoKey;
    private int lookupMemoSlot;
    /** Valid entries per key size ({@link CacheKey#sizeLg2}), and bit n set when there is any of size n. */
    private final int[] validBySize = new int[64];
    private long presentSizes;
    /**
     * Fully associative caches of at least {@link #INDEX_MIN_WAYS} ways only (else null): an open-addressing
     * hash index from (tag, key) to slot + 1 over the valid entries (linear probing, backward-shift deletion),
     * so a lookup does not compare every way, and a bitmap of valid slots, so a fill finds the lowest free slot
     * (the one the scan would take) without a scan.
     */
    private final int[] index;
    private final int indexMask;
    private final long[] validSlots;
    private long tick;
    private long random;
    /** Changes whenever an entry is filled, replaced or removed ({@link #version}). */
    private long version;

    // Lookups are counted as hits plus misses: one counter to bump on either path.
    private long misses;
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
    public TranslationCache(final String name, final CacheRole role, final int entries, final int ways,
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
        this.slots = new long[entries << SLOT_SHIFT];
        this.attributes = new int[entries];
        this.nextVictim = new int[sets];
        this.random = seed == 0 ? 0x9E37_79B9_7F4A_7C15L : seed;
        if (sets == 1 && associativity >= INDEX_MIN_WAYS)
        {
            final int capacity = Integer.highestOneBit(associativity * 4 - 1);
            this.index = new int[capacity];
            this.indexMask = capacity - 1;
            this.validSlots = new long[(entries + 63) >>> 6];
        }
        else
        {
            this.index = null;
            this.indexMask = 0;
            this.validSlots = null;
        }
    }

    /** The slot holding {@code (tag, key)}, or {@link #MISS}. A hit refreshes the entry under LRU. */
    public int lookup(final long tag, final long key)
    {
        int slot;
        if (version == lookupMemoVersion && key == lookupMemoKey && tag == lookupMemoTag)
        {
            // Nothing changed since this pair hit this slot: a (tag, key) pair is in at most one slot.
            slot = lookupMemoSlot;
        }
        else
        {
            slot = find(tag, key);
            if (slot == MISS)
            {
                misses++;
                return MISS;
            }
            lookupMemoVersion = version;
            lookupMemoTag = tag;
            lookupMemoKey = key;
            lookupMemoSlot = slot;
        }
        hit(slot);
        return slot;
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
        int slot;
        final long memoKey = pageMemoKey;
        if (version == pageMemoVersion && CacheKey.of(address, CacheKey.sizeLg2(memoKey)) == memoKey && tag == pageMemoTag &&
            sizeLg2Mask == pageMemoMask)
        {
            slot = pageMemoSlot;
        }
        else
        {
            slot = scanPage(tag, address, sizeLg2Mask);
            if (slot == MISS)
            {
                misses++;
                return MISS;
            }
        }
        hit(slot);
        return slot;
    }

    /** {@link #lookupPage} without its memo: probe the present sizes, smallest first; remember a hit. */
    private int scanPage(final long tag, final long address, final long sizeLg2Mask)
    {
        // Sizes of which no entry is valid cannot answer: skip them.
        final long sizesPresent = sizeLg2Mask & presentSizes;
        long sizes = sizesPresent;
        while (sizes != 0)
        {
            final int sizeLg2 = Long.numberOfTrailingZeros(sizes);
            sizes &= sizes - 1;
            final long key = CacheKey.of(address, sizeLg2);
            final int slot = find(tag, key);
            if (slot != MISS)
            {
                // Only an entry of a smaller size covering the address could take precedence over this one.
                if ((sizesPresent & ((1L << sizeLg2) - 1)) == 0)
                {
                    pageMemoVersion = version;
                    pageMemoTag = tag;
                    pageMemoKey = key;
                    pageMemoMask = sizeLg2Mask;
                    pageMemoSlot = slot;
                }
                return slot;
            }
        }
        return MISS;
    }

    /**
     * Count a lookup that hits {@code slot} again, as {@link #lookup} would, without searching: the statistics and
     * the LRU refresh are those of a hit. Only for a slot that a lookup (or {@link #insert}) of the same
     * {@code (tag, key)} returned while {@link #version} was what it still is: then the entry is still there and
     * a lookup would return that slot. A model that resolves the same structure for request after request (the
     * context and PASID caches for a device's stream) uses this instead of re-deriving what it already holds.
     */
    public void hit(final int slot)
    {
        hits++;
        if (replacement == Replacement.LRU)
        {
            slots[(slot << SLOT_SHIFT) + STAMP] = ++tick;
        }
    }

    /**
     * A number that changes whenever any entry is filled, replaced, invalidated or cleared (and at no other time):
     * while it stays the same, every lookup finds what it found before.
     */
    public long version()
    {
        return version;
    }

    /** The valid slot holding {@code (tag, key)}, or {@link #MISS}; no statistics, no LRU refresh. */
    private int find(final long tag, final long key)
    {
        if (index != null)
        {
            int position = indexHash(tag, key) & indexMask;
            int entry;
            while ((entry = index[position]) != 0)
            {
                final int slot = entry - 1;
                final int at = slot << SLOT_SHIFT;
                if (slots[at + KEY] == key && slots[at + TAG] == tag)
                {
                    return slot;
                }
                position = (position + 1) & indexMask;
            }
            return MISS;
        }
        final int base = setOf(tag, key) * ways;
        for (int slot = base, end = base + ways; slot < end; slot++)
        {
            if (slots[(slot << SLOT_SHIFT) + STAMP] != 0 && slots[(slot << SLOT_SHIFT) + KEY] == key && slots[(slot << SLOT_SHIFT) +
                TAG] == tag)
            {
                return slot;
            }
        }
        return MISS;
    }

    /** Fill (or refresh) {@code (tag, key)}, evicting a victim from a full set; returns the slot. */
    public int insert(final long tag, final long key, final long value, final int attribute)
    {
        fills++;
        version++;
        final int set = setOf(tag, key);
        final int base = set * ways;
        int target;
        if (index != null)
        {
            // As the scan below: the entry itself, else the lowest free slot, else a victim.
            target = find(tag, key);
            if (target < 0)
            {
                target = lowestFreeSlot();
            }
        }
        else
        {
            target = -1;
            for (int slot = base, end = base + ways; slot < end; slot++)
            {
                if (slots[(slot << SLOT_SHIFT) + STAMP] != 0 && slots[(slot << SLOT_SHIFT) + KEY] == key && slots[(slot << SLOT_SHIFT) +
                    TAG] == tag)
                {
                    target = slot;
                    break;
                }
                if (target < 0 && slots[(slot << SLOT_SHIFT) + STAMP] == 0)
                {
                    target = slot;
                }
            }
        }
        if (target < 0)
        {
            target = victim(set, base);
            evictions++;
        }
        if (slots[(target << SLOT_SHIFT) + STAMP] != 0)
        {
            dropValid(target);
        }
        slots[(target << SLOT_SHIFT) + TAG] = tag;
        slots[(target << SLOT_SHIFT) + KEY] = key;
        slots[(target << SLOT_SHIFT) + VALUE] = value;
        attributes[target] = attribute;
        slots[(target << SLOT_SHIFT) + STAMP] = ++tick;
        addValid(target);
        return target;
    }

    /** Remove every entry the scope covers; returns how many. */
    public int invalidate(final InvalidationScope scope)
    {
        int removed = 0;
        for (int slot = 0; slot < entries; slot++)
        {
            if (slots[(slot << SLOT_SHIFT) + STAMP] != 0 && scope.covers(slots[(slot << SLOT_SHIFT) + TAG], slots[(slot << SLOT_SHIFT) +
                KEY]))
            {
                dropValid(slot);
                slots[(slot << SLOT_SHIFT) + STAMP] = 0;
                removed++;
            }
        }
        invalidated += removed;
        if (removed != 0)
        {
            version++;
        }
        return removed;
    }

    /** Whether {@code slot} (0 to {@link #entries()} - 1) holds an entry; with the accessors below, for inspection. */
    public boolean isValid(final int slot)
    {
        return slots[(slot << SLOT_SHIFT) + STAMP] != 0;
    }

    public long value(final int slot)
    {
        return slots[(slot << SLOT_SHIFT) + VALUE];
    }

    public int attribute(final int slot)
    {
        return attributes[slot];
    }

    public long tag(final int slot)
    {
        return slots[(slot << SLOT_SHIFT) + TAG];
    }

    public long key(final int slot)
    {
        return slots[(slot << SLOT_SHIFT) + KEY];
    }

    /** Valid entries. */
    public int occupancy()
    {
        int valid = 0;
        for (int slot = 0; slot < entries; slot++)
        {
            if (slots[(slot << SLOT_SHIFT) + STAMP] != 0)
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
        return hits + misses;
    }

    public long hits()
    {
        return hits;
    }

    public long misses()
    {
        return misses;
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
        final long lookups = lookups();
        return lookups == 0 ? 0 : (double)hits / lookups;
    }

    /** Drop every entry and zero the statistics. */
    public void clear()
    {
        for (int slot = 0; slot < entries; slot++)
        {
            slots[(slot << SLOT_SHIFT) + STAMP] = 0;
        }
        Arrays.fill(nextVictim, 0);
        Arrays.fill(validBySize, 0);
        presentSizes = 0;
        if (index != null)
        {
            Arrays.fill(index, 0);
            Arrays.fill(validSlots, 0);
        }
        version++;
        misses = 0;
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

    /** Book-keeping of a slot that has just become valid (its tag and key set). */
    private void addValid(final int slot)
    {
        final int size = CacheKey.sizeLg2(slots[(slot << SLOT_SHIFT) + KEY]);
        if (validBySize[size]++ == 0)
        {
            presentSizes |= 1L << size;
        }
        if (index != null)
        {
            validSlots[slot >>> 6] |= 1L << slot;
            int position = indexHash(slots[(slot << SLOT_SHIFT) + TAG], slots[(slot << SLOT_SHIFT) + KEY]) & indexMask;
            while (index[position] != 0)
            {
                position = (position + 1) & indexMask;
            }
            index[position] = slot + 1;
        }
    }

    /** Book-keeping of a valid slot about to be overwritten or invalidated (its tag and key still set). */
    private void dropValid(final int slot)
    {
        final int size = CacheKey.sizeLg2(slots[(slot << SLOT_SHIFT) + KEY]);
        if (--validBySize[size] == 0)
        {
            presentSizes &= ~(1L << size);
        }
        if (index != null)
        {
            validSlots[slot >>> 6] &= ~(1L << slot);
            int hole = indexHash(slots[(slot << SLOT_SHIFT) + TAG], slots[(slot << SLOT_SHIFT) + KEY]) & indexMask;
            while (index[hole] != slot + 1)
            {
                hole = (hole + 1) & indexMask;
            }
            // Backward-shift deletion: move up every later entry of the run that may not sit after the hole.
            int position = hole;
            while (true)
            {
                position = (position + 1) & indexMask;
                final int entry = index[position];
                if (entry == 0)
                {
                    break;
                }
                final int home = indexHash(slots[((entry - 1) << SLOT_SHIFT) + TAG], slots[((entry - 1) << SLOT_SHIFT) + KEY]) & indexMask;
                // The entry stays when its home lies cyclically in (hole, position].
                final boolean stays = hole <= position ? hole < home && home <= position : hole < home || home <= position;
                if (!stays)
                {
                    index[hole] = entry;
                    hole = position;
                }
            }
            index[hole] = 0;
        }
    }

    /** The lowest invalid slot of a fully associative cache with an index, or -1 when it is full. */
    private int lowestFreeSlot()
    {
        final long[] valid = validSlots;
        for (int word = 0; word < valid.length; word++)
        {
            final long free = ~valid[word];
            if (free != 0)
            {
                final int slot = (word << 6) + Long.numberOfTrailingZeros(free);
                return slot < entries ? slot : -1;
            }
        }
        return -1;
    }

    private static int indexHash(final long tag, final long key)
    {
        long h = key * 0x9E37_79B9_7F4A_7C15L + tag * 0xC2B2_AE3D_27D4_EB4FL;
        h ^= h >>> 29;
        h *= 0xBF58_476D_1CE4_E5B9L;
        return (int)(h ^ (h >>> 32));
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
                    if (slots[(slot << SLOT_SHIFT) + STAMP] < slots[(oldest << SLOT_SHIFT) + STAMP])
                    {
                        oldest = slot;
                    }
                }
                return oldest;
            }
        }
    }
}
