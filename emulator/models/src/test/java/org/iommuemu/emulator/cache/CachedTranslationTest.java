package org.iommuemu.emulator.cache;

import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The one layout of a cached translation: fill, then read back every field and the composed output address. */
class CachedTranslationTest
{
    private final TranslationCache cache = new TranslationCache("t", CacheRole.IOTLB, 16, 4, Replacement.LRU, 1, 1);

    @Test
    void anEntrySmallerThanItsLeafReportsTheLeafAndComposesAtItsOwnSize()
    {
        // A 32 KiB leaf cached as the 4 KiB entry of the fragment used (AMD-Vi), with U.
        final long tag = CacheTag.of(3, CacheTag.NO_PASID, 0, false, 0);
        final int slot = CachedTranslation.fill(cache, tag, 0x4000_5123L, 12, 0x9_0000_5123L, Permissions.READ_WRITE, 15,
            CachedTranslation.UNTRANSLATED_ONLY);
        assertEquals(slot, cache.lookupPage(tag, 0x4000_5FF8L, 1L << 12));
        final int attribute = cache.attribute(slot);
        assertEquals(0x9_0000_5FF8L, CachedTranslation.outputAddress(cache, slot, 0x4000_5FF8L));
        assertEquals(15, CachedTranslation.pageSizeLg2(attribute));
        assertEquals(Permissions.READ_WRITE, CachedTranslation.permissions(attribute));
        assertTrue(CachedTranslation.has(attribute, CachedTranslation.UNTRANSLATED_ONLY));
        assertFalse(CachedTranslation.has(attribute, CachedTranslation.SHARED_EPT));
        assertTrue(CachedTranslation.grants(attribute, Permissions.WRITE));
        assertFalse(CachedTranslation.grants(attribute, Permissions.WRITE | Permissions.USER));
    }

    @Test
    void aLargeEntryComposesTheOffsetWithinItsPage()
    {
        final long tag = CacheTag.of(1, 5, 0, true, 0);
        final int slot = CachedTranslation.fill(cache, tag, 0x4020_0000L, 21, 0x8_0060_0000L, Permissions.READ, 21,
            CachedTranslation.SHARED_EPT);
        assertEquals(slot, cache.lookupPage(tag, 0x403F_FFF8L, 1L << 21));
        assertEquals(0x8_007F_FFF8L, CachedTranslation.outputAddress(cache, slot, 0x403F_FFF8L));
        assertTrue(CachedTranslation.has(cache.attribute(slot), CachedTranslation.SHARED_EPT));
        assertFalse(CachedTranslation.grants(cache.attribute(slot), Permissions.WRITE));
    }
}
