package org.iommuemu.emulator.amdvi;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.cache.CacheRole;
import org.iommuemu.emulator.platform.InterruptSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The listener hooks co-simulation attaches: the MSIs AMD-Vi sends and every invalidation its commands carry out. */
class AmdViInterruptListenerTest extends AmdViTestBed
{
    private final List<String> heard = new ArrayList<>();

    @BeforeEach
    void setUp()
    {
        bringUp(null, 9);
        iommu.writeRegister(AmdViRegisters.MSI_ADDRESS_LOW, 4, 0xFEE0_1004L);
        iommu.writeRegister(AmdViRegisters.MSI_ADDRESS_HIGH, 4, 0x12);
        iommu.writeRegister(AmdViRegisters.MSI_DATA, 4, 0x4041);
        iommu.interruptListener((source, address, data) -> heard.add(source + " 0x" + Long.toHexString(address) + " 0x" +
            Integer.toHexString(data)));
    }

    @Test
    void msiMirrorRegistersReadBackWithTheLowAddressBitsReserved()
    {
        iommu.writeRegister(AmdViRegisters.MSI_ADDRESS_LOW, 4, 0xFEE0_1007L);
        assertEquals(0xFEE0_1004L, iommu.readRegister(AmdViRegisters.MSI_ADDRESS_LOW, 4));
        assertEquals(0x12, iommu.readRegister(AmdViRegisters.MSI_ADDRESS_HIGH, 4));
        assertEquals(0x4041, iommu.readRegister(AmdViRegisters.MSI_DATA, 4));
    }

    @Test
    void anIoPageFaultSignalsTheEventLogInterruptWithTheMsiAddressAndData()
    {
        attach(DEVICE, true, true, 3);
        assertFalse(iommu.dma(DEVICE, 0x7000, false, out));
        assertEquals(List.of(InterruptSource.AMDVI_EVENT_LOG + " 0x12fee01004 0x4041"), heard);
        assertEquals(1, iommu.eventInterrupts());
    }

    @Test
    void completionWaitWithInterruptIsSignalledAfterItsStore()
    {
        heard.clear();
        iommu.interruptListener((source, address, data) -> heard.add(source + " store=" + memory.readEntry(SEMAPHORE)));
        assertTrue(driver.completionWait());
        assertEquals(List.of(InterruptSource.AMDVI_COMPLETION_WAIT + " store=" + memory.readEntry(SEMAPHORE)), heard);
        assertTrue(memory.readEntry(SEMAPHORE) != 0);
        final long before = iommu.completionWaitInterrupts();
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, CONTROL_ON & ~AmdViRegisters.CONTROL_COM_WAIT_INT_EN);
        assertTrue(driver.completionWait());
        assertEquals(before, iommu.completionWaitInterrupts(), "ComWaitIntEn clear: no interrupt");
        assertEquals(1, heard.size());
    }

    @Test
    void invalidationsReachTheDispatchersListenerWithTheirScope()
    {
        final List<String> scopes = new ArrayList<>();
        iommu.dispatcher().addListener((scope, roles) -> scopes.add(scope + ((roles & CacheRole.IOTLB.bit()) != 0 ? " iotlb" : "")));
        driver.invalidatePages(DOMAIN, 0x10000, 0x1000);
        driver.invalidateAll();
        assertEquals(List.of("domain range [0x10000, 0x10fff] iotlb", "all iotlb"), scopes);
    }
}
