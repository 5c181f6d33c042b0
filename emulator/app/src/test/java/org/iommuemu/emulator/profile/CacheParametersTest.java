package org.iommuemu.emulator.profile;



import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.cache.Replacement;
import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.emulator.timing.CacheGeometry;
import org.iommuemu.emulator.timing.CacheParameters;
import org.iommuemu.emulator.timing.ParameterException;
import org.iommuemu.emulator.timing.TimingProfile;
import org.iommuemu.emulator.timing.WalkCacheGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The caches built from a profile have the geometry the profile asks for. */
class CacheParametersTest
{
    @Test
    void buildsTheGem5Iotlb()
    {
        final TranslationCache iotlb = TimingProfiles.bundled("gem5-smmuv3").caches().newCache(CacheRole.IOTLB);

        assertEquals("iotlb", iotlb.name());
        assertEquals(CacheRole.IOTLB, iotlb.role());
        assertEquals(2048, iotlb.entries());
        assertEquals(4, iotlb.ways());
        assertEquals(512, iotlb.sets());
        assertEquals(Replacement.ROUND_ROBIN, iotlb.replacement());
        assertEquals(3, iotlb.hitLatency());
    }

    @Test
    void buildsAFullyAssociativeCache()
    {
        final TranslationCache microTlb = TimingProfile.defaults().caches().newCache(CacheRole.MICRO_TLB);

        assertEquals(32, microTlb.entries());
        assertEquals(1, microTlb.sets());
        assertEquals(32, microTlb.ways());
        assertEquals(1, microTlb.hitLatency());
    }

    @Test
    void buildsEveryNonWalkRole()
    {
        final CacheParameters caches = TimingProfiles.bundled("intel").caches();
        for (final CacheRole role : List.of(CacheRole.MICRO_TLB, CacheRole.IOTLB, CacheRole.DEVICE_TLB,
            CacheRole.CONTEXT, CacheRole.PASID, CacheRole.NESTED))
        {
            final TranslationCache cache = caches.newCache(role);
            final CacheGeometry geometry = caches.geometry(role);
            assertEquals(role, cache.role());
            assertEquals(geometry.entries(), cache.entries(), role.name());
            assertEquals(geometry.sets(), cache.sets(), role.name());
            assertEquals(geometry.hitLatency(), cache.hitLatency(), role.name());
            assertEquals(geometry.replacement(), cache.replacement(), role.name());
        }
        assertThrows(IllegalArgumentException.class, () -> caches.newCache(CacheRole.WALK));
    }

    @Test
    void aBuiltCacheHoldsNoMoreThanItsGeometry()
    {
        final TranslationCache context = TimingProfile.defaults().caches().newCache(CacheRole.CONTEXT);
        for (int id = 0; id < 1000; id++)
        {
            context.insert(0, id, id, 0);
        }
        assertEquals(64, context.occupancy());
    }

    @Test
    void buildsPowerOfTwoWalkLevels()
    {
        final CacheParameters caches = TimingProfiles.bundled("amd").caches();
        final TranslationCache level2 = caches.newWalkCache(1, 2);

        assertEquals("walk-s1-l2", level2.name());
        assertEquals(CacheRole.WALK, level2.role());
        assertEquals(256, level2.entries());
        assertEquals(64, level2.sets());
        assertEquals(4, level2.hitLatency());
        assertEquals(64, caches.newWalkCache(2, 2).entries());
    }

    /** gem5's 28- and 348-entry partitions (7 and 87 sets of 4 ways) build as they are. */
    @Test
    void buildsGem5PartitionsThatAreNotPowersOfTwo()
    {
        final CacheParameters caches = TimingProfiles.bundled("gem5-smmuv3").caches();

        assertEquals(4, caches.newWalkCache(1, 0).entries());
        final TranslationCache level1 = caches.newWalkCache(1, 1);
        assertEquals(28, level1.entries());
        assertEquals(7, level1.sets());
        final TranslationCache level2 = caches.newWalkCache(1, 2);
        assertEquals(348, level2.entries());
        assertEquals(87, level2.sets());
        assertThrows(IllegalArgumentException.class, () -> caches.newWalkCache(3, 0));
    }

    @Test
    void geometryRejectsWhatTranslationCacheWould()
    {
        assertEquals("entries", assertThrows(ParameterException.class,
            () -> new CacheGeometry(true, 96, 4, Replacement.LRU, 1, 1)).field());
        assertEquals("ways", assertThrows(ParameterException.class,
            () -> new CacheGeometry(true, 64, 128, Replacement.LRU, 1, 1)).field());
        assertEquals("slots", assertThrows(ParameterException.class,
            () -> new CacheGeometry(true, 64, 4, Replacement.LRU, 1, 0)).field());
        assertEquals(16, new CacheGeometry(true, 64, 4, Replacement.FIFO, 0, 1).sets());
    }

    @Test
    void walkLevelsAreCopiedNotShared()
    {
        final List<Integer> levels = new ArrayList<>(List.of(4, 8));
        final WalkCacheGeometry walk = new WalkCacheGeometry(true, 4, Replacement.LRU, 4, 4, levels, levels,
            List.of(0), List.of(), false);
        levels.set(0, 1024);
        assertEquals(4, walk.levelEntries(1, 0));
        assertEquals(0, walk.cachedLevelMask(2));
    }
}
