package org.iommuemu.emulator.cosim.server;

import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViEvent;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end on loopback, the client playing QEMU with the guest's RAM in a buffer: the guest's AMD-Vi driver brings
 * the IOMMU up and programs it through MMIO and its memory only (device table, command buffer, event log, enable),
 * devices' DMA is translated, and what the IOMMU writes back (completion-wait stores, event log entries) and raises
 * (MSIs, ATS invalidations) arrives at the guest in order.
 */
class AmdViCosimTest
{
    static final String SCENARIO = "name: amdvi-guest\nplatform:\n  iommu: amdvi\n";
    static final int DEVICE = 0x0100;
    static final int DOMAIN = 1;
    static final long IOVA = 0x1_0000_0000L;
    static final long SPA = 0x8000_0000L;
    static final long SEMAPHORE_WRITE = AmdViDriver.Layout.DEFAULT.semaphore();
    static final long EVENT_LOG = AmdViDriver.Layout.DEFAULT.eventLog();

    @Test
    void linuxLikeBringUpTranslatesDmaAndSignalsInvalidationsCompletionWaitsAndFaults() throws Exception
    {
        try (Loopback loop = new Loopback(SCENARIO); GuestSide guest = new GuestSide(loop, AmdViRegisters.SIZE))
        {
            guest.port.writeRegister(AmdViRegisters.MSI_ADDRESS_LOW, 4, 0xFEE0_0000L);
            guest.port.writeRegister(AmdViRegisters.MSI_DATA, 4, 0x41);
            final AmdViDriver driver = new AmdViDriver(guest.port, guest.memory, AmdViDriver.Layout.DEFAULT).bringUp();
            assertEquals(AmdViDriver.CONTROL_ON, guest.port.readRegister(AmdViRegisters.CONTROL, 8));
            final long status = guest.port.readRegister(AmdViRegisters.STATUS, 8);
            assertTrue((status & AmdViRegisters.STATUS_CMD_BUF_RUN) != 0 && (status & AmdViRegisters.STATUS_EVENT_LOG_RUN) != 0);

            final PageTable domain = driver.newDomain(3);
            assertEquals(MapStatus.OK, domain.map(IOVA, SPA, 4L << 20, Permissions.READ_WRITE, PageSizePolicy.X86_SIZES));
            guest.takeEvents();
            driver.attach(DEVICE, domain, DOMAIN, true, true);
            assertEquals(List.of(String.format("write 0x%x+8", SEMAPHORE_WRITE), "interrupt line 1 val 1", "interrupt line 1 val 0"),
                guest.takeEvents(), "INVALIDATE_DEVTAB_ENTRY + COMPLETION_WAIT: the store, then the completion-wait interrupt");

            // A DMA translated as QEMU's proxy asks (plain ATS_REQ fields): the translated address and the rest of the 2 MiB page.
            final Ats ats = guest.client.translate(CosimClient.Translation.of(DEVICE, IOVA + 0x123, false));
            assertEquals(AtsLayout.RESULT_OK, ats.result());
            assertEquals(SPA + 0x123, ats.address());
            assertEquals((2L << 20) - 0x123, ats.length());
            // AMD-Vi v1 host tables have no execute control: the translation grants it.
            assertEquals(AtsLayout.ATTR_READ | AtsLayout.ATTR_WRITE | AtsLayout.ATTR_EXEC, ats.attributes());
            assertEquals(21, TranslateWords.outcomePageSizeLg2(ats.reserved(0)));
            assertEquals(DOMAIN, TranslateWords.outcomeDomainId(ats.reserved(0)));

            // A device's MWr as raw TLP bytes: the replay outcome, IOTLB miss then hit.
            TlpResponse tlp = guest.client.tlp(Tlps.memory(true, DEVICE, IOVA + (2L << 20) + 0x40, 64), 0);
            assertEquals(TlpCommandLayout.OUTCOME_OK, tlp.outcome, tlp::describe);
            assertEquals(SPA + (2L << 20) + 0x40, tlp.outputAddress);
            assertEquals(21, tlp.pageSizeLg2);
            assertFalse(tlp.iotlbHit());
            assertTrue(tlp.tableFetches > 0);
            tlp = guest.client.tlp(Tlps.memory(false, DEVICE, IOVA + (2L << 20) + 0x80, 8), 0);
            assertTrue(tlp.iotlbHit(), tlp::describe);
            assertEquals(0, tlp.tableFetches);

            // Unmap the first 2 MiB and INVALIDATE_IOMMU_PAGES: the peer's cached translation is invalidated first
            // (only the page it was given), then the completion wait stores and interrupts.
            assertEquals(MapStatus.OK, domain.unmap(IOVA, 2L << 20));
            guest.takeEvents();
            driver.invalidatePages(DOMAIN, IOVA, 2L << 20);
            assertEquals(List.of(String.format("ats_inv 0x%x+0x200000", IOVA), String.format("write 0x%x+8", SEMAPHORE_WRITE),
                "interrupt line 1 val 1", "interrupt line 1 val 0"), guest.takeEvents());

            // A DMA to the unmapped page: IO_PAGE_FAULT written to the event log in guest memory and signalled.
            tlp = guest.client.tlp(Tlps.memory(false, DEVICE, IOVA + 0x1000, 4), 0);
            assertEquals(TlpCommandLayout.OUTCOME_FAULT, tlp.outcome);
            assertEquals("IO_PAGE_FAULT", tlp.name);
            assertEquals(AmdViEvent.IO_PAGE_FAULT, tlp.faultCode);
            assertTrue((tlp.resultFlags & TlpCommandLayout.RESULT_RECORDED) != 0);
            assertEquals(List.of(String.format("write 0x%x+8", EVENT_LOG), String.format("write 0x%x+8", EVENT_LOG + 8),
                "interrupt line 0 val 1", "interrupt line 0 val 0"), guest.takeEvents());
            final long[] event = new long[2];
            assertTrue(driver.nextEvent(event));
            assertEquals(AmdViEvent.IO_PAGE_FAULT, AmdViEvent.code(event[0]));
            assertEquals(DEVICE, AmdViEvent.deviceId(event[0]));
            assertEquals(IOVA + 0x1000, event[1]);

            final String stats = guest.client.stats();
            assertTrue(stats.contains("IO_PAGE_FAULT"), stats);
            assertTrue(stats.contains("ATS_INV: 1 sent, 1 acknowledged"), stats);
            assertTrue(stats.contains("interrupts sent: 3"), stats);
        }
    }
}
