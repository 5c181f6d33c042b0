package org.iommuemu.tdx;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.iommuemu.tdx.TdxTestBed.TDR;
import static org.iommuemu.tdx.TdxTestBed.dataPage;
import static org.iommuemu.tdx.TdxTestBed.info;
import static org.iommuemu.tdx.TdxTestBed.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The S-EPT walk, trusted-DMA translation, and the DEMOTE/PROMOTE cycle allocate nothing once warm
 * (measured with the JVM's per-thread allocation counter).
 */
class HotPathAllocationTest
{
    private final TdxTestBed bed = new TdxTestBed();
    private final TdxConnect connect = new TdxConnect(bed.module, UntrustedDmaRule.ABORT);
    private final WalkResult walk = new WalkResult();
    private final DmaOutcome dma = new DmaOutcome();
    private static final long GPA = 0x20_0000L;
    private static final long PRIVATE_MMIO = 0xF000_0000L;

    private static ThreadMXBean threads()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter on this JVM");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);
        return threads;
    }

    private void demotePromoteCycle(final long septPage)
    {
        ok(bed.module.rangeBlock(info(GPA, 1), TDR, bed.out));
        ok(bed.module.track(TDR, bed.out));
        ok(bed.module.pageDemote(info(GPA, 1), TDR, septPage, bed.out));
        ok(bed.module.rangeBlock(info(GPA, 1), TDR, bed.out));
        ok(bed.module.track(TDR, bed.out));
        ok(bed.module.pagePromote(info(GPA, 1), TDR, bed.out));
    }

    @Test
    void demoteAndPromoteAllocateNothing()
    {
        final ThreadMXBean threads = threads();
        bed.finalizeTd();
        bed.septPath(GPA, 2);
        ok(bed.module.pageAug(info(GPA, 1), TDR, TdxTestBed.HUGE_PAGE, bed.out));
        ok(bed.module.accept(bed.td, info(GPA, 1), bed.out));
        final long septPage = bed.nextSeptPage();
        for (int i = 0; i < 2_000; i++)
        {
            demotePromoteCycle(septPage);
        }
        final long thread = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++)
        {
            // The least of several rounds: a one-off JIT or runtime event must not count as an allocation.
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 1_000; i++)
            {
                demotePromoteCycle(septPage);
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, least, "bytes allocated by 1000 demote/promote cycles");
    }

    @Test
    void septWalkAndTrustedDmaAllocateNothing()
    {
        final ThreadMXBean threads = threads();
        bed.finalizeTd();
        bed.mapPrivate(0x5000, dataPage(5));
        final Tdi tdi = connect.addTdi(0x0100, new MmioRange(PRIVATE_MMIO, 0x1_0000, false));
        final MachineCheckRecord mce = new MachineCheckRecord();
        connect.bind(tdi, bed.td, mce);
        connect.start(tdi);
        for (int i = 0; i < 20_000; i++)
        {
            bed.module.walkSept(bed.td, 0x5000 + (i & 0xFF8), Permissions.READ, walk);
            connect.trustedDma(0x0100, 0x5000 + (i & 0xFC0), 64, false, dma);
            connect.translateTrusted(0x0100, 0x9000, Permissions.READ, dma);
            untrustedDmas(i);
        }
        final long thread = Thread.currentThread().getId();
        boolean ok = true;
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 10_000; i++)
            {
                ok &= bed.module.walkSept(bed.td, 0x5000 + (i & 0xFF8), Permissions.READ, walk);
                ok &= connect.trustedDma(0x0100, 0x5000 + (i & 0xFC0), 64, false, dma);
                ok &= !connect.translateTrusted(0x0100, 0x9000, Permissions.READ, dma);
                ok &= untrustedDmas(i);
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, least, "bytes allocated by 10000 walks and DMAs");
        assertTrue(ok);
    }

    /** T=0: host memory (allowed), private MMIO of the locked TDI (refused, then a machine check by the other rule). */
    private boolean untrustedDmas(final int i)
    {
        connect.untrustedMmioRule(UntrustedMmioRule.ABORT);
        boolean ok = connect.untrustedDma(0x0300, dataPage(50) + (i & 0xFC0), 64, true, dma);
        ok &= !connect.untrustedDma(0x0300, PRIVATE_MMIO + (i & 0xFC0), 64, true, dma);
        connect.untrustedMmioRule(UntrustedMmioRule.MACHINE_CHECK);
        ok &= !connect.untrustedDma(0x0300, PRIVATE_MMIO + (i & 0xFC0), 64, true, dma);
        return ok && dma.status() == DmaOutcome.MACHINE_CHECK;
    }
}
