package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;

import static org.iommuemu.emulator.amdvi.AmdViRegisters.CONTROL;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A driver's view of the AMD-Vi model for tests: it programs the IOMMU only through its registers and
 * in-memory structures, in the order Linux's amd_iommu driver uses (device table, command buffer, event log,
 * then the control register), and reads outcomes back from the event log and the registers.
 */
abstract class AmdViTestBed
{
    static final long DEVICE_TABLE = 0x100_0000L;
    static final long COMMAND_BUFFER = 0x120_0000L;
    static final long EVENT_LOG = 0x121_0000L;
    static final long SEMAPHORE = 0x122_0000L;
    static final long TABLE_POOL = 0x4_0000_0000L;
    static final int DEVICE = 0x0100;
    static final int DOMAIN = 5;
    static final long CONTROL_ON = AmdViRegisters.CONTROL_IOMMU_EN | AmdViRegisters.CONTROL_EVENT_LOG_EN |
        AmdViRegisters.CONTROL_EVENT_INT_EN | AmdViRegisters.CONTROL_CMD_BUF_EN | AmdViRegisters.CONTROL_COM_WAIT_INT_EN;

    final SparseMemory memory = new SparseMemory();
    final AmdViOutcome out = new AmdViOutcome();
    final long[] command = new long[2];
    AmdViIommu iommu;
    PageTable domain;
    int commandTail;
    int eventsRead;

    void bringUp(final DmaRmpCheck rmpCheck, final int eventLogLengthLg2)
    {
        iommu = new AmdViIommu(memory, rmpCheck == null ? 0 : AmdViRegisters.EFR_SNP_SUP, rmpCheck, AmdViIommu.defaultIotlb());
        // iommu_set_device_table: a 2 MiB table for all 65536 DeviceIDs (Size = 511).
        iommu.writeRegister(AmdViRegisters.DEVICE_TABLE_BASE, 8, DEVICE_TABLE | 0x1FF);
        iommu.writeRegister(AmdViRegisters.COMMAND_BUFFER_BASE, 8, COMMAND_BUFFER | (9L << AmdViRegisters.LENGTH_SHIFT));
        iommu.writeRegister(AmdViRegisters.EVENT_LOG_BASE, 8, EVENT_LOG | ((long)eventLogLengthLg2 << AmdViRegisters.LENGTH_SHIFT));
        iommu.writeRegister(CONTROL, 8, CONTROL_ON);
        domain = new PageTable(new AmdV1Format(3), new FrameAllocator(memory, TABLE_POOL, 64L << 20));
    }

    void attach(final int device, final boolean read, final boolean write, final int mode)
    {
        DeviceTableEntry.writeHost(memory, DEVICE_TABLE, device, domain.root(), mode, DOMAIN, read, write);
    }

    /** Queue a command as iommu_queue_command does: write it at the tail, then move the tail register. */
    void queue(final long[] words)
    {
        final long address = COMMAND_BUFFER + commandTail * 16L;
        memory.writeEntry(address, words[0]);
        memory.writeEntry(address + 8, words[1]);
        commandTail = (commandTail + 1) & 511;
        iommu.writeRegister(AmdViRegisters.COMMAND_TAIL, 8, (long)commandTail << 4);
    }

    /** The next event software has not read yet: {quadword 0, quadword 1}. */
    long[] nextEvent()
    {
        final long tail = iommu.readRegister(AmdViRegisters.EVENT_TAIL, 8) >>> 4;
        assertTrue(eventsRead != tail, "an event was logged");
        final long address = EVENT_LOG + eventsRead * 16L;
        eventsRead++;
        iommu.writeRegister(AmdViRegisters.EVENT_HEAD, 8, (long)eventsRead << 4);
        return new long[] {memory.readEntry(address), memory.readEntry(address + 8)};
    }

}
