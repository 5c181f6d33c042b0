package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The devices' ATS caches: filled by answered translation requests, emptied by INVALIDATE_IOTLB_PAGES only. */
class AmdViDeviceTlbTest extends AmdViTestBed
{
    static final int OTHER_DEVICE = 0x0200;

    void atsDevices()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        attach(OTHER_DEVICE, true, true, 3);
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, DEVICE, true);
        DeviceTableEntry.allowAts(memory, DEVICE_TABLE, OTHER_DEVICE, true);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 4 * 4096L, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, domain.map(0x4020_0000L, 0x8_0020_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
    }

    @Test
    void answeredTranslationRequestsFillTheDeviceTlbUntilInvalidateIotlbPages()
    {
        atsDevices();
        final DeviceTlb atc = iommu.deviceTlb();
        for (int i = 0; i < 4; i++)
        {
            assertTrue(iommu.translationRequest(DEVICE, 0x4000_0000L + i * 4096L, out) != 0);
        }
        assertTrue(iommu.translationRequest(DEVICE, 0x4020_0000L, out) != 0);
        assertTrue(iommu.translationRequest(OTHER_DEVICE, 0x4000_0000L, out) != 0);
        assertEquals(0x8_0000_2345L, atc.translate(DEVICE, CacheTag.NO_PASID, 0x4000_2345L));
        assertEquals(Permissions.READ_WRITE, atc.lastPermissions() & Permissions.READ_WRITE);
        assertEquals(0x8_003F_FFFFL, atc.translate(DEVICE, CacheTag.NO_PASID, 0x403F_FFFFL), "a 2 MiB answer covers it all");
        assertFalse(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4100_0000L));

        // The IOMMU's own invalidations do not reach the devices' caches.
        driver.invalidatePages(DOMAIN, 0x4000_0000L, 1L << 52);
        driver.invalidateAll();
        assertTrue(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4000_0000L));

        // 8 KiB range (S = 1): the first two pages of DEVICE only.
        driver.invalidateIotlbPages(DEVICE, CacheTag.NO_PASID, 0x4000_0000L, 8192);
        assertFalse(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4000_0000L));
        assertFalse(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4000_1000L));
        assertTrue(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4000_2000L));
        assertTrue(atc.holds(OTHER_DEVICE, CacheTag.NO_PASID, 0x4000_0000L), "another device's cache is untouched");

        // A single 4 KiB page inside the 2 MiB translation drops the whole entry.
        driver.invalidateIotlbPages(DEVICE, CacheTag.NO_PASID, 0x4021_0000L, 4096);
        assertFalse(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4020_0000L));
        // Everything of the device.
        driver.invalidateIotlbPages(DEVICE, CacheTag.NO_PASID, 0, 1L << 63);
        assertFalse(atc.holds(DEVICE, CacheTag.NO_PASID, 0x4000_3000L));
        assertEquals(1, atc.cache().occupancy());
    }

    @Test
    void invalidateIotlbPagesWithAPasidReachesOnlyThatPasid()
    {
        bringUp(null, 9);
        driver.enableGuestTranslation();
        final long gcr3 = driver.newGcr3Table();
        driver.attachGuest(DEVICE, null, DOMAIN, gcr3, 2, 4, false);
        driver.allowAts(DEVICE, true);
        final var guest = driver.newGuestDomain(4);
        assertEquals(MapStatus.OK, guest.map(0x1000_0000L, 0x8_0000_0000L, 4096,
            Permissions.READ | Permissions.WRITE | Permissions.USER, PageSizePolicy.FORCED_4K));
        driver.setGuestCr3(gcr3, 2, DOMAIN, 0x1_0203, guest.root());
        driver.setGuestCr3(gcr3, 2, DOMAIN, 0x204, guest.root());
        assertTrue(iommu.translationRequest(DEVICE, 0x1_0203, 0x1000_0000L, false, out) != 0);
        assertTrue(iommu.translationRequest(DEVICE, 0x204, 0x1000_0000L, false, out) != 0);

        driver.invalidateIotlbPages(DEVICE, 0x204, 0x1000_0000L, 4096);
        assertFalse(iommu.deviceTlb().holds(DEVICE, 0x204, 0x1000_0000L));
        assertTrue(iommu.deviceTlb().holds(DEVICE, 0x1_0203, 0x1000_0000L));
        driver.invalidateIotlbPages(DEVICE, CacheTag.NO_PASID, 0x1000_0000L, 4096); // GN = 0: every PASID of the device
        assertFalse(iommu.deviceTlb().holds(DEVICE, 0x1_0203, 0x1000_0000L));
    }

    @Test
    void theInvalidateIotlbPagesEncodingCarriesTheSplitPasid()
    {
        final long[] words = new long[2];
        AmdViCommand.invalidateIotlbPages(words, 0xBEEF, 0xABCDE, 32, 0x4000_0000L, 8192);
        assertEquals(AmdViCommand.INVALIDATE_IOTLB_PAGES, (int)(words[0] >>> 60));
        assertEquals(0xBEEF, AmdViCommand.deviceId(words[0]));
        assertEquals(0xABCDE, AmdViCommand.iotlbPagesPasid(words[0], words[1]));
        assertEquals(0xBC, (int)(words[0] >>> 16) & 0xFF, "c0[23:16] = PASID[15:8]");
        assertEquals(0xDE, (int)(words[0] >>> 48) & 0xFF, "c1[23:16] = PASID[7:0]");
        assertEquals(0xA, (int)(words[0] >>> 56) & 0xF, "c1[27:24] = PASID[19:16]");
        assertEquals(0x4000_0000L, AmdViCommand.rangeFirst(words[1]));
        assertEquals(0x4000_1FFFL, AmdViCommand.rangeLast(words[1]));
        AmdViCommand.invalidateIotlbPages(words, 0xBEEF, CacheTag.NO_PASID, 32, 0x4000_0000L, 4096);
        assertEquals(CacheTag.NO_PASID, AmdViCommand.iotlbPagesPasid(words[0], words[1]));
    }

    @Test
    void aLeafWithTheUBitIsAnsweredUntranslatedOnlyAndNotCached()
    {
        atsDevices();
        final WalkResult walk = new WalkResult();
        assertTrue(domain.translate(0x4000_1000L, 0, walk));
        final long leaf = walk.entryAddress(walk.entryCount() - 1);
        memory.writeEntry(leaf, memory.readEntry(leaf) | AmdV1Format.U);

        final long entry = iommu.translationRequest(DEVICE, 0x4000_1000L, out);
        assertEquals(0x8_0000_1000L | TranslationCompletionEntry.R | TranslationCompletionEntry.W | TranslationCompletionEntry.U, entry);
        assertEquals(entry, out.completionEntry());
        assertFalse(iommu.deviceTlb().holds(DEVICE, CacheTag.NO_PASID, 0x4000_1000L), "U: the device may not cache it");
        assertEquals(0, iommu.translationRequest(DEVICE, 0x4000_0000L, out) & TranslationCompletionEntry.U);
        assertTrue(iommu.dma(DEVICE, 0x4000_1000L, true, out), "untranslated access still works");
        assertTrue(out.iotlbHit());
        assertEquals(TranslationCompletionEntry.U, iommu.translationRequest(DEVICE, 0x4000_1000L, out) & TranslationCompletionEntry.U,
            "the IOTLB entry keeps the leaf's U");
        assertTrue(out.iotlbHit());
    }
}
