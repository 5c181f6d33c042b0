package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.SeamcallResult;
import org.iommuemu.tdx.SecureEptEntry;
import org.iommuemu.tdx.Tdi;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TdxModule;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tdx.TrustDomain;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.iommuemu.tlp.TranslationCompletionEntry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** TDX Connect behind the VT-d model: T=1 takes the TDX module's trusted path, T=0 meets the untrusted-DMA rule. */
class VtdTdxConnectTest extends VtdTestBed
{
    private static final long TDR = 0x10_0000L;
    private static final long SEPT_ROOT = 0x10_1000L;
    private static final long SEPT_PAGES = 0x100_0000L;
    private static final long PRIVATE_PAGES = 0x4000_0000L;
    private static final long IOVA = 0x6000_0000L;

    private final SeamcallResult out = new SeamcallResult();
    private TdxModule module;
    private TrustDomain td;
    private TdxConnect connect;
    private Tdi tdi;
    private long nextSeptPage = SEPT_PAGES;

    private void ok(final SeamcallResult result)
    {
        assertEquals(TdxStatus.SUCCESS, result.status(), result::toString);
    }

    private void mapPrivate(final long gpa, final long page, final boolean accept)
    {
        for (int level = td.septFormat().topLevel(); level >= 1; level--)
        {
            if (SecureEptEntry.isFree(module.septEntry(td, PageInfo.encode(gpa, level))))
            {
                final long mask = (1L << (12 + 9 * level)) - 1;
                ok(module.septAdd(PageInfo.encode(gpa & ~mask, level), TDR, nextSeptPage, out));
                nextSeptPage += 4096;
            }
        }
        ok(module.pageAug(PageInfo.encode(gpa, 0), TDR, page, out));
        if (accept)
        {
            ok(module.accept(td, PageInfo.encode(gpa, 0), out));
        }
    }

    private PageTable setUp(final UntrustedDmaRule rule)
    {
        module = new TdxModule(memory, HostReadMode.ZEROS);
        ok(module.createTd(TDR, SEPT_ROOT, TrustDomain.GPAW_48, 4, new FrameAllocator(memory, 0x7_0000_0000L, 16L << 20), out));
        td = module.td(TDR);
        ok(module.finalizeTd(TDR, out));
        connect = new TdxConnect(module, rule);
        tdi = connect.addTdi(DEVICE);
        bringUp(false, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap() | VtdRegisters.ECAP_TDXCS, connect);
        final PageTable domain = secondStage(4);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        mapPrivate(0x5000, PRIVATE_PAGES + 0x5000, true);
        map4k(domain, IOVA, DATA, 4096, Permissions.READ_WRITE);
        map4k(domain, IOVA + 0x1000, PRIVATE_PAGES + 0x5000, 4096, Permissions.READ_WRITE);
        return domain;
    }

    private boolean trusted(final long gpa, final boolean write)
    {
        request.set(DEVICE, gpa, write).trusted(true);
        return iommu.handle(request, outcome);
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
