package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The exclusion range (EXCLUSION_BASE/LIMIT with ExEn, Allow and DTE.EX) and interrupt requests (DTE IV/IntCtl). */
class AmdViExclusionAndInterruptTest extends AmdViTestBed
{
    static final int OTHER_DEVICE = 0x0200;
    static final long MSI = 0xFEE0_0000L;

    @Test
    void addressesInTheExclusionRangeBypassTranslationForDevicesWithEx()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        attach(OTHER_DEVICE, true, true, 3);
        memory.writeEntry(DEVICE_TABLE + DEVICE * 32L + 8, memory.readEntry(DEVICE_TABLE + DEVICE * 32L + 8) | DeviceTableEntry.EX);

        assertFalse(iommu.dma(DEVICE, 0x7000_0000L, true, out), "no range programmed yet");
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        driver.invalidateDeviceTableEntry(DEVICE);
        driver.setExclusionRange(0x7000_0000L, 0x7000_1000L, false); // two pages

        final long lookups = iommu.iotlb().lookups();
        assertTrue(iommu.dma(DEVICE, 0x7000_1FF8L, true, out));
        assertEquals(lookups, iommu.iotlb().lookups(), "excluded: not translated");
        assertEquals(0x7000_1FF8L, out.outputAddress(), "untranslated");
        assertFalse(iommu.dma(DEVICE, 0x7000_2000L, true, out), "one past the limit page");
        assertFalse(iommu.dma(OTHER_DEVICE, 0x7000_0000L, true, out), "EX clear, Allow clear");
        assertEquals(WalkFault.NOT_PRESENT, out.walkFault());

        driver.setExclusionRange(0x7000_0000L, 0x7000_1000L, true);
        assertTrue(iommu.dma(OTHER_DEVICE, 0x7000_0000L, false, out), "Allow: every device");
        assertEquals(0x7000_0000L, out.outputAddress(), "untranslated");
        assertFalse(iommu.dma(DEVICE, 2, 0x7000_0000L, Permissions.READ, true, out),
            "requests with a PASID are not excluded (host translation here, unmapped)");

        iommu.writeRegister(AmdViRegisters.EXCLUSION_BASE, 8, 0x7000_0000L); // ExEn clear
        assertFalse(iommu.dma(DEVICE, 0x7000_0000L, true, out));
    }

    @Test
    void modeZeroPassesRequestsUntranslatedWithinTheDtesIrAndIw()
    {
        bringUp(null, 9);
        driver.attachIdentity(DEVICE, 7, true, false);
        final long iotlbLookups = iommu.iotlb().lookups();
        assertTrue(iommu.dma(DEVICE, 0x1234_5678L, false, out), "IR: reads pass");
        assertEquals(0x1234_5678L, out.outputAddress(), "untranslated");
        assertEquals(iotlbLookups, iommu.iotlb().lookups(), "no table, no IOTLB");
        assertFalse(iommu.dma(DEVICE, 0x1234_5678L, true, out), "IW clear: writes are refused");
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        assertEquals(WalkFault.PERMISSION, out.walkFault());
        final long[] event = nextEvent();
        assertEquals(AmdViEvent.IO_PAGE_FAULT, AmdViEvent.code(event[0]));
        assertEquals(AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE | AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
        assertEquals(0x1234_5678L, event[1]);
        assertEquals(7, AmdViEvent.domainId(event[0]));

        driver.attachIdentity(DEVICE, 7, true, true); // as Linux writes an identity domain's DTE
        assertTrue(iommu.dma(DEVICE, 0x1234_5678L, true, out));
        assertEquals(0x1234_5678L, out.outputAddress());
    }

    @Test
    void interruptRequestsAreForwardedAbortedOrFaultedByIntCtl()
    {
        bringUp(null, 9, AmdViOptions.DEFAULT.withRemappedInterrupts(AmdViOptions.RemappedInterrupts.IO_PAGE_FAULT));
        attach(DEVICE, true, true, 3);
        final long q0 = memory.readEntry(DEVICE_TABLE + DEVICE * 32L);
        final long q1 = memory.readEntry(DEVICE_TABLE + DEVICE * 32L + 8);

        assertTrue(iommu.dma(DEVICE, MSI + 0x1000, true, out), "IV = 0: forwarded unremapped");
        assertTrue(out.interrupt());
        assertEquals(MSI + 0x1000, out.outputAddress());
        assertFalse(iommu.dma(DEVICE, MSI, false, out), "a read of the range is an ordinary (unmapped) DMA");
        assertFalse(out.interrupt());
        nextEvent();

        driver.writeDeviceTableEntry(DEVICE, q0, q1, DeviceTableEntry.IV, 0); // IntCtl = 00b: abort
        assertFalse(iommu.dma(DEVICE, MSI, true, out));
        assertEquals(AmdViFault.INVALID_DEVICE_REQUEST, out.fault());
        assertTrue(out.interrupt(), "an interrupt request, refused");
        long[] event = nextEvent();
        assertEquals(AmdViEvent.INVALID_DEVICE_REQUEST, AmdViEvent.code(event[0]));
        assertEquals(0xA00, AmdViEvent.flags(event[0]), "type 5, as the Linux log of a real one shows");

        driver.writeDeviceTableEntry(DEVICE, q0, q1, DeviceTableEntry.IV |
            ((long)DeviceTableEntry.INT_CTL_REMAP << DeviceTableEntry.INT_CTL_SHIFT), 0);
        assertFalse(iommu.dma(DEVICE, MSI + 4, true, out));
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        event = nextEvent();
        assertEquals(AmdViEvent.FLAG_I | AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
        assertEquals(MSI + 4, event[1]);

        driver.writeDeviceTableEntry(DEVICE, q0, q1, DeviceTableEntry.IV |
            ((long)DeviceTableEntry.INT_CTL_FORWARD << DeviceTableEntry.INT_CTL_SHIFT), 0);
        assertTrue(iommu.dma(DEVICE, MSI, true, out));
        driver.invalidateInterruptTable(DEVICE);
        assertTrue(driver.completionWait(), "INVALIDATE_INTERRUPT_TABLE is accepted");
    }
}
