package org.iommuemu.emulator.cache;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fast paths of {@link TranslationCache} (last-hit memos, the index of fully associative caches) must not
 * change anything: random sequences of lookups, page lookups, fills, invalidations and clears give the same
 * slots, values and statistics as {@link ReferenceTranslationCache}, the plain scanning implementation.
 */
class TranslationCacheEquivalenceTest
{
    private static final long SIZES = (1L << 12) | (1L << 21) | (1L << 30);

    @Test
    void fullyAssociativeIotlbs()
    {
        for (final Replacement replacement : Replacement.values())
        {
            check(64, 0, replacement, 1);
            check(64, 0, replacement, 2);
            check(8, 0, replacement, 3);
            check(1, 0, replacement, 4);
            check(48, 0, replacement, 5);
        }
    }

    @Test
    void setAssociativeCaches()
    {
        for (final Replacement replacement : Replacement.values())
        {
            check(64, 4, replacement, 11);
            check(512, 4, replacement, 12);
            check(28, 4, replacement, 13); // 7 sets: not a power of two
            check(16, 1, replacement, 14); // direct mapped
        }
    }

    @Test
    void aSmallerEntryCoveringTheAddressWinsOverTheLastHit()
    {
        // The scan probes 4 KiB before 2 MiB; the last-hit memo must not answer with the 2 MiB entry once a 4 KiB
        // entry covering the same address exists (a stale or remapped translation).
        final long tag = CacheTag.of(1, CacheTag.NO_PASID, 0, false, 0);
        for (final int ways : new int[] {0, 4})
        {
            final TranslationCache cache = new TranslationCache("c", CacheRole.IOTLB, 64, ways, Replacement.ROUND_ROBIN, 3, 1);
            final int huge = cache.insert(tag, CacheKey.of(0x4020_0000L, 21), 0x8000_0000L, 1);
            assertEquals(huge, cache.lookupPage(tag, 0x4020_1000L, SIZES));
            final int small = cache.insert(tag, CacheKey.of(0x4020_1000L, 12), 0x9000_0000L, 2);
            assertEquals(small, cache.lookupPage(tag, 0x4020_1000L, SIZES), "ways " + ways);
            assertEquals(huge, cache.lookupPage(tag, 0x4020_2000L, SIZES), "ways " + ways);
        }
    }

    private static void check(final int entries, final int ways, final Replacement replacement, final long seed)
    {
        final TranslationCache fast = new TranslationCache("fast", CacheRole.IOTLB, entries, ways, replacement, 3, seed);
        final ReferenceTranslationCache reference =
            new ReferenceTranslationCache("ref", CacheRole.IOTLB, entries, ways, replacement, 3, seed);
        final SplittableRandom random = new SplittableRandom(seed * 31 + entries);
        final InvalidationScope scope = new InvalidationScope();
        final String where = entries + "/" + ways + "/" + replacement;
        // A small universe of tags and pages so that hits, refreshes, conflicts and evictions all happen often.
        final int pages = Math.max(4, entries * 2);
        for (int step = 0; step < 40_000; step++)
        {
            final int op = random.nextInt(100);
            final long tag = CacheTag.of(1 + random.nextInt(3), random.nextInt(4) == 0 ? random.nextInt(2) : CacheTag.NO_PASID,
                0, false, 0);
            final int sizeLg2 = random.nextInt(10) == 0 ? 21 : random.nextInt(40) == 0 ? 30 : 12;
            // Streaming bursts: often the same address again, as DMA does.
            final long address = (random.nextInt(pages) * 0x1000L) + (random.nextInt(4) == 0 ? 0x4000_0000L : 0);
            if (op < 45)
            {
                final long mask = random.nextInt(5) == 0 ? (1L << 12) : SIZES;
                final int a = fast.lookupPage(tag, address, mask);
                final int b = reference.lookupPage(tag, address, mask);
                assertEquals(b, a, where + " lookupPage at step " + step);
                if (a != TranslationCache.MISS)
                {
                    assertEquals(reference.value(b), fast.value(a), where + " value at step " + step);
                    assertEquals(reference.attribute(b), fast.attribute(a), where + " attribute at step " + step);
                    assertEquals(reference.key(b), fast.key(a), where + " key at step " + step);
                }
            }
            else if (op < 65)
            {
                final long key = CacheKey.of(address, sizeLg2);
                final int a = fast.lookup(tag, key);
                final int b = reference.lookup(tag, key);
                assertEquals(b, a, where + " lookup at step " + step);
            }
            else if (op < 93)
            {
                final long key = CacheKey.of(address, sizeLg2);
                final long value = random.nextLong() & -(1L << sizeLg2);
                final int attribute = random.nextInt();
                assertEquals(reference.insert(tag, key, value, attribute), fast.insert(tag, key, value, attribute),
                    where + " insert at step " + step);
            }
            else if (op < 99)
            {
                switch (random.nextInt(4))
                {
                    case 0:
                        scope.domain(1 + random.nextInt(3));
                        break;
                    case 1:
                        scope.range(1 + random.nextInt(3), address, address + random.nextInt(1 << 22));
                        break;
                    case 2:
                        scope.pasid(1 + random.nextInt(3), random.nextInt(2));
                        break;
                    default:
                        scope.all();
                        break;
                }
                assertEquals(reference.invalidate(scope), fast.invalidate(scope), where + " invalidate at step " + step);
            }
            else
            {
                fast.clear();
                reference.clear();
            }
            if ((step & 255) == 0 || op >= 93)
            {
                assertEquals(reference.lookups(), fast.lookups(), where + " lookups at step " + step);
                assertEquals(reference.hits(), fast.hits(), where + " hits at step " + step);
                assertEquals(reference.fills(), fast.fills(), where + " fills at step " + step);
                assertEquals(reference.evictions(), fast.evictions(), where + " evictions at step " + step);
                assertEquals(reference.invalidated(), fast.invalidated(), where + " invalidated at step " + step);
                assertEquals(reference.occupancy(), fast.occupancy(), where + " occupancy at step " + step);
            }
        }
        for (int slot = 0; slot < entries; slot++)
        {
            assertEquals(reference.tag(slot), fast.tag(slot), where + " tag of slot " + slot);
            assertEquals(reference.key(slot), fast.key(slot), where + " key of slot " + slot);
        }
    }
}
