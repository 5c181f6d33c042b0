package org.iommuemu.emulator.vtd;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.MmioRange;
import org.iommuemu.tdx.Tdi;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TDX Connect request path allocates nothing once warm: T=0 writes that poison private memory (their effect set
 * on the outcome), T=0 reads answered with zeros, T=0 requests refused at locked private MMIO, T=1 hits, and the
 * machine check of a T=1 read of a poisoned line.
 */
class VtdTdxHotPathAllocationTest extends VtdTdxTestBed
{
    private static final long IOVA = 0x6000_0000L;
    private static final long MMIO = 0xF000_0000L;

    private boolean round()
    {
        boolean ok = true;
        for (int i = 0; i < 64; i++)
        {
            ok &= dma(DEVICE, IOVA + 0x1000 + i * 64, true) && outcome.effect() == TrustedDmaEffect.POISONED_WRITE;
            ok &= dma(DEVICE, IOVA + 0x2000 + i * 64, false) && outcome.effect() == TrustedDmaEffect.READ_ZEROS;
            ok &= !dma(DEVICE, IOVA + 0x3000 + i * 64, true) && outcome.fault() == TrustedDmaFault.TDX_PRIVATE_MMIO_UNTRUSTED;
            ok &= !trusted(0x5000 + i * 64, false) && outcome.fault() == TrustedDmaFault.TDX_MACHINE_CHECK;
            ok &= trusted(0x6000 + i * 64, true) && outcome.effect() == null;
        }
        return ok;
    }

    @Test
    void untrustedEffectsAndRefusalsAllocateNothing()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter on this JVM");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        final PageTable domain = setUpTdAndUnit(UntrustedDmaRule.POISON);
        mapPrivate(0x5000, PRIVATE_PAGES + 0x5000, true);
        mapPrivate(0x6000, PRIVATE_PAGES + 0x6000, true);
        mapPrivate(0x7000, PRIVATE_PAGES + 0x7000, true);
        map4k(domain, IOVA + 0x1000, PRIVATE_PAGES + 0x5000, 4096, Permissions.READ_WRITE);
        map4k(domain, IOVA + 0x2000, PRIVATE_PAGES + 0x7000, 4096, Permissions.READ_WRITE);
        map4k(domain, IOVA + 0x3000, MMIO, 4096, Permissions.READ_WRITE);
        final Tdi nic = connect.addTdi(0x0400, new MmioRange(MMIO, 0x1000, false));
        assertEquals(TdiStatus.OK, connect.bind(nic, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));

        for (int i = 0; i < 300; i++)
        {
            assertTrue(round());
        }
        final long thread = Thread.currentThread().getId();
        long allocated = Long.MAX_VALUE;
        boolean ok = true;
        for (int window = 0; window < 3; window++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 100; i++)
            {
                ok &= round();
            }
            allocated = Math.min(allocated, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertTrue(ok);
        assertEquals(0, allocated, "bytes allocated by " + 100 * 64 * 5 + " requests");
    }
}
