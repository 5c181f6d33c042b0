package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.platform.IommuPort;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.format.AmdV1Format;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A driver for the AMD-Vi model that does what Linux's amd_iommu driver does, through the registers and the
 * in-memory structures only: place the device table, command buffer and event log (iommu_set_device_table,
 * iommu_enable_command_buffer, iommu_enable_event_buffer), enable the IOMMU, write device table entries
 * (set_dte_entry) followed by INVALIDATE_DEVTAB_ENTRY, queue invalidations with a COMPLETION_WAIT behind them
 * (iommu_queue_command, iommu_completion_wait), and read the event log as the event interrupt handler does.
 * Scenarios, the demo and the tests all bring the model up through this one class.
 * <p>
 * Page tables for domains come from one {@link FrameAllocator} over a pool of physical memory chosen by the
 * {@link Layout}; they are ordinary {@link PageTable}s of {@link AmdV1Format} that the caller maps with any
 * page-size policy.
 * <p>
 * Guest (v2) translation follows Linux's v2 and nested paths: {@link #enableGuestTranslation()} sets
 * Control.GTEn, {@link #newGcr3Table()} allocates a GCR3 table root, {@link #attachGuest} writes a DTE with GV,
 * GLX, the GCR3 root and GPM (set_dte_gcr3_table), {@link #setGuestCr3} installs a PASID's guest CR3 in the
 * GCR3 table (update_gcr3) and flushes the PASID, {@link #newGuestDomain} builds an x86-64 guest table.
 */
public final class AmdViDriver
{
    /** Where the driver puts its structures in physical memory. */
    public record Layout(long deviceTable, long commandBuffer, long eventLog, long semaphore, long tablePool,
        long tablePoolSize, int commandLengthLg2, int eventLogLengthLg2)
    {
        /** A layout below 64 MiB for the structures and a 1 GiB table pool at 16 GiB. */
        public static final Layout DEFAULT = new Layout(0x100_0000L, 0x120_0000L, 0x121_0000L, 0x122_0000L,
            0x4_0000_0000L, 1L << 30, 9, 9);

        public Layout
        {
            if (commandLengthLg2 < 8 || commandLengthLg2 > 15 || eventLogLengthLg2 < 8 || eventLogLengthLg2 > 15)
            {
                throw new IllegalArgumentException("ring lengths must be 2^8..2^15 entries: command 2^" + commandLengthLg2 +
                    ", event log 2^" + eventLogLengthLg2);
            }
        }

        /** The same layout with another event log length (2^8..2^15 entries). */
        public Layout withEventLogLengthLg2(final int lengthLg2)
        {
            return new Layout(deviceTable, commandBuffer, eventLog, semaphore, tablePool, tablePoolSize, commandLengthLg2, lengthLg2);
        }
    }

    /** The control bits the driver sets: IOMMU, event log and its interrupt, command buffer, completion-wait interrupt. */
    public static final long CONTROL_ON = AmdViRegisters.CONTROL_IOMMU_EN | AmdViRegisters.CONTROL_EVENT_LOG_EN |
        AmdViRegisters.CONTROL_EVENT_INT_EN | AmdViRegisters.CONTROL_CMD_BUF_EN | AmdViRegisters.CONTROL_COM_WAIT_INT_EN;

    private final IommuPort iommu;
    private final PhysicalMemory memory;
    private final Layout layout;
    private final FrameAllocator tableFrames;
    private final long[] command = new long[2];
    private int commandTail;
    private int eventsRead;
    private long pprLogBase = -1;
    private int pprLogLengthLg2 = 9;
    private int pprRead;
    private long completionWaits;

    /**
     * @param iommu the IOMMU's register block: an {@link AmdViIommu}, or any port that reaches one (co-simulation's
     *              client drives a remote model through its MMIO channel), as {@link org.iommuemu.emulator.vtd.VtdDriver}
     *              takes its unit.
     */
    public AmdViDriver(final IommuPort iommu, final PhysicalMemory memory, final Layout layout)
    {
        this.iommu = iommu;
        this.memory = memory;
        this.layout = layout;
        this.tableFrames = new FrameAllocator(memory, layout.tablePool(), layout.tablePoolSize());
    }

    /** Program the base registers and turn the IOMMU on with {@link #CONTROL_ON}; a 2 MiB table for all 65536 DeviceIDs. */
    public AmdViDriver bringUp()
    {
        iommu.writeRegister(AmdViRegisters.DEVICE_TABLE_BASE, 8, layout.deviceTable() | 0x1FF);
        iommu.writeRegister(AmdViRegisters.COMMAND_BUFFER_BASE, 8,
            layout.commandBuffer() | ((long)layout.commandLengthLg2() << AmdViRegisters.LENGTH_SHIFT));
        iommu.writeRegister(AmdViRegisters.EVENT_LOG_BASE, 8,
            layout.eventLog() | ((long)layout.eventLogLengthLg2() << AmdViRegisters.LENGTH_SHIFT));
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, CONTROL_ON);
        commandTail = 0;
        eventsRead = 0;
        return this;
    }

    public IommuPort iommu()
    {
        return iommu;
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    public Layout layout()
    {
        return layout;
    }

    /** The allocator every domain's table pages come from (for table-memory accounting). */
    public FrameAllocator tableFrames()
    {
        return tableFrames;
    }

    /** A new, empty v1 page table with {@code mode} levels (1-6), its pages from the driver's pool. */
    public PageTable newDomain(final int mode)
    {
        return new PageTable(new AmdV1Format(mode), tableFrames);
    }

    /**
     * Attach {@code deviceId} to {@code domain} (a v1 table) as set_dte_entry does, then INVALIDATE_DEVTAB_ENTRY
     * and wait for it.
     */
    public void attach(final int deviceId, final PageTable domain, final int domainId, final boolean read, final boolean write)
    {
        attach(deviceId, domain, domainId, read, write, DeviceTableEntry.HAD_NONE);
    }

    /**
     * {@link #attach(int, PageTable, int, boolean, boolean)} to a domain with dirty tracking on: the DTE written with HAD
     * = {@code had} in the same write, as set_dte_entry does for a domain whose dirty_tracking is set.
     */
    public void attach(final int deviceId, final PageTable domain, final int domainId, final boolean read, final boolean write,
        final int had)
    {
        final int mode = ((AmdV1Format)domain.format()).mode();
        DeviceTableEntry.writeHost(memory, layout.deviceTable(), deviceId, domain.root(), mode, domainId, read, write, had);
        invalidateDeviceTableEntry(deviceId);
    }

    /**
     * Attach {@code deviceId} to an identity domain as set_dte_passthrough does: V, TV, Mode 0 (no host table: the DMA
     * address is the SPA), IR and IW, the DomainID; then INVALIDATE_DEVTAB_ENTRY and wait for it. Linux gives an
     * identity domain IR and IW both; with SNP it refuses identity domains (SNP forbids Mode 0).
     */
    public void attachIdentity(final int deviceId, final int domainId, final boolean read, final boolean write)
    {
        DeviceTableEntry.writeHost(memory, layout.deviceTable(), deviceId, 0, 0, domainId, read, write);
        invalidateDeviceTableEntry(deviceId);
    }

    /** Set Control.GTEn (guest translation), keeping the other control bits, as iommu_enable_gt does. */
    public void enableGuestTranslation()
    {
        iommu.writeRegister(AmdViRegisters.CONTROL, 8,
            iommu.readRegister(AmdViRegisters.CONTROL, 8) | AmdViRegisters.CONTROL_GT_EN);
    }

    /** A new, empty x86-64 guest table with 4 or 5 levels whose addresses are SPAs, from the driver's pool. */
    public PageTable newGuestDomain(final int levels)
    {
        return new PageTable(new X86Format(levels), tableFrames);
    }

    /** A zeroed 4 KiB GCR3 table page (the root, or a lower level) from the driver's pool. */
    public long newGcr3Table()
    {
        final long frame = tableFrames.allocate();
        if (frame == FrameAllocator.NO_FRAME)
        {
            throw new IllegalStateException("the table pool is exhausted");
        }
        return frame;
    }

    /**
     * Attach {@code deviceId} for guest translation as set_dte_entry with a GCR3 table does: GV, GLX
     * ({@code gcr3Levels} - 1), the GCR3 root, GPM ({@code guestLevels} 4 or 5), GIOV when requests without a
     * PASID use PASID 0; with {@code hostDomain} non-null also the host (v1) table for nested translation, else
     * Mode 0 (GPA = SPA). Then INVALIDATE_DEVTAB_ENTRY and a completion wait.
     */
    public void attachGuest(final int deviceId, final PageTable hostDomain, final int domainId, final long gcr3Root,
        final int gcr3Levels, final int guestLevels, final boolean giov)
    {
        final long[] q = new long[2];
        final int mode = hostDomain == null ? 0 : ((AmdV1Format)hostDomain.format()).mode();
        DeviceTableEntry.guestQuadwords(q, hostDomain == null ? 0 : hostDomain.root(), mode, domainId, gcr3Root, gcr3Levels - 1,
            giov, true, true);
        writeDeviceTableEntry(deviceId, q[0], q[1], DeviceTableEntry.guestPagingQuadword2(guestLevels), 0);
    }

    /**
     * Install {@code guestCr3} (the root of a PASID's guest table; a GPA with nested translation) for
     * {@code pasid} in the GCR3 table at {@code gcr3Root} with {@code gcr3Levels} levels, allocating lower GCR3
     * levels as update_gcr3 does; then INVALIDATE_IOMMU_PAGES for the PASID over the whole space (which also
     * drops its cached GCR3 entry) and a completion wait. A {@code guestCr3} of -1 clears the PASID's entry.
     */
    public void setGuestCr3(final long gcr3Root, final int gcr3Levels, final int domainId, final int pasid, final long guestCr3)
    {
        if (!GuestCr3TableEntry.reaches(pasid, gcr3Levels))
        {
            throw new IllegalArgumentException("PASID 0x" + Integer.toHexString(pasid) + " needs more than " + gcr3Levels +
                " GCR3 levels");
        }
        long table = gcr3Root;
        for (int level = gcr3Levels - 1; level > 0; level--)
        {
            final long entryAddress = table + GuestCr3TableEntry.offset(pasid, level);
            long entry = memory.readEntry(entryAddress);
            if (!GuestCr3TableEntry.valid(entry))
            {
                entry = GuestCr3TableEntry.make(newGcr3Table());
                memory.writeEntry(entryAddress, entry);
            }
            table = GuestCr3TableEntry.address(entry);
        }
        memory.writeEntry(table + GuestCr3TableEntry.offset(pasid, 0), guestCr3 == -1 ? 0 : GuestCr3TableEntry.make(guestCr3));
        invalidatePasidPages(domainId, pasid, 0, 1L << 63);
    }

    /** INVALIDATE_IOMMU_PAGES for {@code [address, address + size)} of one PASID (GN = 1), then a completion wait. */
    public void invalidatePasidPages(final int domainId, final int pasid, final long address, final long size)
    {
        AmdViCommand.invalidatePasidPages(command, domainId, pasid, address, size);
        queue(command);
        completionWait();
    }

    /**
     * INVALIDATE_IOTLB_PAGES for {@code [address, address + size)} in the ATS cache of {@code deviceId}, for
     * {@code pasid} or {@link CacheTag#NO_PASID}, then a completion wait (device_flush_iotlb).
     */
    public void invalidateIotlbPages(final int deviceId, final int pasid, final long address, final long size)
    {
        AmdViCommand.invalidateIotlbPages(command, deviceId, pasid, 32, address, size);
        queue(command);
        completionWait();
    }

    /** INVALIDATE_INTERRUPT_TABLE for a device, then a completion wait. */
    public void invalidateInterruptTable(final int deviceId)
    {
        AmdViCommand.invalidateInterruptTable(command, deviceId);
        queue(command);
        completionWait();
    }

    /**
     * Program the exclusion range {@code [base, last]} (4 KiB granular, {@code last} inclusive) and enable it;
     * {@code allowAll} applies it to every device, otherwise to devices whose DTE sets EX.
     */
    public void setExclusionRange(final long base, final long last, final boolean allowAll)
    {
        iommu.writeRegister(AmdViRegisters.EXCLUSION_LIMIT, 8, last & AmdViRegisters.BASE_ADDRESS);
        iommu.writeRegister(AmdViRegisters.EXCLUSION_BASE, 8, (base & AmdViRegisters.BASE_ADDRESS) |
            AmdViRegisters.EXCLUSION_ENABLE | (allowAll ? AmdViRegisters.EXCLUSION_ALLOW_ALL : 0));
    }

    /** Write a DTE whose quadwords the caller built (tests of odd entries), then INVALIDATE_DEVTAB_ENTRY. */
    public void writeDeviceTableEntry(final int deviceId, final long q0, final long q1, final long q2, final long q3)
    {
        final long address = DeviceTableEntry.address(layout.deviceTable(), deviceId);
        memory.writeEntry(address, q0);
        memory.writeEntry(address + 8, q1);
        memory.writeEntry(address + 16, q2);
        memory.writeEntry(address + 24, q3);
        invalidateDeviceTableEntry(deviceId);
    }

    /** Set or clear the DTE's EX bit (the exclusion range applies to the device), then INVALIDATE_DEVTAB_ENTRY. */
    public void allowExclusion(final int deviceId, final boolean allowed)
    {
        DeviceTableEntry.allowExclusion(memory, layout.deviceTable(), deviceId, allowed);
        invalidateDeviceTableEntry(deviceId);
    }

    /** Set or clear the DTE's I bit (ATS allowed), then INVALIDATE_DEVTAB_ENTRY. */
    public void allowAts(final int deviceId, final boolean allowed)
    {
        DeviceTableEntry.allowAts(memory, layout.deviceTable(), deviceId, allowed);
        invalidateDeviceTableEntry(deviceId);
    }

    /**
     * Turn host access/dirty tracking of a device's host table on or off as amd_iommu_set_dirty_tracking does: rewrite
     * DTE.HAD ({@link DeviceTableEntry#HAD_ACCESSED_DIRTY} or {@link DeviceTableEntry#HAD_NONE}), INVALIDATE_DEVTAB_ENTRY,
     * then INVALIDATE_IOMMU_PAGES over the whole domain (so cached translations are walked, and marked, again), each
     * with its completion wait.
     */
    public void setDirtyTracking(final int deviceId, final int domainId, final boolean enable)
    {
        setHostAccessDirty(deviceId, domainId, enable ? DeviceTableEntry.HAD_ACCESSED_DIRTY : DeviceTableEntry.HAD_NONE);
    }

    /** {@link #setDirtyTracking} with any HAD value (01b: access tracking only, which Linux does not use). */
    public void setHostAccessDirty(final int deviceId, final int domainId, final int had)
    {
        final long address = DeviceTableEntry.address(layout.deviceTable(), deviceId);
        memory.writeEntry(address, DeviceTableEntry.withHostAccessDirty(memory.readEntry(address), had));
        invalidateDeviceTableEntry(deviceId);
        invalidatePages(domainId, 0, 1L << 63);
    }

    /**
     * Place the PPR log at {@code base} with 2^{@code lengthLg2} entries and turn page requests on as
     * iommu_enable_ppr_log does: PPR log base, then Control.PPRLogEn, PprIntEn and PPREn.
     */
    public void enablePageRequests(final long base, final int lengthLg2)
    {
        pprLogBase = base;
        pprLogLengthLg2 = lengthLg2;
        pprRead = 0;
        iommu.writeRegister(AmdViRegisters.PPR_LOG_BASE, 8, base | ((long)lengthLg2 << AmdViRegisters.LENGTH_SHIFT));
        iommu.writeRegister(AmdViRegisters.CONTROL, 8, iommu.readRegister(AmdViRegisters.CONTROL, 8) |
            AmdViRegisters.CONTROL_PPR_LOG_EN | AmdViRegisters.CONTROL_PPR_INT_EN | AmdViRegisters.CONTROL_PPR_EN);
    }

    /** Set or clear the DTE's PPR bit (the device may send page requests), then INVALIDATE_DEVTAB_ENTRY. */
    public void allowPageRequests(final int deviceId, final boolean allowed)
    {
        final long address = DeviceTableEntry.address(layout.deviceTable(), deviceId);
        final long q0 = memory.readEntry(address);
        memory.writeEntry(address, allowed ? q0 | DeviceTableEntry.PPR : q0 & ~DeviceTableEntry.PPR);
        invalidateDeviceTableEntry(deviceId);
    }

    /**
     * Read the next unread PPR log entry into {@code dst[0..1]} and move the PPR head register past it, as the PPR
     * interrupt handler does.
     *
     * @return false when the log holds no unread entry.
     */
    public boolean nextPageRequest(final long[] dst)
    {
        final int entries = 1 << pprLogLengthLg2;
        final int tail = (int)(iommu.readRegister(AmdViRegisters.PPR_TAIL, 8) >>> 4);
        if (pprLogBase < 0 || tail == pprRead)
        {
            return false;
        }
        final long address = pprLogBase + pprRead * 16L;
        dst[0] = memory.readEntry(address);
        dst[1] = memory.readEntry(address + 8);
        pprRead = (pprRead + 1) & (entries - 1);
        iommu.writeRegister(AmdViRegisters.PPR_HEAD, 8, (long)pprRead << 4);
        return true;
    }

    /** COMPLETE_PPR_REQUEST (amd_iommu_complete_ppr), then a completion wait. */
    public void completePageRequest(final int deviceId, final int pasid, final int tag, final int status)
    {
        AmdViCommand.completePprRequest(command, deviceId, pasid, tag, status);
        queue(command);
        completionWait();
    }

    /** Detach: clear the DTE (V = 0) and invalidate it. */
    public void detach(final int deviceId)
    {
        writeDeviceTableEntry(deviceId, 0, 0, 0, 0);
    }

    public void invalidateDeviceTableEntry(final int deviceId)
    {
        command[0] = AmdViCommand.opcode(AmdViCommand.INVALIDATE_DEVTAB_ENTRY) | (deviceId & 0xFFFF);
        command[1] = 0;
        queue(command);
        completionWait();
    }

    /** INVALIDATE_IOMMU_PAGES for {@code [address, address + size)} of a domain, then a completion wait. */
    public void invalidatePages(final int domainId, final long address, final long size)
    {
        AmdViCommand.invalidatePages(command, domainId, address, size);
        queue(command);
        completionWait();
    }

    /** INVALIDATE_IOMMU_ALL, then a completion wait. */
    public void invalidateAll()
    {
        AmdViCommand.invalidateAll(command);
        queue(command);
        completionWait();
    }

    /**
     * COMPLETION_WAIT with a store to the semaphore and an interrupt, as iommu_completion_wait does.
     *
     * @return true when the store arrived (the command buffer ran up to it).
     */
    public boolean completionWait()
    {
        final long token = ++completionWaits;
        AmdViCommand.completionWait(command, layout.semaphore(), token, true);
        queue(command);
        return memory.readEntry(layout.semaphore()) == token;
    }

    /** Queue one command as iommu_queue_command does: write it at the tail, then move the tail register. */
    public void queue(final long[] words)
    {
        final int entries = 1 << layout.commandLengthLg2();
        final long address = layout.commandBuffer() + commandTail * 16L;
        memory.writeEntry(address, words[0]);
        memory.writeEntry(address + 8, words[1]);
        commandTail = (commandTail + 1) & (entries - 1);
        iommu.writeRegister(AmdViRegisters.COMMAND_TAIL, 8, (long)commandTail << 4);
    }

    /** Number of events logged that software has not read yet. */
    public int pendingEvents()
    {
        final int entries = 1 << layout.eventLogLengthLg2();
        final int tail = (int)(iommu.readRegister(AmdViRegisters.EVENT_TAIL, 8) >>> 4);
        return (tail - eventsRead + entries) & (entries - 1);
    }

    /**
     * Read the next unread event into {@code dst[0..1]} (quadword 0 and 1) and move the head register past it.
     *
     * @return false when the log holds no unread event.
     */
    public boolean nextEvent(final long[] dst)
    {
        if (pendingEvents() == 0)
        {
            return false;
        }
        final long address = layout.eventLog() + eventsRead * 16L;
        dst[0] = memory.readEntry(address);
        dst[1] = memory.readEntry(address + 8);
        eventsRead = (eventsRead + 1) & ((1 << layout.eventLogLengthLg2()) - 1);
        iommu.writeRegister(AmdViRegisters.EVENT_HEAD, 8, (long)eventsRead << 4);
        return true;
    }
}
