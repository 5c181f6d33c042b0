package org.iommuemu.emulator.amdvi;

import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.emulator.cache.CacheTag;
import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;
import org.iommuemu.emulator.platform.RequestOutcome;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.rmp.RmpPageFaultEvent;

/**
 * The event log as the IOMMU writes it: a ring of 16-byte entries in memory, the tail register moved past each
 * entry, EventLogInt in the status register and the event interrupt when Control.EventIntEn is set. When the log
 * is full, EventOverflow is set, the event interrupt signalled, and the log stops (EventLogRun clears): events are
 * dropped until software clears EventOverflow and writes EventLogEn from 0 to 1, as Linux's amd_iommu_restart_log
 * does ({@link LogRunState}); nothing is written while the log does not run.
 * <p>
 * Every event is written one way: into one staging record, by the flyweight of its layout ({@link AmdViEvent} for
 * the generic events, {@code rmp}'s {@link RmpPageFaultEvent} for RMP_PAGE_FAULT, which the RMP check fills
 * through {@link #rmpEvent()}), then appended. The fault writers also put the fault in the request's outcome.
 * Allocation-free.
 */
final class AmdViEventLog
{
    private final RegisterFile registers;
    private final Register control;
    private final Register status;
    private final Register tail;
    private final MemoryRing ring;
    private final UnsafeBuffer record = new UnsafeBuffer(new byte[AmdViEvent.LENGTH]);
    private final AmdViEvent event = new AmdViEvent().wrap(record, 0);
    private final RmpPageFaultEvent rmpEvent = new RmpPageFaultEvent().wrap(record, 0);
    private final long[] words = new long[2];
    private final LogRunState run = new LogRunState(AmdViRegisters.CONTROL_EVENT_LOG_EN);
    private final boolean silentTranslationRequests;
    private long interrupts;
    /** Runs after each event interrupt ({@link AmdViIommu} passes it to its interrupt listener). */
    private Runnable interruptHook = () ->
    {
    };

    AmdViEventLog(final RegisterFile registers, final Register control, final Register status, final Register tail,
        final MemoryRing ring, final AmdViOptions.AtsFaultEvents atsFaultEvents)
    {
        this.registers = registers;
        this.control = control;
        this.status = status;
        this.tail = tail;
        this.ring = ring;
        this.silentTranslationRequests = atsFaultEvents == AmdViOptions.AtsFaultEvents.SILENT;
    }

    /**
     * IO_PAGE_FAULT, unless {@code suppressed} (DTE.SE or SA) or, with {@link AmdViOptions.AtsFaultEvents#SILENT}, the
     * request is a translation request ({@code flags} has TR): with a PASID the event has GN and the PASID where the
     * DomainID would be.
     *
     * @param pasid the request's PASID as the event reports it, or {@link CacheTag#NO_PASID}.
     * @return false (the request is refused).
     */
    boolean ioPageFault(final RequestOutcome out, final int deviceId, final int domainId, final int pasid, final long address,
        final int flags, final WalkFault walkFault, final boolean suppressed)
    {
        boolean logged = false;
        if (!suppressed && !(silentTranslationRequests && (flags & AmdViEvent.FLAG_TR) != 0))
        {
            if (pasid == CacheTag.NO_PASID)
            {
                event.set(AmdViEvent.IO_PAGE_FAULT, deviceId, domainId, flags & ~AmdViEvent.FLAG_GN, address);
            }
            else
            {
                event.setGuest(AmdViEvent.IO_PAGE_FAULT, deviceId, pasid, flags, address);
            }
            logged = append();
        }
        out.fault(AmdViFault.IO_PAGE_FAULT, logged).walkFault(walkFault);
        return false;
    }

    /**
     * ILLEGAL_DEV_TABLE_ENTRY: the IO_PAGE_FAULT dword layout with RZ, and GN with the PASID, RW, I or TR as the
     * request had them (reference amd-vi-rmp.md 4.2); the address's bits 1:0 are not recorded.
     *
     * @return false (the request is refused).
     */
    boolean illegalDeviceTableEntry(final RequestOutcome out, final int deviceId, final int pasid, final long address,
        final int flags)
    {
        if (pasid == CacheTag.NO_PASID)
        {
            event.set(AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, deviceId, 0, flags | AmdViEvent.FLAG_RZ, address & ~0x3L);
        }
        else
        {
            event.setGuest(AmdViEvent.ILLEGAL_DEV_TABLE_ENTRY, deviceId, pasid, flags | AmdViEvent.FLAG_RZ, address & ~0x3L);
        }
        out.fault(AmdViFault.ILLEGAL_DEV_TABLE_ENTRY, append());
        return false;
    }

    /**
     * INVALID_DEVICE_REQUEST in the generic layout (DomainID 0).
     *
     * @return false (the request is refused).
     */
    boolean invalidDeviceRequest(final RequestOutcome out, final int deviceId, final long address, final int flags)
    {
        event.set(AmdViEvent.INVALID_DEVICE_REQUEST, deviceId, 0, flags, address);
        out.fault(AmdViFault.INVALID_DEVICE_REQUEST, append());
        return false;
    }

    /**
     * INVALID_PPR_REQUEST: the request's tag in dword1 bits 9:0, RW for a write request, the page address.
     *
     * @return whether it was logged.
     */
    boolean invalidPprRequest(final int deviceId, final int tag, final boolean write, final long address)
    {
        event.set(AmdViEvent.INVALID_PPR_REQUEST, deviceId, tag & 0x3FF, write ? AmdViEvent.FLAG_RW : 0, address);
        return append();
    }

    /** The staging record as an RMP_PAGE_FAULT, for the RMP check to fill before {@link #rmpPageFault}. */
    RmpPageFaultEvent rmpEvent()
    {
        return rmpEvent;
    }

    /**
     * RMP_PAGE_FAULT: append the record the RMP check wrote into {@link #rmpEvent()}.
     *
     * @return false (the request is refused).
     */
    boolean rmpPageFault(final RequestOutcome out)
    {
        out.fault(AmdViFault.RMP_PAGE_FAULT, append());
        return false;
    }

    /** ILLEGAL_COMMAND_ERROR with the command's address. */
    void illegalCommand(final long commandAddress)
    {
        event.set(AmdViEvent.ILLEGAL_COMMAND_ERROR, 0, 0, 0, commandAddress);
        append();
    }

    /**
     * Append the staging record.
     *
     * @return whether it was written (false when the log is disabled, unconfigured, full or overflowed).
     */
    private boolean append()
    {
        final long controlValue = registers.value(control);
        final long statusValue = registers.value(status);
        if (!run.running(controlValue, ring.entries()) || (statusValue & AmdViRegisters.STATUS_EVENT_OVERFLOW) != 0)
        {
            return false;
        }
        words[0] = record.getLong(AmdViEvent.QUADWORD0_OFFSET, AmdViEvent.BYTE_ORDER);
        words[1] = record.getLong(AmdViEvent.ADDRESS_OFFSET, AmdViEvent.BYTE_ORDER);
        if (!ring.produce(words, 0))
        {
            // The overflow is signalled as an event interrupt too (QEMU's amdvi_log_event and VirtualBox's model both
            // do): it is how the driver learns that it must restart the log (Linux's amd_iommu_int_thread).
            registers.setValue(status, (statusValue | AmdViRegisters.STATUS_EVENT_OVERFLOW) & ~AmdViRegisters.STATUS_EVENT_LOG_RUN);
            run.stop();
            signal(controlValue);
            return false;
        }
        registers.setValue(tail, (long)ring.tail() << 4);
        registers.setValue(status, registers.value(status) | AmdViRegisters.STATUS_EVENT_LOG_INT);
        signal(controlValue);
        return true;
    }

    /** The event interrupt, when Control.EventIntEn is set. */
    private void signal(final long controlValue)
    {
        if ((controlValue & AmdViRegisters.CONTROL_EVENT_INT_EN) != 0)
        {
            interrupts++;
            interruptHook.run();
        }
    }

    /** Control was written (from {@code oldControl}): the log's enable edge; returns whether the log now runs. */
    boolean controlWritten(final long oldControl, final long newControl)
    {
        run.controlWritten(oldControl, newControl);
        return run.running(newControl, ring.entries());
    }

    void interruptHook(final Runnable hook)
    {
        interruptHook = hook;
    }

    /** Event interrupts raised. */
    long interrupts()
    {
        return interrupts;
    }
}
