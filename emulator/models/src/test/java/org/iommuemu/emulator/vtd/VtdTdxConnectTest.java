package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.MmioRange;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.Tdi;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TDX Connect behind the VT-d model: T=1 takes the TDX module's trusted path, T=0 meets the untrusted-DMA rule. */
class VtdTdxConnectTest extends VtdTdxTestBed
{
    private static final long IOVA = 0x6000_0000L;

    private PageTable setUp(final UntrustedDmaRule rule)
    {
        final PageTable domain = setUpTdAndUnit(rule);
        mapPrivate(0x5000, PRIVATE_PAGES + 0x5000, true);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        map4k(domain, IOVA + 0x1000, PRIVATE_PAGES + 0x5000, 4096, Permissions.READ_WRITE);
        return domain;
    }

    @Test
    void untrustedRequestsToPrivateMemoryAreRefusedUnderAbort()
    {
        setUp(UntrustedDmaRule.ABORT);
        assertTrue(dma(DEVICE, IOVA + 8, true));
        assertOk(DATA + 8);
        assertFalse(dma(DEVICE, IOVA + 0x1008, false), "the VMM's table reaches TD private memory");
        assertEquals(TrustedDmaFault.TDX_PRIVATE_UNTRUSTED, outcome.fault());
        assertFalse(outcome.recordLogged(), "not a VT-d fault record");
        assertEquals(0, iommu.faultsRecorded());
    }

    @Test
    void untrustedWritesPoisonAndATrustedReadThenMachineChecks()
    {
        setUp(UntrustedDmaRule.POISON);
        assertTrue(dma(DEVICE, IOVA + 0x1000, true), "POISON: the write completes, poisoning the line");
        assertTrue(outcome.isOk());
        assertEquals(TrustedDmaEffect.POISONED_WRITE, outcome.effect(), "ok on the bus, and the line is poisoned");
        assertTrue(outcome.toString().endsWith("POISONED_WRITE"), outcome.toString());
        assertTrue(module.integrity().isPoisoned(PRIVATE_PAGES + 0x5000));
        assertTrue(dma(DEVICE, IOVA + 0x1100, false));
        assertEquals(TrustedDmaEffect.READ_ZEROS, outcome.effect(), "a line nobody wrote reads as zeros");
        assertFalse(dma(DEVICE, IOVA + 0x1000, false), "any read of a poisoned line");
        assertEquals(TrustedDmaFault.TDX_MACHINE_CHECK, outcome.fault());
        assertTrue(outcome.fault().isMachineCheck());
        assertEquals(null, outcome.effect());
        assertTrue(dma(DEVICE, IOVA + 8, true));
        assertEquals(null, outcome.effect(), "host memory: no effect");
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_MACHINE_CHECK, outcome.fault());
        assertTrue(trusted(0x5100, false), "the line beside it is clean");
        assertEquals(null, outcome.effect(), "trusted requests have no effect");
        assertFalse(TrustedDmaFault.TDX_PRIVATE_UNTRUSTED.isMachineCheck());
    }

    /**
     * Seed 004 through a stale IOTLB entry: the VMM unmaps a peer-to-peer mapping of private MMIO without the
     * invalidation; the unit keeps translating through its entry, bind sees it (firstCachedOutput), and from then on
     * T=0 requests into the locked private MMIO are refused however they got there.
     */
    @Test
    void aStaleIotlbEntryOfPrivateMmioIsSeenAtBindAndT0ToLockedMmioIsRefused()
    {
        final PageTable domain = setUp(UntrustedDmaRule.POISON);
        final long mmio = 0xF000_0000L;
        final Tdi nic = connect.addTdi(0x0400, new MmioRange(mmio, 0x2000, false),
            new MmioRange(mmio + 0x2000, 0x2000, true));
        connect.addCachedTranslations(iommu::firstCachedOutput);
        map4k(domain, IOVA + 0x10_0000, mmio, 0x4000, Permissions.READ_WRITE);
        assertTrue(dma(DEVICE, IOVA + 0x10_1040, true));
        assertTrue(dma(DEVICE, IOVA + 0x10_2040, true));
        assertEquals(MapStatus.OK, domain.unmap(IOVA + 0x10_0000, 0x2000));   // the private half, no invalidation
        assertTrue(dma(DEVICE, IOVA + 0x10_1080, true), "the unit still uses its entry");
        assertTrue(outcome.iotlbHit());
        assertEquals(mmio + 0x1080, outcome.outputAddress());
        assertEquals(mmio + 0x1000, iommu.firstCachedOutput(mmio, 0x2000));
        assertEquals(mmio + 0x1800, iommu.firstCachedOutput(mmio + 0x1800, 0x10));
        assertEquals(-1, iommu.firstCachedOutput(mmio, 0x1000), "page 0 was never cached");

        final MachineCheckRecord mce = new MachineCheckRecord();
        assertEquals(TdiStatus.MACHINE_CHECK, connect.bind(nic, td, mce));
        assertEquals(MachineCheckRecord.CAUSE_CACHED_MMIO_TRANSLATION_AT_BIND, mce.cause());
        assertEquals(mmio + 0x1000, mce.address());
        assertFalse(dma(DEVICE, IOVA + 0x10_1080, true));
        assertEquals(TrustedDmaFault.TDX_PRIVATE_MMIO_UNTRUSTED, outcome.fault());
        assertFalse(outcome.recordLogged());
        assertEquals(0, iommu.faultsRecorded(), "a TDX refusal, not a VT-d fault record");
        assertTrue(dma(DEVICE, IOVA + 0x10_2080, true), "the shared half");

        assertTrue(driver.invalidateIotlbPages(DOMAIN, IOVA + 0x10_0000, 1));
        assertEquals(-1, iommu.firstCachedOutput(mmio, 0x2000), "gone with the invalidation");
        assertEquals(mmio + 0x2000, iommu.firstCachedOutput(mmio, 0x4000), "the shared half is still cached");
    }

    @Test
    void trustedIotlbEntriesAreNotTheVmmsCachedTranslations()
    {
        setUp(UntrustedDmaRule.ABORT);
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertTrue(trusted(0x5010, false));
        assertTrue(iommu.iotlb().occupancy() > 0);
        assertEquals(-1, iommu.firstCachedOutput(PRIVATE_PAGES + 0x5000, 0x1000));
    }

    @Test
    void trustedRequestsTakeTheTdxPath()
    {
        trustedPath(true);
    }

    /** The switch off: the model before the TEE-tagged IOTLB, every T=1 request walks the S-EPT. */
    @Test
    void trustedRequestsTakeTheTdxPathUncached()
    {
        trustedPath(false);
    }

    private void trustedPath(final boolean cached)
    {
        config.trustedIotlb = cached;
        setUp(UntrustedDmaRule.ABORT);
        mapPrivate(0x7000, PRIVATE_PAGES + 0x7000, false);
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_NO_TDI, outcome.fault(), "not bound");
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_TDI_NOT_RUN, outcome.fault());
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertTrue(trusted(0x5010, true));
        assertOk(PRIVATE_PAGES + 0x5010);
        request.set(DEVICE, 0x5000, false).trusted(true).addressType(AddressType.TRANSLATION_REQUEST);
        assertTrue(iommu.handle(request, outcome));
        assertEquals(PRIVATE_PAGES + 0x5000 | TranslationCompletionEntry.R | TranslationCompletionEntry.W, outcome.completionEntry());

        // A shared GPA the VMM mapped read-only in the shared EPT.
        assertEquals(MapStatus.OK, td.sharedEpt().map(td.sharedBit() | 0x8000, DATA, 4096, Permissions.READ, PageSizePolicy.FORCED_4K));
        assertTrue(trusted(td.sharedBit() | 0x8000, false));
        assertOk(DATA);
        assertFalse(trusted(td.sharedBit() | 0x8000, true));
        assertEquals(TrustedDmaFault.TDX_PERMISSION, outcome.fault());
        assertFalse(trusted(0x9000, false));
        assertEquals(TrustedDmaFault.TDX_NOT_MAPPED, outcome.fault());
        assertFalse(trusted(0x7000, false));
        assertEquals(TrustedDmaFault.TDX_PENDING, outcome.fault());
        ok(module.rangeBlock(PageInfo.encode(0x5000, 0), TDR, out));
        if (cached)
        {
            assertTrue(trusted(0x5000, false), "a cached trusted translation outlives BLOCK until TRACK");
            assertTrue(outcome.iotlbHit());
            ok(module.track(TDR, out));
        }
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());

        request.set(DEVICE, 0x5000, false).trusted(true).addressType(AddressType.TRANSLATION_REQUEST);
        assertFalse(iommu.handle(request, outcome));
        assertEquals(TrustedDmaFault.TDX_BLOCKED, outcome.fault());
        assertEquals(0, iommu.faultsRecorded());
        assertEquals(0, iommu.iotlb().occupancy(), cached ? "TRACK dropped the trusted entries" :
            "uncached: trusted translations never enter the IOTLB");
    }
}
