package org.iommuemu.emulator.amdvi;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Peripheral page requests: a PRI Page Request goes into the PPR log (Linux's entry layout) with PprInt, software reads
 * it and answers with COMPLETE_PPR_REQUEST, whose page response reaches the listener; a device without DTE.PPR, or an
 * IOMMU without PPRSup or PPREn, gets INVALID_PPR_REQUEST; a full log overflows until software clears PprOverflow.
 */
class AmdViPageRequestTest
{
    static final int DEVICE = 0x1000;
    static final long PPR_LOG = 0x123_0000L;

    final SparseMemory memory = new SparseMemory();
    final List<int[]> responses = new ArrayList<>();
    AmdViIommu iommu;
    AmdViDriver driver;

    private void bringUp(final long efr, final int lengthLg2)
    {
        iommu = new AmdViIommu(memory, efr, null, AmdViIommu.defaultIotlb());
        driver = new AmdViDriver(iommu, memory, AmdViDriver.Layout.DEFAULT).bringUp();
        iommu.pprResponses((device, pasid, tag, status) -> responses.add(new int[] {device, pasid, tag, status}));
        driver.attach(DEVICE, driver.newDomain(3), 1, true, true);
        driver.enablePageRequests(PPR_LOG, lengthLg2);
        driver.allowPageRequests(DEVICE, true);
    }

    @Test
    void aPageRequestIsLoggedReadAndCompleted()
    {
        bringUp(AmdViRegisters.EFR_PPR_SUP, 9);
        assertTrue((iommu.readRegister(AmdViRegisters.STATUS, 8) & AmdViRegisters.STATUS_PPR_LOG_RUN) != 0);
        assertEquals(AmdViIommu.PPR_LOGGED, iommu.pageRequest(DEVICE, 0xABCDE, 0x7f00_1234_5678L, true, true, false, false, 0x1A5));
        assertTrue((iommu.readRegister(AmdViRegisters.STATUS, 8) & AmdViRegisters.STATUS_PPR_INT) != 0);
        assertEquals(1, iommu.pprInterrupts());
        final long[] entry = new long[2];
        assertTrue(driver.nextPageRequest(entry));
        assertFalse(driver.nextPageRequest(entry.clone()), "one entry");
        assertEquals(PprLogEntry.TYPE_FAULT, PprLogEntry.type(entry[0]));
        assertEquals(DEVICE, PprLogEntry.deviceId(entry[0]));
        assertEquals(0xABCDE, PprLogEntry.pasid(entry[0]), "PASID split over bits 31:16 and 45:42");
        assertEquals(0x1A5, PprLogEntry.tag(entry[0]));
        assertEquals(PprLogEntry.FLAG_READ | PprLogEntry.FLAG_WRITE | PprLogEntry.FLAG_US | PprLogEntry.FLAG_GN,
            PprLogEntry.flags(entry[0]), "a user request with a PASID");
        assertEquals(0x7f00_1234_5000L, entry[1], "the page address");
        // Linux's layout, bit for bit: DeviceID, PASID[15:0] at 16, tag at 32, PASID[19:16] at 42, flags at 48, type at 60.
        assertEquals(0x1000L | 0xBCDEL << 16 | 0x1A5L << 32 | 0xAL << 42 | 0x164L << 48 | 1L << 60, entry[0]);

        driver.completePageRequest(DEVICE, 0xABCDE, 0x1A5, AmdViCommand.PPR_SUCCESS);
        assertEquals(1, iommu.pprCompletions());
        assertEquals(1, responses.size());
        assertEquals(List.of(DEVICE, 0xABCDE, 0x1A5, AmdViCommand.PPR_SUCCESS),
            List.of(responses.get(0)[0], responses.get(0)[1], responses.get(0)[2], responses.get(0)[3]));

        assertEquals(AmdViIommu.PPR_LOGGED, iommu.pageRequest(DEVICE, CacheTag.NO_PASID, 0x5000, true, false, true, true, 7));
        assertTrue(driver.nextPageRequest(entry));
        assertEquals(-1, PprLogEntry.pasid(entry[0]));
        assertEquals(PprLogEntry.FLAG_READ | PprLogEntry.FLAG_EXEC, PprLogEntry.flags(entry[0]), "privileged: no US, no GN");
        driver.completePageRequest(DEVICE, CacheTag.NO_PASID, 7, AmdViCommand.PPR_INVALID);
        assertEquals(-1, responses.get(1)[1]);
        assertEquals(AmdViCommand.PPR_INVALID, responses.get(1)[3]);
    }

    @Test
    void requestsTheIommuDoesNotTakeAreInvalidPprRequests()
    {
        bringUp(AmdViRegisters.EFR_PPR_SUP, 9);
        driver.allowPageRequests(DEVICE, false);
        assertEquals(AmdViIommu.PPR_INVALID_REQUEST, iommu.pageRequest(DEVICE, 1, 0x5000, false, true, false, false, 0x33));
        final long[] event = new long[2];
        assertTrue(driver.nextEvent(event));
        assertEquals(AmdViEvent.INVALID_PPR_REQUEST, (int)(event[0] >>> 60));
        assertEquals(0x33, (int)(event[0] >>> 32) & 0x3FF, "the tag in dword1 bits 9:0");
        assertEquals(0x5000, event[1]);
        assertEquals(0, iommu.pprLogged());

        bringUp(0, 9);
        assertEquals(AmdViIommu.PPR_INVALID_REQUEST, iommu.pageRequest(DEVICE, 1, 0x5000, true, false, false, false, 1),
            "no EFR.PPRSup");
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, iommu.readRegister(AmdViRegisters.CONTROL, 8) & ~AmdViRegisters.CONTROL_IOMMU_EN);
        assertEquals(AmdViIommu.PPR_IGNORED, iommu.pageRequest(DEVICE, 1, 0x5000, true, false, false, false, 1), "IOMMU disabled");
    }

    @Test
    void aFullLogOverflowsUntilSoftwareClearsIt()
    {
        bringUp(AmdViRegisters.EFR_PPR_SUP, 8);
        int logged = 0;
        for (int i = 0; i < 256; i++)
        {
            logged += iommu.pageRequest(DEVICE, 1, 0x1000L * i, true, false, false, false, i & 0x1FF) == AmdViIommu.PPR_LOGGED ? 1 : 0;
        }
        assertEquals(255, logged, "a ring of 256 entries holds 255");
        assertTrue((iommu.readRegister(AmdViRegisters.STATUS, 8) & AmdViRegisters.STATUS_PPR_OVERFLOW) != 0);
        assertTrue((iommu.readRegister(AmdViRegisters.CONTROL, 8) & AmdViRegisters.CONTROL_PPR_INT_EN) != 0);
        assertEquals(256, iommu.pprInterrupts(), "one per request logged, and one for the overflow");
        final long[] entry = new long[2];
        assertTrue(driver.nextPageRequest(entry));
        assertEquals(AmdViIommu.PPR_DROPPED, iommu.pageRequest(DEVICE, 1, 0, true, false, false, false, 0), "overflow set: dropped");
        assertEquals(0, iommu.readRegister(AmdViRegisters.STATUS, 8) & AmdViRegisters.STATUS_PPR_LOG_RUN, "the log stopped");
        iommu.writeRegister(AmdViRegisters.STATUS, 8, AmdViRegisters.STATUS_PPR_OVERFLOW);
        assertEquals(0, iommu.readRegister(AmdViRegisters.STATUS, 8) & AmdViRegisters.STATUS_PPR_OVERFLOW, "RW1C");
        assertEquals(AmdViIommu.PPR_DROPPED, iommu.pageRequest(DEVICE, 1, 0, true, false, false, false, 0),
            "clearing PprOverflow alone does not restart the log");
        // Linux's amd_iommu_restart_log: PPRLogEn 0, PprOverflow cleared, PPRLogEn 1.
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_PPR_LOG_EN);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control);
        assertTrue((iommu.readRegister(AmdViRegisters.STATUS, 8) & AmdViRegisters.STATUS_PPR_LOG_RUN) != 0);
        assertEquals(AmdViIommu.PPR_LOGGED, iommu.pageRequest(DEVICE, 1, 0, true, false, false, false, 0));
        assertEquals(3, iommu.pprDropped());
    }
}
