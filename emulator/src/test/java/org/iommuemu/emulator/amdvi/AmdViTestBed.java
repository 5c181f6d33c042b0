package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;

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
    static final long CONTROL_ON = AmdViDriver.CONTROL_ON;

    final SparseMemory memory = new SparseMemory();
    final AmdViOutcome out = new AmdViOutcome();
    final long[] command = new long[2];
    AmdViIommu iommu;
    AmdViDriver driver;
    PageTable domain;

    void bringUp(final DmaRmpCheck rmpCheck, final int eventLogLengthLg2)
    {
        bringUp(rmpCheck, eventLogLengthLg2, AmdViOptions.DEFAULT);
    }

    void bringUp(final DmaRmpCheck rmpCheck, final int eventLogLengthLg2, final AmdViOptions options)
    {
        iommu = new AmdViIommu(memory, rmpCheck == null ? 0 : AmdViRegisters.EFR_SNP_SUP, rmpCheck, AmdViIommu.defaultIotlb(),
            options);
        driver = new AmdViDriver(iommu, memory, new AmdViDriver.Layout(DEVICE_TABLE, COMMAND_BUFFER, EVENT_LOG, SEMAPHORE,
            TABLE_POOL, 64L << 20, 9, eventLogLengthLg2)).bringUp();
        domain = driver.newDomain(3);
    }

    /** Write the DTE directly, without the driver's INVALIDATE_DEVTAB_ENTRY (tests count the commands they queue). */
    void attach(final int device, final boolean read, final boolean write, final int mode)
    {
        DeviceTableEntry.writeHost(memory, DEVICE_TABLE, device, domain.root(), mode, DOMAIN, read, write);
    }

    /** Queue a command as iommu_queue_command does: write it at the tail, then move the tail register. */
    void queue(final long[] words)
    {
        driver.queue(words);
    }

    /** The next event software has not read yet: {quadword 0, quadword 1}. */
    long[] nextEvent()
    {
        final long[] event = new long[2];
        assertTrue(driver.nextEvent(event), "an event was logged");
        return event;
    }
}
