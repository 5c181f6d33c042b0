package org.iommuemu.rmp;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_READ;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The check paths allocate nothing (measured with the JVM's per-thread allocation counter). */
class CheckPathAllocationTest
{
    private static final long REGION = 0x0A00_0000L;

    @Test
    void hostDmaAndGuestChecksAllocateNothing()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        assumeTrue(bean instanceof ThreadMXBean, "no per-thread allocation counter");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        final RmpFixture f = new RmpFixture();
        f.memory.listener(MemoryAccessListener.NONE);
        f.privateValidated(REGION + 0x1000, 0x1000, PAGE_SIZE_4K);
        f.update(REGION + 0x3000, 0x3000, 1, PAGE_SIZE_4K, ASID);

        long sink = 0;
        for (int i = 0; i < 20_000; i++)
        {
            sink += runChecks(f, i);
        }
        // The least of five rounds: a real allocation on the check path shows in every round, while a rare
        // JVM-internal allocation on this thread (seen once under a full build) shows in one at most.
        final long id = Thread.currentThread().getId();
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++)
        {
            final long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 20_000; i++)
            {
                sink += runChecks(f, i);
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(id) - before);
        }
        assertEquals(0, least, "bytes allocated by 20000 rounds of checks, least of five (sink " + sink + ")");
    }

    private static long runChecks(final RmpFixture f, final int i)
    {
        final long page = REGION + ((long)(i & 7) << 12);
        long sink = f.hostCheck.check(page, true, (i & 1) == 0 ? 12 : 21);
        sink += f.dmaCheck.check(page, (i & 2) == 0 ? 12 : 21, true, 0x100, page, f.event);
        sink += f.guestCheck.check(page, 12, page - REGION, ASID, 0, PERMISSION_READ, true, false, f.result).kind();
        return sink;
    }
}
