package org.iommuemu.emulator.cache;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TranslationCacheTest
{
    private static final long TAG = CacheTag.of(7, CacheTag.NO_PASID, 0, false, 0);

    private static long page(final long n)
    {
        return CacheKey.of(n << 12, 12);
    }

    @Test
    void tagsPackAndUnpack()
    {
        final long tag = CacheTag.of(0xBEEF, 0xABCDE, 0x0310, true, 5);
        assertEquals(0xBEEF, CacheTag.domainId(tag));
        assertEquals(0xABCDE, CacheTag.pasid(tag));
        assertEquals(0x0310, CacheTag.requesterId(tag));
        assertTrue(CacheTag.isTrusted(tag));
        assertEquals(5, CacheTag.partition(tag));
        assertEquals(CacheTag.NO_PASID, CacheTag.pasid(CacheTag.of(1, CacheTag.NO_PASID, 0, false, 0)));
        assertNotEquals(CacheTag.of(1, 0, 0, false, 0), CacheTag.of(1, CacheTag.NO_PASID, 0, false, 0),
            "PASID 0 and no PASID are different identities");
        assertEquals(0x4000_0000L, CacheKey.first(CacheKey.of(0x4012_3456L, 21)));
        assertEquals(0x401F_FFFFL, CacheKey.last(CacheKey.of(0x4012_3456L, 21)));
    }

    @Test
    void oneLookupProbesEveryPageSize()
    {
        final TranslationCache cache = new TranslationCache("iotlb", CacheRole.IOTLB, 64, 4, Replacement.LRU, 3, 1);
        final long sizes = (1L << 12) | (1L << 21) | (1L << 30);
        cache.insert(TAG, CacheKey.of(0x4020_0000L, 21), 0x9_0020_0000L, 3);
        cache.insert(TAG, CacheKey.of(0x8000_5000L, 12), 0x1_2345_6000L, 1);
        final int huge = cache.lookupPage(TAG, 0x402F_F123L, sizes);
        assertEquals(21, CacheKey.sizeLg2(cache.key(huge)), "found as the 2 MiB entry that covers it");
        assertEquals(0x9_0020_0000L, cache.value(huge));
        assertEquals(12, CacheKey.sizeLg2(cache.key(cache.lookupPage(TAG, 0x8000_5FFFL, sizes))));
        assertEquals(TranslationCache.MISS, cache.lookupPage(TAG, 0x4040_0000L, sizes), "next 2 MiB page");
        assertEquals(TranslationCache.MISS, cache.lookupPage(TAG, 0x402F_F123L, 1L << 12), "2 MiB entries not probed");
        assertEquals(4, cache.lookups(), "each lookupPage counts once, however many sizes it probes");
        assertEquals(2, cache.hits());
    }

    @Test
    void hitsMissesAndStatistics()
    {
        final TranslationCache cache = new TranslationCache("iotlb", CacheRole.IOTLB, 64, 4, Replacement.LRU, 3, 1);
        assertEquals(TranslationCache.MISS, cache.lookup(TAG, page(5)));
        final int slot = cache.insert(TAG, page(5), 0x9_5000L, 0x3);
        assertEquals(slot, cache.lookup(TAG, page(5)));
        assertEquals(0x9_5000L, cache.value(slot));
        assertEquals(0x3, cache.attribute(slot));
        assertEquals(TranslationCache.MISS, cache.lookup(CacheTag.of(8, CacheTag.NO_PASID, 0, false, 0), page(5)), "other domain");
        assertEquals(TranslationCache.MISS, cache.lookup(TAG, CacheKey.of(5L << 12, 21)), "other size");
        assertEquals(4, cache.lookups());
        assertEquals(1, cache.hits());
        assertEquals(3, cache.misses());
        assertEquals(0.25, cache.hitRate());
        assertEquals(16, cache.sets());
        assertEquals(1, cache.occupancy());
        cache.insert(TAG, page(5), 0x7_0000L, 0x1); // refresh in place
        assertEquals(1, cache.occupancy());
        assertEquals(0x7_0000L, cache.value(cache.lookup(TAG, page(5))));
    }

    /** Fill one set of a 4-way cache beyond capacity: which way goes depends on the policy. */
    private static int survivorsOfFiveFills(final Replacement replacement, final boolean touchFirst)
    {
        final TranslationCache cache = new TranslationCache("c", CacheRole.IOTLB, 4, 4, replacement, 1, 42);
        for (int i = 0; i < 4; i++)
        {
            cache.insert(TAG, page(i), i, 0);
        }
        if (touchFirst)
        {
            cache.lookup(TAG, page(0));
        }
        cache.insert(TAG, page(4), 4, 0);
        int mask = 0;
        for (int i = 0; i <= 4; i++)
        {
            if (cache.lookup(TAG, page(i)) != TranslationCache.MISS)
            {
                mask |= 1 << i;
            }
        }
        assertEquals(1, cache.evictions());
        return mask;
    }

    @Test
    void replacementPolicies()
    {
        assertEquals(0b11101, survivorsOfFiveFills(Replacement.LRU, true), "LRU keeps the touched page 0, drops page 1");
        assertEquals(0b11110, survivorsOfFiveFills(Replacement.FIFO, true), "FIFO drops page 0 though it was touched");
        assertEquals(0b11110, survivorsOfFiveFills(Replacement.ROUND_ROBIN, false), "round robin starts at way 0");
        assertEquals(survivorsOfFiveFills(Replacement.RANDOM, false), survivorsOfFiveFills(Replacement.RANDOM, false),
            "seeded random is reproducible");
        assertEquals(4, Integer.bitCount(survivorsOfFiveFills(Replacement.RANDOM, false)));
    }

    @Test
    void fullyAssociativeAndGeometryErrors()
    {
        final TranslationCache micro = new TranslationCache("utlb", CacheRole.MICRO_TLB, 32, 0, Replacement.ROUND_ROBIN, 1, 1);
        assertEquals(1, micro.sets());
        assertEquals(32, micro.ways());
        for (int i = 0; i < 32; i++)
        {
            micro.insert(TAG, page(i * 4096L), i, 0);
        }
        assertEquals(0, micro.evictions());
        assertEquals(32, micro.occupancy());
        assertThrows(IllegalArgumentException.class, () -> new TranslationCache("x", CacheRole.IOTLB, 0, 4, Replacement.LRU, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new TranslationCache("x", CacheRole.IOTLB, 64, 3, Replacement.LRU, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new TranslationCache("x", CacheRole.IOTLB, 64, 128, Replacement.LRU, 1, 1));
        // gem5's walk-cache partitions are multiples of the ways, not powers of two: 348 entries = 87 sets of 4.
        final TranslationCache walk = new TranslationCache("walk", CacheRole.WALK, 348, 4, Replacement.ROUND_ROBIN, 4, 1);
        assertEquals(87, walk.sets());
        for (int i = 0; i < 2000; i++)
        {
            walk.insert(TAG, page(i), i, 0);
        }
        assertEquals(348, walk.occupancy(), "every set fills: the modulo spreads pages over all 87 sets");
    }

    @Test
    void scopesRemoveExactlyWhatTheyCover()
    {
        final TranslationCache cache = new TranslationCache("iotlb", CacheRole.IOTLB, 256, 4, Replacement.LRU, 3, 1);
        final long d1 = CacheTag.of(1, CacheTag.NO_PASID, 0, false, 0);
        final long d1p5 = CacheTag.of(1, 5, 0, false, 0);
        final long d1t = CacheTag.of(1, CacheTag.NO_PASID, 0, true, 0);
        final long d2 = CacheTag.of(2, CacheTag.NO_PASID, 0, false, 0);
        final long ctx = CacheTag.of(0, CacheTag.NO_PASID, 0x0310, false, 0);
        cache.insert(d1, CacheKey.of(0x1000, 12), 1, 0);
        cache.insert(d1, CacheKey.of(0x20_0000, 21), 2, 0); // 2 MiB at 2 MiB
        cache.insert(d1p5, CacheKey.of(0x1000, 12), 3, 0);
        cache.insert(d1t, CacheKey.of(0x1000, 12), 4, 0);
        cache.insert(d2, CacheKey.of(0x1000, 12), 5, 0);
        cache.insert(ctx, 0x0310, 6, 0);
        final InvalidationScope scope = new InvalidationScope();

        assertEquals(1, cache.invalidate(scope.range(1, 0x30_0000, 0x30_0FFF)), "a 4 KiB range inside the 2 MiB entry");
        assertEquals(TranslationCache.MISS, cache.lookup(d1, CacheKey.of(0x20_0000, 21)));
        assertEquals(0, cache.invalidate(scope.range(1, 0x2000, 0x1F_FFFF)), "a range touching nothing");
        assertEquals(1, cache.invalidate(scope.pasid(1, 5)));
        assertEquals(1, cache.invalidate(scope.domain(1).trusted(true)), "only the trusted entry");
        assertEquals(1, cache.invalidate(scope.device(0x0310)));
        assertEquals(1, cache.invalidate(scope.domain(1)), "the untrusted, PASID-less entry of domain 1");
        assertEquals(1, cache.occupancy());
        assertEquals(1, cache.invalidate(scope.all()));
        assertEquals(6, cache.invalidated());
        assertThrows(IllegalArgumentException.class, () -> scope.range(1, 0x2000, 0x1000));
    }

    @Test
    void versionChangesExactlyWhenTheContentDoesAndHitCountsAsALookupHit()
    {
        final TranslationCache cache = new TranslationCache("ctx", CacheRole.CONTEXT, 4, 4, Replacement.LRU, 2, 1);
        final long v0 = cache.version();
        assertEquals(TranslationCache.MISS, cache.lookup(TAG, 1));
        assertEquals(v0, cache.version(), "a miss changes nothing");
        final int first = cache.insert(TAG, 1, 0x11, 0);
        final long v1 = cache.version();
        assertNotEquals(v0, v1, "a fill");
        assertEquals(first, cache.lookup(TAG, 1));
        assertEquals(TranslationCache.MISS, cache.lookupPage(TAG, 1L << 12, 1L << 12));
        assertEquals(v1, cache.version(), "lookups and their LRU refresh change no entry");
        assertEquals(0, cache.invalidate(new InvalidationScope().domain(99)));
        assertEquals(v1, cache.version(), "an invalidation that removes nothing");

        // hit() is a lookup that hits: statistics and LRU as lookup's. Fill the set; hit the oldest; the next fill must
        // then evict the second oldest instead.
        final int second = cache.insert(TAG, 2, 0x22, 0);
        cache.insert(TAG, 3, 0x33, 0);
        cache.insert(TAG, 4, 0x44, 0);
        final long lookups = cache.lookups();
        final long hits = cache.hits();
        cache.hit(first);
        assertEquals(lookups + 1, cache.lookups());
        assertEquals(hits + 1, cache.hits());
        final int fifth = cache.insert(TAG, 5, 0x55, 0);
        assertEquals(second, fifth, "LRU evicted the entry not refreshed by hit()");
        assertEquals(first, cache.lookup(TAG, 1), "the refreshed entry stayed");

        final long v2 = cache.version();
        assertEquals(4, cache.invalidate(new InvalidationScope().domain(CacheTag.domainId(TAG))));
        assertNotEquals(v2, cache.version(), "an invalidation that removes entries");
        final long v3 = cache.version();
        cache.clear();
        assertNotEquals(v3, cache.version(), "clear");
    }

    @Test
    void lookupFillAndInvalidationAllocateNothing()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        final TranslationCache cache = new TranslationCache("iotlb", CacheRole.IOTLB, 512, 8, Replacement.LRU, 3, 1);
        final InvalidationScope scope = new InvalidationScope();
        long sink = 0;
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++)
        {
            final long before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            for (int i = 0; i < 20_000; i++)
            {
                final int slot = cache.lookup(TAG, page(i & 1023));
                sink += slot == TranslationCache.MISS ? cache.insert(TAG, page(i & 1023), i, 3) : cache.value(slot);
                if ((i & 4095) == 0)
                {
                    sink += cache.invalidate(scope.range(7, 0, 0xFFFFF));
                }
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before);
        }
        assertEquals(0, least, "bytes allocated by 20000 lookups and fills, least of six rounds (sink " + sink + ")");
    }
}
