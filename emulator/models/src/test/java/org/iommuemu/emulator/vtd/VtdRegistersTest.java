package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The register file: reset values, read-only CAP/ECAP, GCMD/GSTS one-shot semantics, register-based invalidation. */
class VtdRegistersTest extends VtdTestBed
{
    @Test
    void resetValuesAndReadOnlyCapabilities()
    {
        final long cap = VtdRegisters.defaultCap(8);
        final VtdIommu unit = VtdIommu.create(memory, cap, VtdRegisters.defaultEcap());
        assertEquals(cap, unit.readRegister(VtdRegisters.CAP, 8));
        unit.writeRegister(VtdRegisters.CAP, 8, 0);
        assertEquals(cap, unit.readRegister(VtdRegisters.CAP, 8));
        assertEquals(VtdRegisters.defaultEcap(), unit.readRegister(VtdRegisters.ECAP, 8));
        assertEquals(0x10, unit.readRegister(VtdRegisters.VER, 4));
        assertEquals(0, unit.readRegister(VtdRegisters.GSTS, 4));
        assertEquals(VtdRegisters.CTL_IM, unit.readRegister(VtdRegisters.FECTL, 4));
        assertEquals(VtdRegisters.CTL_IM, unit.readRegister(VtdRegisters.IECTL, 4));
        assertEquals(0x220, VtdRegisters.faultRecordOffset(cap));
        assertEquals(8, VtdRegisters.faultRecordCount(cap));
        assertEquals(0xF0, VtdRegisters.iotlbRegisterOffset(VtdRegisters.defaultEcap()));
        assertEquals(48, VtdRegisters.mgaw(cap));
        assertEquals(16, VtdRegisters.domainIdBits(cap));
        assertEquals(20, VtdRegisters.pasidBits(VtdRegisters.defaultEcap()));
        // The last fault record is decoded; F is the only writable bit.
        final int last = 0x220 + 7 * 16 + 8;
        unit.writeRegister(last, 8, -1L);
        assertEquals(0, unit.readRegister(last, 8));
    }

    @Test
    void setRootTablePointerLatchesRtaddr()
    {
        final VtdIommu unit = VtdIommu.create(memory, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap());
        unit.writeRegister(VtdRegisters.RTADDR, 8, 0x1234_5000L | (1L << VtdRegisters.RTADDR_TTM_SHIFT));
        assertEquals(0, unit.rootTableAddress(), "nothing latched before SRTP");
        unit.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.SRTP);
        assertEquals(VtdRegisters.SRTP, unit.readRegister(VtdRegisters.GSTS, 4), "RTPS");
        assertEquals(0x1234_5000L, unit.rootTableAddress());
        assertTrue(unit.scalableMode());
        unit.writeRegister(VtdRegisters.RTADDR, 8, 0x5555_5000L);
        assertEquals(0x1234_5000L, unit.rootTableAddress(), "a new RTADDR needs a new SRTP");
        unit.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.SRTP);
        assertEquals(0x5555_5000L, unit.rootTableAddress());
        assertFalse(unit.scalableMode());
    }

    @Test
    void translationEnableAndOneCommandAtATime()
    {
        config.strictGlobalCommand = true;
        final VtdIommu unit = new VtdIommu(memory, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap(), config,
            VtdIommu.defaultContextCache(), VtdIommu.defaultPasidCache(), VtdIommu.defaultIotlb(), null, null);
        iommu = unit;
        unit.writeRegister(VtdRegisters.RTADDR, 8, TABLE_POOL);
        unit.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.SRTP);
        assertTrue(dma(DEVICE, 0x1000, false), "TE clear: untranslated");
        unit.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.TE | VtdRegisters.QIE);
        assertEquals(1, unit.rejectedCommands(), "two commands in one write");
        assertEquals(VtdRegisters.SRTP, unit.readRegister(VtdRegisters.GSTS, 4));
        unit.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.TE);
        assertEquals(VtdRegisters.SRTP | VtdRegisters.TE, unit.readRegister(VtdRegisters.GSTS, 4));
        assertFalse(dma(DEVICE, 0x1000, false));
        assertEquals(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT, outcome.fault());
        unit.writeRegister(VtdRegisters.GCMD, 4, 0);
        assertEquals(VtdRegisters.SRTP, unit.readRegister(VtdRegisters.GSTS, 4), "TE cleared");

        final VtdIommu lenient = VtdIommu.create(memory, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap());
        lenient.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.TE | VtdRegisters.QIE);
        assertEquals(VtdRegisters.TE | VtdRegisters.QIE, lenient.readRegister(VtdRegisters.GSTS, 4), "the default: both run");
    }

    /**
     * Xen's iommu_enable_translation writes GSTS | TE to GCMD: with RTPS set that re-issues SRTP with TE. QEMU and
     * VirtualBox act on every bit, and Xen runs on real units, so by default the write runs both (RTADDR is latched
     * again, unchanged) and translation comes on.
     */
    @Test
    void xensGstsOrTeWriteEnablesTranslation()
    {
        final VtdIommu unit = VtdIommu.create(memory, VtdRegisters.defaultCap(4), VtdRegisters.defaultEcap());
        iommu = unit;
        unit.writeRegister(VtdRegisters.RTADDR, 8, TABLE_POOL);
        unit.writeRegister(VtdRegisters.GCMD, 4, VtdRegisters.SRTP);
        final long gsts = unit.readRegister(VtdRegisters.GSTS, 4);
        unit.writeRegister(VtdRegisters.GCMD, 4, gsts | VtdRegisters.TE);
        assertEquals(VtdRegisters.SRTP | VtdRegisters.TE, unit.readRegister(VtdRegisters.GSTS, 4));
        assertEquals(TABLE_POOL, unit.rootTableAddress());
        assertEquals(0, unit.rejectedCommands());
        assertFalse(dma(DEVICE, 0x1000, false), "translating: no root entry yet");
        assertEquals(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT, outcome.fault());
    }

    @Test
    void queuedInvalidationEnableAndDisableResetIqh()
    {
        bringUp(false);
        assertTrue(driver.waitForCompletion(false));
        assertTrue(iommu.readRegister(VtdRegisters.IQH, 8) != 0);
        assertEquals(iommu.readRegister(VtdRegisters.IQT, 8), iommu.readRegister(VtdRegisters.IQH, 8));
        driver.globalCommand(VtdRegisters.QIE, false);
        assertEquals(0, driver.status() & VtdRegisters.QIE);
        assertEquals(0, iommu.readRegister(VtdRegisters.IQH, 8));
    }

    @Test
    void registerBasedInvalidationWhenThereIsNoQueue()
    {
        final long ecap = VtdRegisters.defaultEcap() & ~VtdRegisters.ECAP_QI;
        bringUp(false, VtdRegisters.defaultCap(4), ecap, null);
        assertEquals(0, driver.status() & VtdRegisters.QIE);
        final PageTable domain = secondStage(4);
        driver.attachLegacy(DEVICE, domain, DOMAIN, ContextEntry.TT_MULTI_LEVEL, false);
        map4k(domain, 0x10_0000L, DATA, 16 * 4096L, Permissions.READ_WRITE);
        for (int i = 0; i < 16; i++)
        {
            assertTrue(dma(DEVICE, 0x10_0000L + i * 4096L, false));
        }
        assertEquals(16, iommu.iotlb().occupancy());
        assertEquals(VtdRegisters.IOTLB_PAGE, driver.invalidateIotlbByRegister(VtdRegisters.IOTLB_PAGE, DOMAIN, 0x10_0000L, 2));
        assertEquals(12, iommu.iotlb().occupancy(), "AM = 2: four pages");
        assertEquals(0, driver.invalidateIotlbByRegister(VtdRegisters.IOTLB_PAGE, DOMAIN, 0x10_0000L, 10),
            "AM above MAMV is refused: IAIG = 0");
        assertEquals(VtdRegisters.IOTLB_DOMAIN, driver.invalidateIotlbByRegister(VtdRegisters.IOTLB_DOMAIN, DOMAIN + 1, 0, 0));
        assertEquals(12, iommu.iotlb().occupancy());
        assertEquals(VtdRegisters.IOTLB_DOMAIN, driver.invalidateIotlbByRegister(VtdRegisters.IOTLB_DOMAIN, DOMAIN, 0, 0));
        assertEquals(0, iommu.iotlb().occupancy());

        assertEquals(1, iommu.contextCache().occupancy());
        assertEquals(VtdRegisters.GRANULARITY_DEVICE, driver.invalidateContextByRegister(VtdRegisters.GRANULARITY_DEVICE, DOMAIN, DEVICE +
            1, 0));
        assertEquals(1, iommu.contextCache().occupancy());
        assertEquals(VtdRegisters.GRANULARITY_DEVICE, driver.invalidateContextByRegister(VtdRegisters.GRANULARITY_DEVICE, DOMAIN, DEVICE +
            1, 1),
            "FM = 1 covers the pair");
        assertEquals(0, iommu.contextCache().occupancy());
        assertTrue(dma(DEVICE, 0x10_0000L, false));
        assertEquals(VtdRegisters.GRANULARITY_GLOBAL, driver.invalidateContextByRegister(VtdRegisters.GRANULARITY_GLOBAL, 0, 0, 0));
        assertEquals(0, iommu.contextCache().occupancy());
    }

    @Test
    void registerBasedInvalidationIsRefusedWhileTheQueueIsOn()
    {
        bringUp(false);
        assertEquals(0, driver.invalidateContextByRegister(VtdRegisters.GRANULARITY_GLOBAL, 0, 0, 0));
        assertEquals(0, driver.invalidateIotlbByRegister(VtdRegisters.IOTLB_GLOBAL, 0, 0, 0));
    }
}
