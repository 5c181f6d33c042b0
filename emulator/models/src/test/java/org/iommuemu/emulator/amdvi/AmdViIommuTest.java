package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.rmp.DmaRmpCheck;
import org.iommuemu.rmp.PageStateConversion;
import org.iommuemu.rmp.RmpConfig;
import org.iommuemu.rmp.RmpEntry;
import org.iommuemu.rmp.RmpInstructions;
import org.iommuemu.rmp.RmpReturnCode;
import org.iommuemu.rmp.RmpTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.iommuemu.emulator.amdvi.AmdViRegisters.STATUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Driver-level tests: the IOMMU is programmed only through its registers and in-memory structures, and every
 * outcome is read back from the event log, the status register and completion-wait stores.
 */
class AmdViIommuTest extends AmdViTestBed
{
    @Test
    void translatesThroughTheDeviceTableAndTheIotlb()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        assertTrue(iommu.dma(DEVICE, 0x4001_2345L, true, out), out.toString());
        assertEquals(0x8_0001_2345L, out.outputAddress());
        assertEquals(21, out.pageSizeLg2());
        assertFalse(out.iotlbHit());
        assertTrue(iommu.dma(DEVICE, 0x4001_2000L, false, out));
        assertTrue(out.iotlbHit());
        assertEquals(0x8_0001_2000L, out.outputAddress());
        assertEquals(AmdViRegisters.STATUS_EVENT_LOG_RUN | AmdViRegisters.STATUS_CMD_BUF_RUN, iommu.readRegister(STATUS, 8));
    }

    @Test
    void aHugeLeafTakesOneIotlbEntryWhileOddSizesAreCachedAsFourKilobyteFragments()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        assertEquals(MapStatus.OK, domain.map(0x5000_0000L, 0x9_0000_0000L, 32L << 10, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        assertTrue(iommu.dma(DEVICE, 0x4000_0010L, false, out));
        assertFalse(out.iotlbHit());
        assertTrue(iommu.dma(DEVICE, 0x401F_F008L, false, out));
        assertTrue(out.iotlbHit(), "the last 4 KiB page of the 2 MiB leaf hits the entry the first one filled");
        assertEquals(0x8_001F_F008L, out.outputAddress());

        assertTrue(iommu.dma(DEVICE, 0x5000_0010L, false, out));
        assertEquals(15, out.pageSizeLg2(), "a 32 KiB NextLevel=7 leaf");
        assertTrue(iommu.dma(DEVICE, 0x5000_7010L, false, out));
        assertFalse(out.iotlbHit(), "cached as the 4 KiB fragment that was used, so another page of the leaf walks");
        assertEquals(0x9_0000_7010L, out.outputAddress());
        assertTrue(iommu.dma(DEVICE, 0x5000_7FF0L, false, out));
        assertTrue(out.iotlbHit());
        assertEquals(0x9_0000_7FF0L, out.outputAddress());
        assertEquals(15, out.pageSizeLg2(), "the outcome still reports the leaf's size");
    }

    @Test
    void pageFaultsAreLoggedWithTheirFlagsAndRaiseTheEventInterrupt()
    {
        bringUp(null, 9);
        attach(DEVICE, true, false, 3); // the DTE grants read only
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));

        assertFalse(iommu.dma(DEVICE, 0x4000_0010L, true, out));
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
        assertEquals(WalkFault.PERMISSION, out.walkFault());
        long[] event = nextEvent();
        assertEquals(AmdViEvent.IO_PAGE_FAULT, AmdViEvent.code(event[0]));
        assertEquals(DEVICE, AmdViEvent.deviceId(event[0]));
        assertEquals(DOMAIN, AmdViEvent.domainId(event[0]));
        assertEquals(AmdViEvent.FLAG_PR | AmdViEvent.FLAG_PE | AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
        assertEquals(0x4000_0010L, event[1]);

        assertFalse(iommu.dma(DEVICE, 0x5000_0000L, false, out));
        event = nextEvent();
        assertEquals(0, AmdViEvent.flags(event[0]), "not present, a read: no flags");
        assertEquals(WalkFault.NOT_PRESENT, out.walkFault());

        assertEquals(2, iommu.eventInterrupts());
        assertTrue((iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_EVENT_LOG_INT) != 0);
        iommu.writeRegister(STATUS, 8, AmdViRegisters.STATUS_EVENT_LOG_INT); // RW1C, as the interrupt handler does
        assertEquals(0, iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_EVENT_LOG_INT);
    }

    @Test
    void aBadNextLevelInAHostEntryFaultsWithRz()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        final WalkResult walk = new WalkResult();
        assertTrue(domain.translate(0x4000_0000L, 0, walk));
        final long top = walk.entryAddress(0); // the level-2 entry: NextLevel must be 2
        memory.writeEntry(top, (memory.readEntry(top) & ~AmdV1Format.NEXT_LEVEL) |
            (3L << AmdV1Format.NEXT_LEVEL_SHIFT));
        assertFalse(iommu.dma(DEVICE, 0x4000_0000L, true, out));
        assertEquals(WalkFault.BAD_LEVEL_ENCODING, out.walkFault());
        assertEquals(AmdViEvent.FLAG_PR | AmdViEvent.FLAG_RZ | AmdViEvent.FLAG_RW, AmdViEvent.flags(nextEvent()[0]),
            "the entry was present: PR with RZ");
    }

    @Test
    void illegalDeviceTableEntriesAreLogged()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 7); // Mode 7 is reserved
        assertFalse(iommu.dma(DEVICE, 0x1000, false, out));
        assertEquals(AmdViFault.ILLEGAL_DEV_TABLE_ENTRY, out.fault());
        assertEquals(AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, AmdViEvent.code(nextEvent()[0]));
        // A DTE with V=0 passes the DMA through untranslated.
        assertTrue(iommu.dma(0x0200, 0x1234_5000L, true, out));
        assertEquals(0x1234_5000L, out.outputAddress());
    }

    @Test
    void aStaleIotlbHitLastsUntilTheDriverInvalidatesAndWaits()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 4096, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        assertTrue(iommu.dma(DEVICE, 0x4000_0000L, true, out));
        assertEquals(MapStatus.OK, domain.unmap(0x4000_0000L, 4096));
        assertTrue(iommu.dma(DEVICE, 0x4000_0000L, true, out), "stale: the unmap was not invalidated");
        assertTrue(out.iotlbHit());

        AmdViCommand.invalidatePages(command, DOMAIN, 0x4000_0000L, 4096);
        queue(command);
        AmdViCommand.completionWait(command, SEMAPHORE, 0x1234, true);
        queue(command);
        assertEquals(0x1234, memory.readEntry(SEMAPHORE), "completion-wait store");
        assertEquals(1, iommu.completionWaitInterrupts());
        assertTrue((iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_COM_WAIT_INT) != 0);
        assertEquals(2L << 4, iommu.readRegister(AmdViRegisters.COMMAND_HEAD, 8), "the head caught up with the tail");

        assertFalse(iommu.dma(DEVICE, 0x4000_0000L, true, out));
        assertEquals(AmdViFault.IO_PAGE_FAULT, out.fault());
    }

    @Test
    void rangeAndGlobalInvalidations()
    {
        bringUp(null, 9);
        attach(DEVICE, true, true, 3);
        assertEquals(MapStatus.OK, domain.map(0x4000_0000L, 0x8_0000_0000L, 64 * 4096L, Permissions.READ_WRITE, PageSizePolicy.FORCED_4K));
        for (int i = 0; i < 64; i++)
        {
            assertTrue(iommu.dma(DEVICE, 0x4000_0000L + i * 4096L, false, out));
        }
        assertEquals(64, iommu.iotlb().occupancy());
        AmdViCommand.invalidatePages(command, DOMAIN, 0x4000_0000L, 16 * 4096L); // S=1, 64 KiB
        queue(command);
        assertEquals(48, iommu.iotlb().occupancy());
        AmdViCommand.invalidatePages(command, DOMAIN + 1, 0x4000_0000L, 1L << 52); // another domain, whole space
        queue(command);
        assertEquals(48, iommu.iotlb().occupancy());
        AmdViCommand.invalidateAll(command);
        queue(command);
        assertEquals(0, iommu.iotlb().occupancy());
    }

    /** Commands run only while the IOMMU is enabled (IommuEn), as QEMU and VirtualBox gate the command buffer. */
    @Test
    void theCommandBufferRunsOnlyWhileTheIommuIsEnabled()
    {
        bringUp(null, 9);
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_IOMMU_EN);
        assertEquals(0, iommu.readRegister(STATUS, 8) & (AmdViRegisters.STATUS_CMD_BUF_RUN | AmdViRegisters.STATUS_EVENT_LOG_RUN));
        AmdViCommand.completionWait(command, SEMAPHORE, 3, false);
        queue(command);
        assertEquals(0, memory.readEntry(SEMAPHORE), "IommuEn clear: not run");
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control);
        assertEquals(3, memory.readEntry(SEMAPHORE), "run once the IOMMU is enabled");
        assertTrue((iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_CMD_BUF_RUN) != 0);
    }

    @Test
    void anIllegalCommandIsLoggedAndStopsTheCommandBuffer()
    {
        bringUp(null, 9);
        command[0] = AmdViCommand.opcode(0xF);
        command[1] = 0;
        queue(command);
        final long[] event = nextEvent();
        assertEquals(AmdViEvent.ILLEGAL_COMMAND_ERROR, AmdViEvent.code(event[0]));
        assertEquals(COMMAND_BUFFER, event[1], "the address of the offending command");
        assertEquals(0, iommu.readRegister(AmdViRegisters.COMMAND_HEAD, 8), "the head stays on it");
        assertEquals(0, iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_CMD_BUF_RUN);
        AmdViCommand.completionWait(command, SEMAPHORE, 7, false);
        queue(command);
        assertEquals(0, memory.readEntry(SEMAPHORE), "halted: nothing after the bad command runs");

        // Another control write with CmdBufEn still set (Linux restarting its event log) leaves the buffer halted.
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_EVENT_LOG_EN);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control);
        assertEquals(0, iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_CMD_BUF_RUN);
        assertEquals(0, memory.readEntry(SEMAPHORE));
        assertEquals(0, driver.pendingEvents(), "the bad command is not run (and logged) again");

        // Software fixes the command and clears then sets CmdBufEn: the buffer runs again from the head.
        AmdViCommand.completionWait(command, SEMAPHORE, 5, false);
        memory.writeEntry(COMMAND_BUFFER, command[0]);
        memory.writeEntry(COMMAND_BUFFER + 8, command[1]);
        // As Linux's early_enable_iommu does it: the IOMMU off, CmdBufEn cleared and set, then the IOMMU on.
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_IOMMU_EN);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_IOMMU_EN & ~AmdViRegisters.CONTROL_CMD_BUF_EN);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_IOMMU_EN);
        assertEquals(0, memory.readEntry(SEMAPHORE), "not while the IOMMU is off");
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control);
        assertTrue((iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_CMD_BUF_RUN) != 0);
        assertEquals(7, memory.readEntry(SEMAPHORE), "both waits ran; the second stored 7");
    }

    @Test
    void aFullEventLogSetsOverflowAndDropsEvents()
    {
        bringUp(null, 8); // 256 entries hold 255 events
        attach(DEVICE, true, true, 3);
        for (int i = 0; i < 300; i++)
        {
            assertFalse(iommu.dma(DEVICE, 0x7000_0000L + i * 4096L, false, out));
        }
        assertTrue((iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_EVENT_OVERFLOW) != 0);
        assertEquals(255L << 4, iommu.readRegister(AmdViRegisters.EVENT_TAIL, 8));
        assertFalse(out.recordLogged());
        assertEquals(256, iommu.eventInterrupts(), "255 events and the overflow (QEMU's amdvi_log_event signals it too); then " +
            "nothing while EventOverflow is set");
        assertEquals(0, iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_EVENT_LOG_RUN, "the log stopped");

        // Software consumes the log and clears EventOverflow: still stopped until EventLogEn goes 0 -> 1 (the
        // specification's restart, with the 0 written first as Linux's amd_iommu_restart_log found the hardware wants).
        iommu.writeRegister(AmdViRegisters.EVENT_HEAD, 8, 255L << 4);
        iommu.writeRegister(STATUS, 8, AmdViRegisters.STATUS_EVENT_OVERFLOW);
        assertFalse(iommu.dma(DEVICE, 0x7100_0000L, false, out));
        assertEquals(255L << 4, iommu.readRegister(AmdViRegisters.EVENT_TAIL, 8), "not logged: the log is stopped");
        final long control = iommu.readRegister(AmdViRegisters.CONTROL, 8);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control);
        assertEquals(0, iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_EVENT_LOG_RUN, "writing 1 over 1 restarts nothing");
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control & ~AmdViRegisters.CONTROL_EVENT_LOG_EN);
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, control);
        assertTrue((iommu.readRegister(STATUS, 8) & AmdViRegisters.STATUS_EVENT_LOG_RUN) != 0);
        assertFalse(iommu.dma(DEVICE, 0x7200_0000L, false, out));
        assertTrue(out.recordLogged());
        assertEquals(0, iommu.readRegister(AmdViRegisters.EVENT_TAIL, 8), "logged at the wrapped tail");
    }

    /**
     * Seed 001 end to end: an SNP guest's 2 MiB of shared memory, mapped by the IOMMU with a 2 MiB leaf; the
     * guest converts one 4 KiB page private (PSMASH, then RMPUPDATE); the device writes a shared page of the
     * same 2 MiB range: RMP_PAGE_FAULT in the event log. With the domain mapped forced-4K, the write succeeds.
     */
    @ParameterizedTest
    @EnumSource(value = PageSizePolicy.class, names = {"LARGEST", "FORCED_4K"})
    void seed001RmpPageFaultUnderAHugeIommuLeaf(final PageSizePolicy policy)
    {
        final long spa = 0x0600_0000L;
        final long iova = 0x8000_0000L;
        final RmpTable rmp = RmpTable.contiguousCovering(memory, 0x2_0000_0000L, 1L << 30);
        final RmpInstructions instructions = new RmpInstructions(rmp, RmpConfig.DEFAULT);
        final PageStateConversion conversion = new PageStateConversion(instructions);
        bringUp(new DmaRmpCheck(rmp, RmpConfig.DEFAULT), 9);
        attach(DEVICE, true, true, 3);
        assertEquals(MapStatus.OK, domain.map(iova, spa, 2L << 20, Permissions.READ_WRITE, policy));
        assertEquals(RmpReturnCode.SUCCESS, conversion.makeShared(spa, RmpEntry.PAGE_SIZE_2M));
        assertEquals(RmpReturnCode.SUCCESS, conversion.makePrivate(spa + 0x5_0000L, iova + 0x5_0000L, 9, RmpEntry.PAGE_SIZE_4K));

        final long dma = iova + 0x7_8784L; // the shared dma_alloc_coherent() buffer
        final boolean allowed = iommu.dma(DEVICE, dma, true, out);
        if (policy == PageSizePolicy.LARGEST)
        {
            assertFalse(allowed);
            assertEquals(AmdViFault.RMP_PAGE_FAULT, out.fault());
            final long[] event = nextEvent();
            assertEquals(AmdViEvent.RMP_PAGE_FAULT, AmdViEvent.code(event[0]));
            assertEquals(DEVICE, AmdViEvent.deviceId(event[0]));
            assertEquals(AmdViEvent.FLAG_RW, AmdViEvent.flags(event[0]));
            assertEquals(dma, event[1]);
        }
        else
        {
            assertTrue(allowed, out.toString());
            assertEquals(spa + 0x7_8784L, out.outputAddress());
            assertEquals(12, out.pageSizeLg2());
        }
        // The private page itself is refused under either policy.
        assertFalse(iommu.dma(DEVICE, iova + 0x5_0000L, true, out));
        assertEquals(AmdViFault.RMP_PAGE_FAULT, out.fault());
    }
}
