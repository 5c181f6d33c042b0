package org.iommuemu.emulator.cosim.server;

import java.util.List;

import org.iommuemu.emulator.cosim.client.CosimClient;
import org.iommuemu.emulator.cosim.codec.Ats;
import org.iommuemu.emulator.cosim.codec.TlpResponse;
import org.iommuemu.emulator.cosim.wire.AtsLayout;
import org.iommuemu.emulator.cosim.wire.TlpCommandLayout;
import org.iommuemu.emulator.cosim.wire.TranslateWords;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.emulator.vtd.ContextEntry;
import org.iommuemu.emulator.vtd.FaultRecord;
import org.iommuemu.emulator.vtd.InvalidationDescriptor;
import org.iommuemu.emulator.vtd.PasidEntry;
import org.iommuemu.emulator.vtd.VtdConfig;
import org.iommuemu.emulator.vtd.VtdDriver;
import org.iommuemu.emulator.vtd.VtdFaultReason;
import org.iommuemu.emulator.vtd.VtdRegisters;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.VtdSecondStageFormat;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end on loopback for VT-d: the guest's intel-iommu-like driver ({@code VtdDriver} over the remote port)
 * sets up the root and context tables, the invalidation queue with wait descriptors and the fault event, translations
 * are served, an IOTLB page invalidation reaches the peer as an ATS_INV before the wait's status write, and a fault
 * is recorded and its fault event raised.
 */
class VtdCosimTest
{
    static final String SCENARIO = "name: vtd-guest\nplatform:\n  iommu: vtd\n";
    static final int DEVICE = 0x0310;
    static final int DOMAIN = 7;
    static final long TABLES = 0x1_0000_0000L;
    static final long DOMAIN_POOL = 0x2_0000_0000L;
    static final long IOVA = 0x4000_0000L;
    static final long SPA = 0x8_0000_0000L;

    /** A 4-level second-stage format as intel-iommu derives it from the unit's CAP and ECAP. */
    static VtdSecondStageFormat secondStage(final IommuPort port)
    {
        final long cap = port.readRegister(VtdRegisters.CAP, 8);
        final long ecap = port.readRegister(VtdRegisters.ECAP, 8);
        return new VtdSecondStageFormat(4, new VtdConfig().hostAddressWidth, (ecap & VtdRegisters.ECAP_SC) != 0, false, false,
            VtdRegisters.secondStageLargePages(cap));
    }

    /** The guest's intel-iommu: structures and domain tables in guest memory, formats from the CAP and ECAP it reads. */
    static final class Guest
    {
        final VtdDriver driver;
        final PageTable domain;

        Guest(final IommuPort port, final PhysicalMemory memory)
        {
            driver = new VtdDriver(port, memory, new FrameAllocator(memory, TABLES, 64L << 20));
            driver.bringUp(false, 0x4021, 0xFEE0_0000L);
            port.writeRegister(VtdRegisters.IEDATA, 4, 0x4022);
            port.writeRegister(VtdRegisters.IEADDR, 4, 0xFEE0_0000L);
            port.writeRegister(VtdRegisters.IECTL, 4, 0);
            domain = new PageTable(secondStage(port), new FrameAllocator(memory, DOMAIN_POOL, 64L << 20));
            assertEquals(MapStatus.OK, domain.map(IOVA, SPA, 4L << 20, Permissions.READ_WRITE, PageSizePolicy.X86_SIZES));
            assertEquals(MapStatus.OK, domain.map(IOVA + (8L << 20), SPA + (8L << 20), 16L << 10, Permissions.READ,
                PageSizePolicy.FORCED_4K));
            driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
            assertTrue(driver.invalidateDevice(DEVICE, DOMAIN));
        }
    }

    @Test
    void intelIommuLikeBringUpQueuedInvalidationWithWaitsAndAFaultEvent() throws Exception
    {
        try (Loopback loop = new Loopback(SCENARIO); GuestSide guest = new GuestSide(loop, 0x1000))
        {
            final Guest g = new Guest(guest.port, guest.memory);
            assertEquals(VtdRegisters.TES | VtdRegisters.RTPS | VtdRegisters.QIES,
                guest.port.readRegister(VtdRegisters.GSTS, 4) & (VtdRegisters.TES | VtdRegisters.RTPS | VtdRegisters.QIES));
            final long status = g.driver.waitStatusAddress();
            final List<String> setup = guest.takeEvents();
            assertTrue(setup.contains(String.format("write 0x%x+4", status)), setup.toString());

            // Translation through the peer's root and context tables.
            final Ats ats = guest.client.translate(CosimClient.Translation.of(DEVICE, IOVA + 0x2345, true));
            assertEquals(AtsLayout.RESULT_OK, ats.result());
            assertEquals(SPA + 0x2345, ats.address());
            assertEquals((2L << 20) - 0x2345, ats.length());
            assertEquals(DOMAIN, TranslateWords.outcomeDomainId(ats.reserved(0)));
            final TlpResponse tlp = guest.client.tlp(Tlps.memory(false, DEVICE, IOVA + (8L << 20) + 0x10, 16), 0);
            assertEquals(TlpCommandLayout.OUTCOME_OK, tlp.outcome, tlp::describe);
            assertEquals(SPA + (8L << 20) + 0x10, tlp.outputAddress);
            assertEquals(12, tlp.pageSizeLg2);

            // Page-selective IOTLB invalidation then a wait descriptor with IF: the ATS_INV first, then the status, then the event.
            assertEquals(MapStatus.OK, g.domain.unmap(IOVA, 2L << 20));
            guest.takeEvents();
            g.driver.submit(new long[] {InvalidationDescriptor.IOTLB |
                ((long)VtdRegisters.IOTLB_PAGE << InvalidationDescriptor.G_SHIFT) |
                ((long)DOMAIN << InvalidationDescriptor.DID_SHIFT), IOVA | 9});
            assertTrue(g.driver.waitForCompletion(true));
            assertEquals(List.of(String.format("ats_inv 0x%x+0x200000", IOVA), String.format("write 0x%x+4", status),
                "interrupt line 1 val 1", "interrupt line 1 val 0"), guest.takeEvents());

            // A write to the read-only 4 KiB page: fault reason 0x6 (write), recorded, the fault event raised.
            final TlpResponse fault = guest.client.tlp(Tlps.memory(true, DEVICE, IOVA + (8L << 20) + 0x1000, 8), 0);
            assertEquals(TlpCommandLayout.OUTCOME_FAULT, fault.outcome);
            assertEquals(VtdFaultReason.WRITE.faultName(), fault.name);
            assertTrue((fault.resultFlags & TlpCommandLayout.RESULT_RECORDED) != 0);
            assertEquals(List.of("interrupt line 0 val 1", "interrupt line 0 val 0"), guest.takeEvents());
            final long[] record = new long[2];
            assertEquals(1, g.driver.serviceFaults((index, low, high) ->
            {
                record[0] = low;
                record[1] = high;
            }));
            assertEquals(VtdFaultReason.WRITE.faultCode(), FaultRecord.reason(record[1]));
            assertEquals(DEVICE, (int)(record[1] & FaultRecord.SID));
            assertEquals(IOVA + (8L << 20) + 0x1000, record[0] & FaultRecord.FI);
        }
    }

    /**
     * Scalable mode as Linux runs it for a DMA domain: requests without a PASID go through the context's RID_PASID
     * entry (first stage by default when the unit has both, second stage otherwise), and intel-iommu invalidates a
     * first-stage domain's pages with PASID-based IOTLB descriptors for that RID_PASID (qi_flush_piotlb). The model's
     * IOTLB tags those translations with the RID_PASID, so the peer's copy must be found under it too: found under
     * the request's (absent) PASID, the ATS_INV was never sent and the peer kept translating the unmapped page (seen
     * with Linux 6.1 booted over remote-iommu: AHCI's IDENTIFY data went to a freed page and the guest crashed).
     */
    @ParameterizedTest(name = "PGTT {0}")
    @ValueSource(ints = {PasidEntry.PGTT_FIRST_STAGE, PasidEntry.PGTT_SECOND_STAGE})
    void aPasidBasedInvalidationOfTheRidPasidReachesThePeer(final int pgtt) throws Exception
    {
        final int ridPasid = 0;
        try (Loopback loop = new Loopback(SCENARIO); GuestSide guest = new GuestSide(loop, 0x1000))
        {
            final VtdDriver driver = new VtdDriver(guest.port, guest.memory, new FrameAllocator(guest.memory, TABLES, 64L << 20));
            driver.bringUp(true, 0x4021, 0xFEE0_0000L);
            final boolean first = pgtt == PasidEntry.PGTT_FIRST_STAGE;
            final PageTable domain = new PageTable(first ? new X86Format(4) : secondStage(guest.port),
                new FrameAllocator(guest.memory, DOMAIN_POOL, 64L << 20));
            assertEquals(MapStatus.OK, domain.map(IOVA, SPA, 8L << 10, Permissions.READ_WRITE | (first ? Permissions.USER : 0),
                PageSizePolicy.FORCED_4K));
            driver.setScalableContext(DEVICE, 0, false, true, false, ridPasid);
            if (first)
            {
                driver.attachFirstStage(DEVICE, ridPasid, domain.root(), 4, DOMAIN, false, false);
            }
            else
            {
                driver.attachSecondStage(DEVICE, ridPasid, domain, DOMAIN);
            }
            driver.invalidateAll();
            guest.takeEvents();

            final Ats ats = guest.client.translate(CosimClient.Translation.of(DEVICE, IOVA + 0x1234, true));
            assertEquals(AtsLayout.RESULT_OK, ats.result());
            assertEquals(SPA + 0x1234, ats.address());
            assertEquals(0x1000 - 0x234, ats.length());
            guest.takeEvents(); // the first stage's A/D updates

            // Linux's unmap of a first-stage page: PASID-based IOTLB invalidation of the page for RID_PASID, then a wait.
            assertEquals(MapStatus.OK, domain.unmap(IOVA + 0x1000, 4096));
            final long[] words = new long[2];
            InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PAGE, DOMAIN, ridPasid, IOVA + 0x1000, 0, false);
            driver.submit(words);
            assertTrue(driver.waitForCompletion(false));
            assertEquals(List.of(String.format("ats_inv 0x%x+0x1000", IOVA + 0x1000), String.format("write 0x%x+4",
                driver.waitStatusAddress())), guest.takeEvents());

            // A page the invalidation does not cover stays with the peer: nothing sent for it.
            InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PAGE, DOMAIN, ridPasid, IOVA + 0x8000, 0, false);
            driver.submit(words);
            assertTrue(driver.waitForCompletion(false));
            assertEquals(List.of(String.format("write 0x%x+4", driver.waitStatusAddress())), guest.takeEvents());

            // Nor does another PASID's: the entry is the RID_PASID's.
            InvalidationDescriptor.pasidIotlb(words, InvalidationDescriptor.PIOTLB_PASID, DOMAIN, ridPasid + 1, 0, 0, false);
            driver.submit(words);
            assertTrue(driver.waitForCompletion(false));
            assertEquals(List.of(String.format("write 0x%x+4", driver.waitStatusAddress())), guest.takeEvents());
        }
    }
}
