package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.Permissions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Primary fault logging: records, PPF and FRI, overflow (PFO), the fault event, FPD and compression. */
class VtdFaultRecordingTest extends VtdTestBed
{
    private long fsts()
    {
        return iommu.readRegister(VtdRegisters.FSTS, 4);
    }

    @Test
    void recordsFillInOrderThenOverflow()
    {
        bringUp(false);
        assertEquals(0, iommu.faultInterrupts());
        for (int i = 0; i < 4; i++)
        {
            assertFalse(dma(0x0500 + i, 0x1000L * (i + 1), i % 2 == 0));
            assertTrue(assertFault(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT), "record " + i);
        }
        assertEquals(VtdRegisters.FSTS_PPF, fsts(), "PPF, FRI = 0, no overflow yet");
        assertEquals(1, iommu.faultInterrupts(), "one event for the first pending fault");
        for (int i = 0; i < 4; i++)
        {
            final long high = driver.faultRecordHigh(i);
            assertTrue(FaultRecord.fault(high));
            assertEquals(0x0500 + i, FaultRecord.sourceId(high));
            assertEquals(0x1000L * (i + 1), FaultRecord.address(driver.faultRecordLow(i)));
            assertEquals(i % 2 != 0, FaultRecord.read(high));
            assertEquals(1, FaultRecord.reason(high));
        }
        assertFalse(dma(0x0600, 0x9000, false));
        assertFalse(assertFault(VtdFaultReason.ROOT_ENTRY_NOT_PRESENT), "no free record");
        assertEquals(VtdRegisters.FSTS_PPF | VtdRegisters.FSTS_PFO, fsts());
        assertFalse(dma(0x0601, 0x9000, false));
        assertFalse(outcome.recordLogged(), "dropped while PFO is set");
        assertEquals(1, iommu.faultInterrupts());

        final int[] order = new int[4];
        final int[] seen = {0};
        assertEquals(4, driver.serviceFaults((index, low, high) -> order[seen[0]++] = index));
        assertEquals(0, fsts(), "records cleared, PFO cleared");

        // The hardware pointer went on to record 0 again (it wrapped); FRI follows it.
        assertFalse(dma(0x0700, 0x1000, false));
        assertTrue(outcome.recordLogged());
        assertEquals(VtdRegisters.FSTS_PPF, fsts() & VtdRegisters.FSTS_PPF);
        assertEquals(2, iommu.faultInterrupts(), "a new event once nothing was pending");
        assertEquals(4, iommu.faultsRecorded() - 1);
    }

    @Test
    void maskedFaultEventsStayPendingUntilUnmasked()
    {
        bringUp(false);
        iommu.writeRegister(VtdRegisters.FECTL, 4, VtdRegisters.CTL_IM);
        assertFalse(dma(0x0500, 0x1000, false));
        assertEquals(0, iommu.faultInterrupts());
        assertEquals(VtdRegisters.CTL_IM | VtdRegisters.CTL_IP, iommu.readRegister(VtdRegisters.FECTL, 4));
        iommu.writeRegister(VtdRegisters.FECTL, 4, 0);
        assertEquals(1, iommu.faultInterrupts());
        assertEquals(0, iommu.readRegister(VtdRegisters.FECTL, 4));
        assertEquals(0x4021, iommu.readRegister(VtdRegisters.FEDATA, 4), "the driver's MSI data");
        assertEquals(0xFEE0_0000L, iommu.readRegister(VtdRegisters.FEADDR, 4));
    }

    /** A masked event whose conditions software has serviced (dmar_fault's way) is no longer pending: unmasking sends nothing. */
    @Test
    void servicingTheFaultsClearsAPendingMaskedEvent()
    {
        bringUp(false);
        iommu.writeRegister(VtdRegisters.FECTL, 4, VtdRegisters.CTL_IM);
        assertFalse(dma(0x0500, 0x1000, false));
        assertEquals(VtdRegisters.CTL_IM | VtdRegisters.CTL_IP, iommu.readRegister(VtdRegisters.FECTL, 4));
        assertEquals(1, driver.serviceFaults((index, low, high) -> { }));
        assertEquals(VtdRegisters.CTL_IM, iommu.readRegister(VtdRegisters.FECTL, 4), "IP cleared with the last condition");
        iommu.writeRegister(VtdRegisters.FECTL, 4, 0);
        assertEquals(0, iommu.faultInterrupts(), "nothing was pending any more");
    }

    @Test
    void faultProcessingDisableSuppressesQualifiedFaults()
    {
        bringUp(false);
        driver.attachLegacy(DEVICE, secondStage(4), DOMAIN, ContextEntry.TT_MULTI_LEVEL, true);
        assertFalse(dma(DEVICE, 0x1000, false));
        assertFalse(assertFault(VtdFaultReason.READ), "FPD: not recorded");
        assertEquals(0, fsts());
        // FPD is honoured even when P is clear.
        driver.writeLegacyContext(DEVICE + 1, ContextEntry.FPD, 0);
        assertFalse(dma(DEVICE + 1, 0x1000, false));
        assertFalse(assertFault(VtdFaultReason.CONTEXT_ENTRY_NOT_PRESENT));
        assertEquals(0, iommu.faultsRecorded());
    }

    @Test
    void faultProcessingDisableInScalableModeAndUnqualifiedFaults()
    {
        bringUp(true);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        // PASID entry with FPD and P clear: suppressed.
        driver.writePasidEntry(DEVICE, 5, PasidEntry.FPD, 0, 0);
        assertFalse(dma(DEVICE, 5, 0x1000, Permissions.READ, false));
        assertFalse(assertFault(VtdFaultReason.SM_PASID_ENTRY_NOT_PRESENT));
        // Context FPD does not suppress a PASID directory access error (not qualified).
        config.memoryLimit = 1L << 40;
        driver.writeScalableContext(DEVICE + 1, ScalableContextEntry.q0(1L << 41, 0, true, false, true), 0, 0, 0);
        assertFalse(dma(DEVICE + 1, 0x1000, false));
        assertTrue(assertFault(VtdFaultReason.SM_PASID_DIR_ACCESS));
        // FPD in the PASID directory entry suppresses qualified faults from there on, even with P clear.
        driver.setScalableContext(DEVICE + 2, 0, true, false, false, 0);
        memory.writeEntry(PasidDirectoryEntry.address(driver.pasidDirectory(DEVICE + 2), 0), PasidDirectoryEntry.FPD);
        assertFalse(dma(DEVICE + 2, 0x1000, false));
        assertFalse(assertFault(VtdFaultReason.SM_PASID_DIR_NOT_PRESENT));
    }

    @Test
    void compressionDropsFaultsFromASourceWithAPendingRecord()
    {
        config.compressFaults = true;
        bringUp(false);
        assertFalse(dma(0x0500, 0x1000, false));
        assertTrue(outcome.recordLogged());
        assertFalse(dma(0x0500, 0x2000, false));
        assertFalse(outcome.recordLogged());
        assertFalse(dma(0x0501, 0x2000, false));
        assertTrue(outcome.recordLogged());
    }

    @Test
    void executeAndPrivilegeBitsCanBeSwitchedOff()
    {
        config.recordExecutePrivilege = false;
        bringUp(true);
        driver.setScalableContext(DEVICE, 0, true, false, false, 0);
        assertFalse(dma(DEVICE, 9, 0x1000, Permissions.READ | Permissions.EXECUTE, true));
        final long high = takeFault()[1];
        assertFalse(FaultRecord.execute(high));
        assertFalse(FaultRecord.privileged(high));
        assertEquals(9, FaultRecord.pasid(high));
    }
}
