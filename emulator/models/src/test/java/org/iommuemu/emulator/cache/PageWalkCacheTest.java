package org.iommuemu.emulator.cache;

import java.util.SplittableRandom;

import org.iommuemu.fixtures.PageTables;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageWalkCacheTest
{
    private static final long TAG = CacheTag.of(3, CacheTag.NO_PASID, 0, false, 0);

    private static PageWalkCache cacheFor(final int levels)
    {
        final TranslationCache[] byLevel = new TranslationCache[levels];
        for (int level = 1; level < levels; level++)
        {
            byLevel[level] = new TranslationCache("walk-l" + level, CacheRole.WALK, 16, 4, Replacement.LRU, 4, 1);
        }
        return new PageWalkCache(byLevel);
    }

    @Test
    void givesTheWalkersAnswersForEveryFormatWhileSkippingCachedLevels()
    {
        for (final String spec : new String[] {"amdv1:3", "amdv1:4", "x86:4", "vtd-ss:4", "ept:4"})
        {
            final PageTable table = PageTables.domain(spec);
            final SplittableRandom random = new SplittableRandom(spec.hashCode());
            for (int i = 0; i < 64; i++)
            {
                final long iova = 0x4000_0000L + random.nextLong(1L << 30) & ~0xFFFL;
                table.map(iova, 0x9_0000_0000L + (iova & 0x3FFF_F000L), 4096,
                    random.nextBoolean() ? Permissions.READ_WRITE : Permissions.READ, PageSizePolicy.FORCED_4K);
            }
            table.map(0x8000_0000L, 0x2_0000_0000L, 4L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST);
            final PageWalkCache pwc = cacheFor(table.format().levels());
            final WalkResult plain = new WalkResult();
            final WalkResult cached = new WalkResult();
            int fewer = 0;
            for (int i = 0; i < 4000; i++)
            {
                final long iova = (random.nextBoolean() ? 0x4000_0000L + random.nextLong(1L << 30) : 0x8000_0000L +
                    random.nextLong(4L << 20)) & ~7L;
                final int access = random.nextBoolean() ? Permissions.READ : Permissions.WRITE;
                final boolean expected = Walker.walk(table.format(), table.memory(), table.root(), iova, access, Permissions.ALL, plain);
                assertEquals(expected, pwc.walk(table.format(), table.memory(), table.root(), TAG, iova, access, Permissions.ALL, cached),
                    spec + " " + Long.toHexString(iova));
                if (expected)
                {
                    assertEquals(plain.outputAddress(), cached.outputAddress());
                    assertEquals(plain.pageSizeLg2(), cached.pageSizeLg2());
                    assertEquals(plain.permissions(), cached.permissions());
                    fewer += cached.entryCount() < plain.entryCount() ? 1 : 0;
                }
                else
                {
                    assertEquals(plain.fault(), cached.fault());
                    assertEquals(plain.entryCount(), cached.entryCount(), "a failed walk is reported in full");
                }
            }
            assertTrue(pwc.hits() > 0 && fewer > 0, spec + ": cached pointers save fetches");
        }
    }

    @Test
    void eachLevelLookedUpIsOneProbeDeepestFirstUntilAHit()
    {
        final PageTable table = PageTables.domain("x86:4");
        assertEquals(MapStatus.OK, table.map(0x4000_0000L, 0x9_0000_0000L, 8192, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, table.map(0x8000_0000L, 0x2_0000_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        final PageWalkCache pwc = cacheFor(4);
        final int[] probes = new int[1];
        pwc.probeListener(() -> probes[0]++);
        final WalkResult result = new WalkResult();

        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_0000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(3, probes[0], "a cold walk misses levels 1, 2 and 3");
        probes[0] = 0;
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_1000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(1, probes[0], "the deepest level (the leaf table's pointer) hits first");
        probes[0] = 0;
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x8000_0000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(3, probes[0]);
        probes[0] = 0;
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x8010_0000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(2, probes[0], "a 2 MiB leaf: level 1 has no pointer, level 2 hits");
        assertEquals(1, result.entryCount());

        pwc.probeListener(null);
        probes[0] = 0;
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_1000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(0, probes[0], "null restores the silent default");
    }

    @Test
    void aCachedPointerOutlivesItsTableUntilInvalidated()
    {
        final PageTable table = PageTables.domain("x86:4");
        assertEquals(MapStatus.OK, table.map(0x4000_0000L, 0x9_0000_0000L, 8192, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final PageWalkCache pwc = cacheFor(4);
        final InvalidationDispatcher dispatcher = new InvalidationDispatcher();
        for (final TranslationCache cache : pwc.caches())
        {
            if (cache != null)
            {
                dispatcher.register(cache);
            }
        }
        final WalkResult result = new WalkResult();
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_0000L, Permissions.READ, Permissions.ALL, result));
        // Point the level-1 entry (the PDE) at a different page table: a PWC still uses the old one.
        final long oldLeafTable = result.entryAddress(3) & ~0xFFFL;
        final PageTable other = PageTables.domain("x86:4");
        other.map(0x4000_0000L, 0x7_0000_0000L, 8192, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K);
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_1000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(1, pwc.resumedLevel(), "resumed at the leaf table");
        assertEquals(oldLeafTable, result.entryAddress(0) & ~0xFFFL);
        table.memory().writeEntry(oldLeafTable + 8, 0); // clear the PTE of 0x40001000 in place
        assertFalse(Walker.walk(table.format(), table.memory(), table.root(), 0x4000_1000L, Permissions.READ, Permissions.ALL, result));
        assertFalse(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_1000L, Permissions.READ, Permissions.ALL, result),
            "the leaf entry itself is never cached here");
        dispatcher.invalidate(new InvalidationScope().domain(3), CacheRole.WALK.bit());
        assertTrue(pwc.walk(table.format(), table.memory(), table.root(), TAG, 0x4000_0000L, Permissions.READ, Permissions.ALL, result));
        assertEquals(-1, pwc.resumedLevel(), "after the invalidation the walk starts at the root");
        assertThrows(IllegalArgumentException.class,
            () -> new PageWalkCache(new TranslationCache("x", CacheRole.IOTLB, 4, 4, Replacement.LRU, 1, 1)));
    }
}
