package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.TranslationCache;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DTE cache, the GCR3 cache and PASID-selective IOTLB invalidation, seen from the driver's side. */
class AmdViCacheTest extends AmdViTestBed
{
    @Test
    void aChangedDeviceTableEntryIsNotSeenUntilInvalidateDevtabEntry()
    {
        bringUp(null, 9);
        driver.attach(DEVICE, domain, DOMAIN, true, true);
        final PageTable other = driver.newDomain(3);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 8192, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, other.map(0x4000_1000L, 0x9_0000_1000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertTrue(iommu.dma(DEVICE, 0x4000_0000L, false, out));
        final long hitsBefore = iommu.deviceTableCache().hits();

        // Software rewrites the DTE (another table and domain) but does not invalidate it.
        DeviceTableEntry.writeHost(memory, DEVICE_TABLE, DEVICE, other.root(), 3, DOMAIN + 1, true, true);
        assertTrue(iommu.dma(DEVICE, 0x4000_1000L, false, out));
        assertEquals(0x8_0000_1000L, out.outputAddress(), "the stale DTE still points at the old table");
        assertEquals(DOMAIN, out.domainId());
        assertEquals(hitsBefore + 1, iommu.deviceTableCache().hits());

        driver.invalidateDeviceTableEntry(DEVICE);
        assertTrue(iommu.dma(DEVICE, 0x4000_1000L, false, out));
        assertEquals(0x9_0000_1000L, out.outputAddress(), "refreshed");
        assertEquals(DOMAIN + 1, out.domainId());

        // INVALIDATE_IOMMU_ALL also drops it.
        DeviceTableEntry.writeHost(memory, DEVICE_TABLE, DEVICE, domain.root(), 3, DOMAIN, true, true);
        assertTrue(iommu.dma(DEVICE, 0x4000_1000L, false, out));
        assertEquals(DOMAIN + 1, out.domainId());
        driver.invalidateAll();
        assertTrue(iommu.dma(DEVICE, 0x4000_1000L, false, out));
        assertEquals(DOMAIN, out.domainId());
    }

    @Test
    void everyRequestLooksUpTheDeviceTableCacheOnce()
    {
        bringUp(null, 9);
        driver.attach(DEVICE, domain, DOMAIN, true, true);
        driver.attach(DEVICE + 1, domain, DOMAIN, true, true);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 8192, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final TranslationCache dtes = iommu.deviceTableCache();
        final long lookups = dtes.lookups();
        final long hits = dtes.hits();
        // Same device twice, the other device, back: 2 misses (first use of each), 4 hits, whichever way they are found.
        final int[] devices = {DEVICE, DEVICE, DEVICE, DEVICE + 1, DEVICE + 1, DEVICE};
        for (final int device : devices)
        {
            assertTrue(iommu.dma(device, 0x4000_0000L, false, out));
            assertEquals(0x8_0000_0000L, out.outputAddress());
        }
        assertEquals(lookups + devices.length, dtes.lookups());
        assertEquals(hits + 4, dtes.hits());
        assertTrue(dtes.occupancy() >= 2);
    }

    @Test
    void aCachedGuestCr3LastsUntilThePasidIsFlushed()
    {
        bringUp(null, 9);
        driver.enableGuestTranslation();
        final long gcr3 = driver.newGcr3Table();
        driver.attachGuest(DEVICE, null, DOMAIN, gcr3, 1, 4, false);
        final PageTable first = driver.newGuestDomain(4);
        final PageTable second = driver.newGuestDomain(4);
        assertEquals(MapStatus.OK, first.map(0x1000_0000L, 0x8_0000_0000L, 8192, USER_RW, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, second.map(0x1000_1000L, 0x9_0000_1000L, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        driver.setGuestCr3(gcr3, 1, DOMAIN, 6, first.root());
        assertTrue(iommu.dma(DEVICE, 6, 0x1000_0000L, Permissions.READ, false, out));

        memory.writeEntry(gcr3 + GuestCr3TableEntry.offset(6, 0), GuestCr3TableEntry.make(second.root())); // no flush
        assertTrue(iommu.dma(DEVICE, 6, 0x1000_1000L, Permissions.READ, false, out));
        assertEquals(0x8_0000_1000L, out.outputAddress(), "the GCR3 cache still holds the first table");

        driver.invalidatePasidPages(DOMAIN, 6, 0, 1L << 63);
        assertTrue(iommu.dma(DEVICE, 6, 0x1000_1000L, Permissions.READ, false, out));
        assertEquals(0x9_0000_1000L, out.outputAddress());
    }

    @Test
    void invalidateIommuPagesWithAPasidReachesOnlyThatPasid()
    {
        bringUp(null, 9);
        driver.enableGuestTranslation();
        final long gcr3 = driver.newGcr3Table();
        driver.attachGuest(DEVICE, null, DOMAIN, gcr3, 1, 4, false);
        final PageTable a = driver.newGuestDomain(4);
        final PageTable b = driver.newGuestDomain(4);
        assertEquals(MapStatus.OK, a.map(0x1000_0000L, 0x8_0000_0000L, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, b.map(0x1000_0000L, 0x9_0000_0000L, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        driver.setGuestCr3(gcr3, 1, DOMAIN, 1, a.root());
        driver.setGuestCr3(gcr3, 1, DOMAIN, 2, b.root());
        assertTrue(iommu.dma(DEVICE, 1, 0x1000_0000L, Permissions.WRITE, false, out));
        assertTrue(iommu.dma(DEVICE, 2, 0x1000_0000L, Permissions.WRITE, false, out));
        assertEquals(0x9_0000_0000L, out.outputAddress());
        assertEquals(MapStatus.OK, a.unmap(0x1000_0000L, 4096));
        assertEquals(MapStatus.OK, b.unmap(0x1000_0000L, 4096));

        driver.invalidatePasidPages(DOMAIN, 1, 0x1000_0000L, 4096);
        assertFalse(iommu.dma(DEVICE, 1, 0x1000_0000L, Permissions.WRITE, false, out));
        final long[] event = nextEvent();
        assertEquals(AmdViEvent.FLAG_GN | AmdViEvent.FLAG_US | AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
        assertEquals(1, AmdViEvent.pasid(event[0]));
        assertTrue(iommu.dma(DEVICE, 2, 0x1000_0000L, Permissions.WRITE, false, out), "PASID 2 still hits its stale entry");
        assertTrue(out.iotlbHit());

        driver.invalidatePages(DOMAIN, 0x1000_0000L, 4096); // GN = 0: every PASID of the domain
        assertFalse(iommu.dma(DEVICE, 2, 0x1000_0000L, Permissions.WRITE, false, out));
    }

    @Test
    void nestedHostTranslationsAreCachedUntilTheDomainsPagesAreInvalidated()
    {
        bringUp(null, 9);
        final PageTable guest = nested(0x50, 4);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, DATA_GPA, 16 * 4096L, USER_RW, PageSizePolicy.FORCED_4K));
        assertTrue(iommu.dma(DEVICE, 0x50, 0x4000_0000L, Permissions.READ, false, out));
        final long fills = iommu.nestedCache().fills();
        final long hits = iommu.nestedCache().hits();
        assertTrue(iommu.dma(DEVICE, 0x50, 0x4000_1000L, Permissions.READ, false, out), "an IOTLB miss, the same guest tables");
        assertEquals(hits + 4, iommu.nestedCache().hits(), "the four guest table fetches hit the nested-walk cache");
        assertEquals(fills + 1, iommu.nestedCache().fills(), "the final GPA is another 4 KiB page");

        // Move the guest's data in the host table without invalidation: the cached GPA translation is stale.
        assertEquals(MapStatus.OK, domain.unmap(DATA_GPA, 2L << 20));
        assertEquals(MapStatus.OK, domain.map(DATA_GPA, 0xA_0000_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        // Two more guest pages on the first data page (its GPA translation is cached), not yet in the IOTLB.
        assertEquals(MapStatus.OK, guest.map(0x4100_0000L, DATA_GPA, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, guest.map(0x4200_0000L, DATA_GPA, 4096, USER_RW, PageSizePolicy.FORCED_4K));
        assertTrue(iommu.dma(DEVICE, 0x50, 0x4100_0000L, Permissions.READ, false, out));
        assertEquals(DATA_SPA, out.outputAddress(), "stale");
        driver.invalidatePages(DOMAIN, DATA_GPA, 2L << 20); // the host table's input addresses are GPAs
        assertTrue(iommu.dma(DEVICE, 0x50, 0x4200_0000L, Permissions.READ, false, out));
        assertEquals(0xA_0000_0000L, out.outputAddress());
    }
}
