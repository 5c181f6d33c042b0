package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.fixtures.OffsetMemory;
import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.iommuemu.rmp.DmaRmpCheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    static final int USER_RW = Permissions.READ | Permissions.WRITE | Permissions.USER;
    /** Nested: guest-physical pool for the guest's tables, and where the host table puts it. */
    static final long GUEST_POOL_GPA = 0x0100_0000L;
    static final long GUEST_POOL_SPA = 0x5_0000_0000L;
    static final long GUEST_POOL_SIZE = 4L << 20;
    static final long DATA_GPA = 0x1000_0000L;
    static final long DATA_SPA = 0x9_0000_0000L;

    long gcr3;

    /** Guest-only translation (Mode 0): a GCR3 table with {@code gcr3Levels} levels, guest tables in SPA space. */
    PageTable guestOnly(final int pasid, final int gcr3Levels, final int guestLevels, final boolean giov)
    {
        driver.enableGuestTranslation();
        gcr3 = driver.newGcr3Table();
        driver.attachGuest(DEVICE, null, DOMAIN, gcr3, gcr3Levels, guestLevels, giov);
        final PageTable guest = driver.newGuestDomain(guestLevels);
        driver.setGuestCr3(gcr3, gcr3Levels, DOMAIN, pasid, guest.root());
        return guest;
    }

    /** Nested translation: the host table maps the guest's table pool and its 2 MiB of data; returns the guest table. */
    PageTable nested(final int pasid, final int guestLevels)
    {
        driver.enableGuestTranslation();
        assertEquals(MapStatus.OK, domain.map(GUEST_POOL_GPA, GUEST_POOL_SPA, GUEST_POOL_SIZE, Permissions.READ_WRITE,
            PageSizePolicy.FORCED_4K));
        assertEquals(MapStatus.OK, domain.map(DATA_GPA, DATA_SPA, 2L << 20, Permissions.READ_WRITE, PageSizePolicy.LARGEST));
        final OffsetMemory guestMemory = new OffsetMemory(memory, GUEST_POOL_SPA - GUEST_POOL_GPA);
        final PageTable guest = new PageTable(new X86Format(guestLevels),
            new FrameAllocator(guestMemory, GUEST_POOL_GPA, GUEST_POOL_SIZE));
        gcr3 = driver.newGcr3Table();
        driver.attachGuest(DEVICE, domain, DOMAIN, gcr3, 1, guestLevels, false);
        driver.setGuestCr3(gcr3, 1, DOMAIN, pasid, guest.root());
        return guest;
    }

    final SparseMemory memory = new SparseMemory();
    final RequestOutcome out = new RequestOutcome();
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
