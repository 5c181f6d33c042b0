package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.PageInfo;
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
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertFalse(trusted(0x5000, false));
        assertEquals(TrustedDmaFault.TDX_MACHINE_CHECK, outcome.fault());
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
