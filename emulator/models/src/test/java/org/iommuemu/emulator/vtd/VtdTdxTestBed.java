package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.tdx.HostReadMode;
import org.iommuemu.tdx.PageInfo;
import org.iommuemu.tdx.SeamcallResult;
import org.iommuemu.tdx.SecureEptEntry;
import org.iommuemu.tdx.Tdi;
import org.iommuemu.tdx.TdxConnect;
import org.iommuemu.tdx.TdxModule;
import org.iommuemu.tdx.TdxStatus;
import org.iommuemu.tdx.TrustDomain;
import org.iommuemu.tdx.UntrustedDmaRule;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link VtdTestBed} with TDX Connect: a TDX module with one finalized 4-level TD, a TDI for {@link #DEVICE}, the
 * unit brought up in legacy mode with ECAP.TDXCS, and the device attached to a VMM second-stage domain.
 */
abstract class VtdTdxTestBed extends VtdTestBed
{
    static final long TDR = 0x10_0000L;
    static final long SEPT_ROOT = 0x10_1000L;
    static final long SEPT_PAGES = 0x100_0000L;
    static final long PRIVATE_PAGES = 0x4000_0000L;

    final SeamcallResult out = new SeamcallResult();
    TdxModule module;
    TrustDomain td;
    TdxConnect connect;
    Tdi tdi;
    private long nextSeptPage = SEPT_PAGES;

    static void ok(final SeamcallResult result)
    {
        assertEquals(TdxStatus.SUCCESS, result.status(), result::toString);
    }

    /** S-EPT tables down to {@code gpa} as needed, then PAGE.AUG of {@code page} there, accepted if asked. */
    void mapPrivate(final long gpa, final long page, final boolean accept)
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

    /** The TD, its TDI (not yet bound) and the unit; returns the device's VMM domain (4-level second stage). */
    PageTable setUpTdAndUnit(final UntrustedDmaRule rule)
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
        return domain;
    }

    /** A T=1 DMA from {@link #DEVICE}. */
    boolean trusted(final long gpa, final boolean write)
    {
        request.set(DEVICE, gpa, write).trusted(true);
        return iommu.handle(request, outcome);
    }
}
