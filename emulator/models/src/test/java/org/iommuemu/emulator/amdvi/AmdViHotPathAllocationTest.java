package org.iommuemu.emulator.amdvi;

import java.lang.management.ManagementFactory;

import com.sun.management.ThreadMXBean;
import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The request path allocates nothing: nested guest translations that miss the IOTLB (guest walk over the
 * host-translated view), faults with events, ATS answers filling the device TLB, device TLB look-ups, and the
 * platform port with PASID requests.
 */
class AmdViHotPathAllocationTest extends AmdViTestBed
{
    static final int PAGES = 2048; // four times the IOTLB

    @Test
    void nestedGuestRequestsFaultsAndAtsAllocateNothing()
    {
        final var bean = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(bean instanceof ThreadMXBean, "no allocation counter");
        final ThreadMXBean threads = (ThreadMXBean)bean;
        Assumptions.assumeTrue(threads.isThreadAllocatedMemorySupported());
        threads.setThreadAllocatedMemoryEnabled(true);

        bringUp(null, 9);
        final PageTable guest = nested(0x77, 4);
        driver.allowAts(DEVICE, true);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, DATA_GPA, 2L << 20, USER_RW, PageSizePolicy.FORCED_4K));
        final DmaRequest request = new DmaRequest();
        final RequestOutcome outcome = new RequestOutcome();
        final long thread = Thread.currentThread().getId();
        long sink = 0;
        long least = Long.MAX_VALUE;
        for (int round = 0; round < 6; round++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 4096; i++)
            {
                final long gva = 0x4000_0000L + (long)(i % PAGES) * 4096;
                sink += iommu.dma(DEVICE, 0x77, gva, Permissions.WRITE, false, out) ? out.outputAddress() : 1;
                sink += iommu.dma(DEVICE, 0x77, 0x7000_0000L + i, Permissions.READ, false, out) ? 0 : 1; // a fault
                sink += iommu.translationRequest(DEVICE, 0x77, gva, false, out);
                sink += iommu.deviceTlb().translate(DEVICE, 0x77, gva);
                request.clear().requesterId(DEVICE).pasid(0x77).address(gva).access(Permissions.READ);
                sink += iommu.handle(request, outcome) ? outcome.outputAddress() : 1;
                request.addressType(AddressType.TRANSLATION_REQUEST);
                sink += iommu.handle(request, outcome) ? outcome.completionEntry() : 1;
            }
            least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
        }
        assertEquals(0, least, "bytes allocated by 24576 requests, least of six rounds (sink " + sink + ")");
        assertTrue(iommu.iotlb().misses() > 0);
    }

    @Test
    void thePlatformPortRoutesPasidRequests()
    {
        bringUp(null, 9);
        final PageTable guest = nested(0x77, 4);
        assertEquals(MapStatus.OK, guest.map(0x4000_0000L, DATA_GPA, 4096, Permissions.READ | Permissions.WRITE, PageSizePolicy.FORCED_4K));
        final DmaRequest request = new DmaRequest().requesterId(DEVICE).pasid(0x77).address(0x4000_0008L).access(Permissions.WRITE);
        final RequestOutcome outcome = new RequestOutcome();
        assertFalse(iommu.handle(request, outcome), "a supervisor page, a user request");
        assertEquals(AmdViFault.IO_PAGE_FAULT, outcome.fault());
        assertTrue(outcome.recordLogged());
        assertTrue(iommu.handle(request.privileged(true), outcome), outcome.toString());
        assertEquals(DATA_SPA + 8, outcome.outputAddress());
        assertEquals(DOMAIN, outcome.domainId());
    }
}
