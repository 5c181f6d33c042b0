package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.platform.AddressType;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.tdx.MachineCheckRecord;
import org.iommuemu.tdx.TdiStatus;
import org.iommuemu.tdx.UntrustedDmaRule;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Interrupt requests: an untranslated write without a PASID to 0xFEE0_0000-0xFEEF_FFFF is not DMA-remapped; the unit
 * forwards it (interrupt remapping is not modelled) and says so in the outcome. Reads of the range, writes with a
 * PASID and ATS requests there are ordinary requests.
 */
class VtdInterruptRequestTest extends VtdTdxTestBed
{
    private static final long MSI = 0xFEE0_0000L;

    @Test
    void aWriteWithoutPasidToTheRangeIsForwardedWithoutAContextLookup()
    {
        bringUp(false);
        final PageTable domain = secondStage(4);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        final long lookups = iommu.contextCache().lookups();

        assertTrue(dma(DEVICE, MSI + 0x40, true), outcome::toString);
        assertTrue(outcome.interrupt());
        assertOk(MSI + 0x40);
        assertEquals(lookups, iommu.contextCache().lookups(), "not DMA-remapped: no context lookup");
        assertTrue(dma(0x0999, MSI, true), "whatever the device's context (none here)");
        assertTrue(outcome.interrupt());
        assertEquals(0, iommu.faultsRecorded());

        assertFalse(dma(DEVICE, MSI, false), "a read of the range is DMA, unmapped here");
        assertFalse(outcome.interrupt());
        assertFault(VtdFaultReason.READ);
        assertFalse(ats(DEVICE, -1, MSI, AddressType.TRANSLATED, true), "a translated write is checked as ATS traffic");
        assertFalse(outcome.interrupt());
        assertFault(VtdFaultReason.CONTEXT_ENTRY_TT);
    }

    @Test
    void aWriteWithAPasidIsDma()
    {
        bringUp(true);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        driver.attachSecondStage(DEVICE, 5, secondStage(4), DOMAIN);
        assertFalse(dma(DEVICE, 5, MSI, Permissions.WRITE, false), "translated like any request with a PASID: unmapped");
        assertFalse(outcome.interrupt());
    }

    @Test
    void aTrustedInterruptRequestIsAnInterruptRequest()
    {
        setUpTdAndUnit(UntrustedDmaRule.ABORT);
        assertEquals(TdiStatus.OK, connect.bind(tdi, td, new MachineCheckRecord()));
        assertEquals(TdiStatus.OK, connect.start(tdi));
        assertTrue(trusted(MSI + 8, true), outcome::toString);
        assertTrue(outcome.interrupt());
        assertOk(MSI + 8);
        assertFalse(trusted(MSI + 8, false), "a T=1 read of the range takes the trusted path (not mapped)");
        assertFalse(outcome.interrupt());
    }
}
