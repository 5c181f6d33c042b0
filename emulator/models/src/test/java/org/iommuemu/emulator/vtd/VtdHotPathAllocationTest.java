package org.iommuemu.emulator.vtd;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.fixtures.OffsetMemory;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request path allocates nothing once warm: IOTLB hits and misses with walks, nested walks, ATS answers,
 * faults (recorded and dropped), and dirty-tracked writes that walk and mark their pages, measured with the JVM's
 * per-thread allocation counter.
 */
class VtdHotPathAllocationTest extends VtdTestBed
{
    private static final long IOVA = 0x1000_0000L;
    private static final int PAGES = 1024;

    private static ThreadMXBean threads()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter on this JVM");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        return threads;
    }

    /** Leaf entries of the dirty-tracked device's pages, whose D bits each round clears as iommufd's read-and-clear does. */
    private final long[] trackedLeaves = new long[PAGES];

    private void round(final int device, final int nestedDevice)
    {
        for (int i = 0; i < PAGES; i++)
        {
            assertTrue(dma(device, IOVA + i * 4096L, (i & 1) == 0));
        }
        // Dirty tracking (SSADE): clean pages, written through an IOTLB too small to hold them all, are walked and marked.
        for (final long leaf : trackedLeaves)
        {
            memory.writeEntry(leaf, memory.readEntry(leaf) & ~VtdSecondStageFormat.D);
        }
        for (int i = 0; i < PAGES; i++)
        {
            assertTrue(dma(DEVICE + 2, IOVA + i * 4096L, true));
        }
        assertTrue(dma(nestedDevice, 1, 0x7000_0000L, Permissions.READ, false));
        assertTrue(ats(device, -1, IOVA, AddressType.TRANSLATION_REQUEST, false));
        assertFalse(dma(0x0500, 0x1000, false));
        assertFalse(dma(nestedDevice, 1, 0x9000_0000L, Permissions.WRITE, false));
    }

    @Test
    void handleAllocatesNothingOnceWarm()
    {
        final ThreadMXBean threads = threads();
        bringUp(true, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap() | VtdRegisters.ECAP_SLADS, null);
        final PageTable ss = secondStage(4);
        map4k(ss, IOVA, DATA, PAGES * 4096L, Permissions.READ_WRITE);
        driver.setScalableContext(DEVICE, 0, true, true, false, 0);
        driver.attachSecondStage(DEVICE, 0, ss, DOMAIN);

        final long offset = 0x3_0000_0000L;
        final PageTable nestedSs = secondStage(4);
        map4k(nestedSs, 0x1000_0000L, 0x1000_0000L + offset, 64 * 4096L, Permissions.READ_WRITE);
        map4k(nestedSs, 0x2000_0000L, 0x2000_0000L + offset, 4096, Permissions.READ_WRITE);
        final PageTable fs = new PageTable(iommu.firstStageFormat(4),
            new FrameAllocator(new OffsetMemory(memory, offset), 0x1000_0000L, 64 * 4096L));
        map4k(fs, 0x7000_0000L, 0x2000_0000L, 4096, Permissions.READ_WRITE | Permissions.USER);
        driver.setScalableContext(DEVICE + 1, 0, true, false, false, 0);
        driver.attachNested(DEVICE + 1, 1, fs.root(), 4, nestedSs, DOMAIN + 1, true, false);

        final PageTable tracked = secondStage(4);
        map4k(tracked, IOVA, DATA, PAGES * 4096L, Permissions.READ_WRITE);
        driver.setScalableContext(DEVICE + 2, 0, false, false, false, 0);
        driver.attachSecondStage(DEVICE + 2, 0, tracked, DOMAIN + 2, true);
        final WalkResult walk = new WalkResult();
        for (int i = 0; i < PAGES; i++)
        {
            assertTrue(tracked.translate(IOVA + i * 4096L, 0, walk));
            trackedLeaves[i] = walk.entryAddress(walk.entryCount() - 1);
        }

        for (int i = 0; i < 200; i++)
        {
            round(DEVICE, DEVICE + 1);
        }
        assertTrue((memory.readEntry(trackedLeaves[7]) & VtdSecondStageFormat.D) != 0,
            "the tracked writes marked their pages");
        // The fewest bytes over three windows: a JIT recompilation or deoptimisation in one window (which can
        // run a method interpreted, where escape analysis does not apply) must not fail the test, while a real
        // allocation on the request path shows in every window.
        final long thread = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        for (int window = 0; window < 3; window++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 50; i++)
            {
                round(DEVICE, DEVICE + 1);
            }
            allocated = Math.min(allocated, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, allocated, "bytes allocated by " + 50 * (2 * PAGES + 4) + " requests");
    }
}
