package org.iommuemu.emulator.vtd;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.platform.InterruptSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The interrupt listener co-simulation attaches: VT-d's fault event and invalidation completion event. */
class VtdInterruptListenerTest extends VtdTestBed
{
    private final List<String> heard = new ArrayList<>();

    private void listen()
    {
        iommu.interruptListener((source, address, data) -> heard.add(source + " 0x" + Long.toHexString(address) + " 0x" +
            Integer.toHexString(data)));
    }

    @Test
    void aRecordedFaultSignalsTheFaultEventWithFeaddrAndFedata()
    {
        bringUp(false);
        listen();
        assertFalse(dma(0x0500, 0x1000, false));
        assertEquals(List.of(InterruptSource.VTD_FAULT_EVENT + " 0xfee00000 0x4021"), heard);
    }

    @Test
    void aMaskedFaultEventIsSignalledWhenUnmasked()
    {
        bringUp(false);
        listen();
        iommu.writeRegister(VtdRegisters.FECTL, 4, VtdRegisters.CTL_IM);
        assertFalse(dma(0x0500, 0x1000, false));
        assertTrue(heard.isEmpty());
        iommu.writeRegister(VtdRegisters.FEUADDR, 4, 0x7);
        iommu.writeRegister(VtdRegisters.FECTL, 4, 0);
        assertEquals(List.of(InterruptSource.VTD_FAULT_EVENT + " 0x7fee00000 0x4021"), heard);
    }

    @Test
    void anInvalidationWaitWithIfSignalsTheCompletionEventWithIeaddrAndIedata()
    {
        bringUp(false);
        iommu.writeRegister(VtdRegisters.IEDATA, 4, 0x51);
        iommu.writeRegister(VtdRegisters.IEADDR, 4, 0xFEE0_2000L);
        iommu.writeRegister(VtdRegisters.IECTL, 4, 0);
        listen();
        assertTrue(driver.waitForCompletion(true));
        assertEquals(List.of(InterruptSource.VTD_INVALIDATION_COMPLETION + " 0xfee02000 0x51"), heard);
        assertTrue(driver.waitForCompletion(false));
        assertEquals(1, heard.size(), "a wait without IF raises nothing");
    }
}
