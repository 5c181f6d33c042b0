package org.iommuemu.emulator.cosim.server;

import java.util.List;

import org.iommuemu.emulator.amdvi.AmdViDriver;
import org.iommuemu.emulator.amdvi.AmdViEvent;
import org.iommuemu.emulator.amdvi.AmdViRegisters;
import org.iommuemu.emulator.cosim.FaultFamily;
import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.platform.DmaRequest;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.emulator.vtd.TrustedDmaFault;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The security checks behind the IOMMU in co-simulation, through the extension's attributes: an SEV-SNP
 * RMP_PAGE_FAULT for a DMA to a private page (the RMP in the emulator's own memory, the IOMMU's tables in the guest's),
 * and TDX Connect requests with T = 1 taking the TDX module's trusted path while T = 0 ones to private memory are
 * refused.
 */
class SecurityCosimTest
{
    static final String SNP = String.join("\n", "name: snp-guest", "platform:", "  iommu: amdvi", "  snp: true",
        "rmp:", "  base: 0x200000000", "  covers: 4G",
        "  conversions:", "    - {action: make-private, spa: 0x8050000, gpa: 0x100050000, asid: 9}", "");

    @Test
    void snpRmpPageFaultThroughTheExtension() throws Exception
    {
        try (Loopback loop = new Loopback(SNP); GuestSide guest = new GuestSide(loop, AmdViRegisters.SIZE))
        {
            final AmdViDriver driver = new AmdViDriver(guest.port, guest.memory, AmdViDriver.Layout.DEFAULT).bringUp();
            final PageTable domain = driver.newDomain(3);
            assertEquals(MapStatus.OK, domain.map(0x1_0000_0000L, 0x8000000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
            driver.attach(0x0100, domain, 1, true, true);
            guest.takeEvents();

            // A shared page: translated and allowed.
            final Ats shared = guest.client.translate(CosimClient.Translation.of(0x0100, 0x1_0004_0010L, true));
            assertEquals(AtsLayout.RESULT_OK, shared.result());
            assertEquals(0x8040010L, shared.address());
            // The private page: RMP_PAGE_FAULT, named by its family and code in the outcome word, logged in the event log.
            final Ats fault = guest.client.translate(CosimClient.Translation.of(0x0100, 0x1_0005_0010L, true));
            assertEquals(AtsLayout.RESULT_ERROR, fault.result());
            final long word = fault.reserved(0);
            assertTrue(TranslateWords.outcomeFault(word) && TranslateWords.outcomeRecorded(word));
            assertEquals("RMP_PAGE_FAULT", FaultFamily.kind(TranslateWords.outcomeFamily(word), TranslateWords.outcomeFaultCode(word))
                .faultName());
            assertEquals(0x8050010L, fault.reserved(3), "the translation found before the RMP refused it");
            final List<String> events = guest.takeEvents();
            assertEquals("interrupt line 0 val 1", events.get(2), events.toString());
            final long[] event = new long[2];
            assertTrue(driver.nextEvent(event));
            assertEquals(AmdViEvent.RMP_PAGE_FAULT, AmdViEvent.code(event[0]));
            // The same through a raw TLP: replay's outcome, with the RMP fetch counted.
            final TlpResponse tlp = guest.client.tlp(Tlps.memory(true, 0x0100, 0x1_0005_0100L, 8), 0);
            assertEquals("RMP_PAGE_FAULT", tlp.name);
            assertTrue(tlp.rmpFetches > 0);
            // The RMP is the emulator's: the guest's memory was never asked for it.
            assertEquals(0, guest.memory.readEntry(0x2_0000_0000L + 0x4000));
        }
    }

    static final String TDX = String.join("\n", "name: tdx-guest", "platform:", "  iommu: vtd", "  tdx-connect: true",
        "  untrusted-dma-rule: abort",
        "tdx:",
        "  tds:",
        "    - {id: 1, gpa-width: 48, page-size: 4K, private: [{gpa: 0x0, hpa: 0x40000000, size: 64K}]}",
        "  tdis:",
        "    - {requester: \"03:02.0\", td: 1, private-iova-limit: all, state: run, t-from-state: false}", "");

    @Test
    void tdxTrustedRequestsTakeTheTrustedPathThroughTheExtension() throws Exception
    {
        try (Loopback loop = new Loopback(TDX); GuestSide guest = new GuestSide(loop, 0x1000))
        {
            final VtdCosimTest.Guest g = new VtdCosimTest.Guest(guest.port, guest.memory);
            // The TD's private pages were zeroed by PAGE.AUG in the guest's memory when the session started.
            assertTrue(guest.events.stream().anyMatch(e -> e.startsWith("write 0x40000000+")), guest.events.toString());
            assertEquals(MapStatus.OK, g.domain.map(0x6000_0000L, 0x4000_0000L, 64L << 10, Permissions.READ_WRITE,
                PageSizePolicy.FORCED_4K));
            // T = 1 from the TDI in RUN: the GPA is translated by the TD's S-EPT, not by the guest's VT-d tables.
            final Ats trusted = guest.client.translate(CosimClient.Translation.of(VtdCosimTest.DEVICE, 0x1010, true).withTrusted(true));
            assertEquals(AtsLayout.RESULT_OK, trusted.result(), () -> "outcome 0x" + Long.toHexString(trusted.reserved(0)));
            assertEquals(0x4000_1010L, trusted.address());
            // The same request as raw bytes with an IDE prefix carrying T = 1.
            final TlpResponse tlp = guest.client.tlp(Tlps.memory(false, VtdCosimTest.DEVICE, 0x2000, 8, -1, false, false, true, true), 0);
            assertEquals(TlpCommandLayout.OUTCOME_OK, tlp.outcome, tlp::describe);
            assertEquals(0x4000_2000L, tlp.outputAddress);
            assertTrue((tlp.resultFlags & TlpCommandLayout.RESULT_T) != 0);
            // T = 0 through the guest's tables onto the TD's private memory: refused by TDX Connect's rule.
            final Ats untrusted = guest.client.translate(CosimClient.Translation.of(VtdCosimTest.DEVICE, 0x6000_1000L, true));
            assertEquals(AtsLayout.RESULT_ERROR, untrusted.result());
            assertEquals(TrustedDmaFault.TDX_PRIVATE_UNTRUSTED, FaultFamily.kind(TranslateWords.outcomeFamily(untrusted.reserved(0)),
                TranslateWords.outcomeFaultCode(untrusted.reserved(0))));
            // T = 1 from a requester that is no TDI.
            final RequestOutcome outcome = new RequestOutcome();
            assertFalse(guest.port.handle(new DmaRequest().set(0x0500, 0x1000, false).trusted(true), outcome));
            assertEquals(TrustedDmaFault.TDX_NO_TDI, outcome.fault());
        }
    }
}
