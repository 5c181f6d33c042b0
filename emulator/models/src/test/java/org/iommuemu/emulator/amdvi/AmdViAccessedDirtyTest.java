package org.iommuemu.emulator.amdvi;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * AMD-Vi host access/dirty tracking (confidential-io-extras.md 3.2): DTE.HAD with EFR.HASup/HDSup; A set in every
 * entry a walk uses, D in the leaf of a write; IOTLB entries remember whether their leaf is dirty, so a write hitting a
 * clean cached translation walks and marks D; after iommufd's read-and-clear the IOTLB flush is what makes the next
 * write set D again; HAD 10b is ILLEGAL_DEV_TABLE_ENTRY; without the EFR bits HAD is ignored.
 */
class AmdViAccessedDirtyTest
{
    static final int DEVICE = 0x1000;
    static final int DOMAIN = 3;
    static final long IOVA = 0x1_0000_0000L;
    static final long SPA = 0x8000_0000L;
    static final long EFR = AmdViRegisters.EFR_HA_SUP | AmdViRegisters.EFR_HD_SUP;

    final SparseMemory memory = new SparseMemory();
    final RequestOutcome out = new RequestOutcome();
    AmdViIommu iommu;
    AmdViDriver driver;
    PageTable domain;

    private void bringUp(final long efr, final int had)
    {
        iommu = new AmdViIommu(memory, efr, null, AmdViIommu.defaultIotlb());
        driver = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        domain = driver.newDomain(3);
        assertEquals(MapStatus.OK, domain.map(IOVA, SPA, 64 * 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        driver.attach(DEVICE, domain, DOMAIN, true, true);
        if (had != DeviceTableEntry.HAD_NONE)
        {
            final long address = DeviceTableEntry.address(driver.layout().deviceTable(), DEVICE);
            memory.writeEntry(address, DeviceTableEntry.withHostAccessDirty(memory.readEntry(address), had));
            driver.invalidateDeviceTableEntry(DEVICE);
        }
    }

    /** The entries a walk of {@code iova} reads, leaf last. */
    private long[] entries(final long iova)
    {
        final WalkResult walk = new WalkResult();
        assertTrue(Walker.walk(domain.format(), memory, domain.root(), iova, Permissions.READ, Permissions.ALL, walk));
        final long[] values = new long[walk.entryCount()];
        for (int i = 0; i < values.length; i++)
        {
            values[i] = walk.entryValue(i);
        }
        return values;
    }

    private static boolean accessed(final long entry)
    {
        return (entry & AmdV1Format.A) != 0;
    }

    private static boolean dirty(final long entry)
    {
        return (entry & AmdV1Format.D) != 0;
    }

    private List<Long> dirtyPages()
    {
        final List<Long> pages = new ArrayList<>();
        domain.readDirty(IOVA, 64 * 4096, false, (first, last, lg2) ->
        {
            for (long page = first; page <= last; page += 4096)
            {
                pages.add(page);
            }
        });
        return pages;
    }

    @Test
    void readsSetAccessedWritesSetDirtyAndACleanCachedTranslationIsWalkedAgain()
    {
        bringUp(EFR, DeviceTableEntry.HAD_ACCESSED_DIRTY);
        assertTrue(iommu.dma(DEVICE, IOVA + 0x10, false, out));
        for (final long entry : entries(IOVA))
        {
            assertTrue(accessed(entry), "a read sets A in every entry it used");
        }
        assertFalse(dirty(entries(IOVA)[2]), "a read leaves D clear");
        assertTrue(iommu.dma(DEVICE, IOVA + 0x20, true, out));
        assertFalse(out.iotlbHit(), "the cached translation says clean: the write walks");
        assertTrue(dirty(entries(IOVA)[2]), "and marks the leaf dirty");
        assertTrue(iommu.dma(DEVICE, IOVA + 0x30, true, out));
        assertTrue(out.iotlbHit(), "the refilled entry knows the page is dirty");
        assertEquals(List.of(IOVA), dirtyPages());
        final long updates = iommu.accessDirtyUpdates();
        assertTrue(updates >= 4, "three A updates, one D update: " + updates);
        assertTrue(iommu.dma(DEVICE, IOVA + 0x40, true, out));
        assertEquals(updates, iommu.accessDirtyUpdates(), "nothing left to set");

        // iommufd's GET_DIRTY_BITMAP clears D; without the IOTLB flush a write through the cached, "dirty" translation
        // does not set D again (the hazard of 3.4); after the flush it does.
        domain.readDirty(IOVA, 64 * 4096, true, (first, last, lg2) -> { });
        assertEquals(List.of(), dirtyPages());
        assertTrue(iommu.dma(DEVICE, IOVA + 0x50, true, out));
        assertTrue(out.iotlbHit());
        assertEquals(List.of(), dirtyPages(), "a stale dirty IOTLB entry: the write is lost to the bitmap");
        driver.invalidatePages(DOMAIN, IOVA, 64 * 4096);
        assertTrue(iommu.dma(DEVICE, IOVA + 0x60, true, out));
        assertFalse(out.iotlbHit());
        assertEquals(List.of(IOVA), dirtyPages(), "after the flush the write sets D again");
    }

    @Test
    void accessedOnlyTranslationRequestsAndTheEnables()
    {
        bringUp(EFR, DeviceTableEntry.HAD_ACCESSED);
        assertTrue(iommu.dma(DEVICE, IOVA + 0x1000, true, out));
        assertTrue(accessed(entries(IOVA + 0x1000)[2]));
        assertFalse(dirty(entries(IOVA + 0x1000)[2]), "HAD 01b: A only");

        bringUp(EFR, DeviceTableEntry.HAD_ACCESSED_DIRTY);
        driver.allowAts(DEVICE, true);
        iommu.translationRequest(DEVICE, IOVA + 0x2000, out);
        assertTrue(out.isOk());
        assertTrue(dirty(entries(IOVA + 0x2000)[2]), "an ATS answer granting write marks D: the device writes unseen");

        bringUp(0, DeviceTableEntry.HAD_ACCESSED_DIRTY);
        assertTrue(iommu.dma(DEVICE, IOVA + 0x3000, true, out));
        assertFalse(accessed(entries(IOVA + 0x3000)[2]), "without EFR.HASup/HDSup HAD is ignored");
        assertEquals(0, iommu.accessDirtyUpdates());

        bringUp(EFR, DeviceTableEntry.HAD_RESERVED);
        assertFalse(iommu.dma(DEVICE, IOVA, false, out));
        assertEquals(AmdViFault.ILLEGAL_DEV_TABLE_ENTRY, out.fault(), "HAD 10b is reserved");
    }

    /** Tracked reads and writes, re-walks of clean cached translations and the A/D updates allocate nothing. */
    @Test
    void trackingAllocatesNothing()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        bringUp(EFR, DeviceTableEntry.HAD_ACCESSED_DIRTY);
        final long[] leaves = new long[64];
        final WalkResult walk = new WalkResult();
        for (int i = 0; i < 64; i++)
        {
            assertTrue(Walker.walk(domain.format(), memory, domain.root(), IOVA + i * 4096L, Permissions.READ, Permissions.ALL, walk));
            leaves[i] = walk.entryAddress(walk.entryCount() - 1);
        }
        final long thread = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        long sink = 0;
        for (int round = 0; round < 8; round++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 4096; i++)
            {
                final long page = IOVA + (long)(i & 63) * 4096;
                sink += iommu.dma(DEVICE, page, false, out) ? out.outputAddress() : 1;
                sink += iommu.dma(DEVICE, page + 8, true, out) ? out.outputAddress() : 1;
                if ((i & 63) == 63)
                {
                    // D cleared and the IOTLB flushed, as a read-and-clear does: the writes walk and mark D again.
                    for (final long leaf : leaves)
                    {
                        memory.writeEntry(leaf, memory.readEntry(leaf) & ~AmdV1Format.D);
                    }
                    driver.invalidatePages(DOMAIN, IOVA, 64 * 4096);
                }
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, least, "bytes allocated by tracked requests, least of eight rounds (sink " + sink + ")");
        assertTrue(iommu.accessDirtyUpdates() > 8 * 64, "D set again after every clear: " + iommu.accessDirtyUpdates());
    }

    @Test
    void theDriverTogglesTrackingAsLinuxDoes()
    {
        bringUp(EFR, DeviceTableEntry.HAD_NONE);
        assertTrue(iommu.dma(DEVICE, IOVA, true, out));
        assertFalse(dirty(entries(IOVA)[2]), "not tracking");
        final long commands = iommu.commandsProcessed();
        driver.setDirtyTracking(DEVICE, DOMAIN, true);
        assertEquals(commands + 4, iommu.commandsProcessed(), "INVALIDATE_DEVTAB_ENTRY, INVALIDATE_IOMMU_PAGES, two waits");
        assertTrue(iommu.dma(DEVICE, IOVA, true, out));
        assertFalse(out.iotlbHit(), "the domain flush made the write walk");
        assertTrue(dirty(entries(IOVA)[2]));
        driver.setDirtyTracking(DEVICE, DOMAIN, false);
        assertEquals(DeviceTableEntry.HAD_NONE, DeviceTableEntry.hostAccessDirty(
            memory.readEntry(DeviceTableEntry.address(driver.layout().deviceTable(), DEVICE))));
    }
}
