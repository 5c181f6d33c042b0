package org.iommuemu.emulator.cache;

import org.iommuemu.fixtures.PageTables;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hardware semantics: a cached translation stays usable until it is invalidated. An unmap without an
 * invalidation leaves a stale IOTLB hit behind; after the invalidation the lookup misses and the walk faults.
 */
class StaleTranslationTest
{
    @Test
    void unmapWithoutInvalidationLeavesAStaleHit()
    {
        final PageTable domain = PageTables.domain("amdv1:3");
        final TranslationCache iotlb = new TranslationCache("iotlb", CacheRole.IOTLB, 64, 4, Replacement.LRU, 3, 1);
        final TranslationCache context = new TranslationCache("dte", CacheRole.CONTEXT, 16, 4, Replacement.LRU, 3, 1);
        final InvalidationDispatcher dispatcher = new InvalidationDispatcher();
        dispatcher.register(iotlb);
        dispatcher.register(context);
        final long tag = CacheTag.of(3, CacheTag.NO_PASID, 0, false, 0);
        final long iova = 0x4020_1000L;
        final WalkResult walk = new WalkResult();

        assertEquals(MapStatus.OK, domain.map(iova, 0x9_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertTrue(domain.translate(iova, Permissions.WRITE, walk));
        iotlb.insert(tag, CacheKey.of(iova, walk.pageSizeLg2()), walk.outputAddress() & -4096L, walk.permissions());
        context.insert(CacheTag.of(0, CacheTag.NO_PASID, 0x0100, false, 0), 0x0100, domain.root(), 3);

        assertEquals(MapStatus.OK, domain.unmap(iova, 4096));
        assertFalse(domain.translate(iova, Permissions.WRITE, walk));
        assertEquals(WalkFault.NOT_PRESENT, walk.fault());
        final int stale = iotlb.lookup(tag, CacheKey.of(iova, 12));
        assertNotEquals(TranslationCache.MISS, stale, "the IOTLB still translates the unmapped page");
        assertEquals(0x9_0000_0000L, iotlb.value(stale));

        final InvalidationScope scope = new InvalidationScope().range(3, iova, iova + 4095);
        assertEquals(1, dispatcher.invalidate(scope, CacheRole.IOTLB.bit() | CacheRole.WALK.bit()));
        assertEquals(TranslationCache.MISS, iotlb.lookup(tag, CacheKey.of(iova, 12)));
        assertEquals(1, context.occupancy(), "a page invalidation does not reach the device-table cache");
        assertEquals(1, dispatcher.invalidate(scope.device(0x0100), CacheRole.CONTEXT.bit()));
        assertEquals(2, dispatcher.entriesRemoved());
    }
}
