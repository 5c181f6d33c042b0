package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;

/**
 * The event log as the IOMMU writes it: a ring of 16-byte {@link AmdViEvent} entries in memory, the tail register
 * moved past each entry, EventLogInt in the status register and the event interrupt when Control.EventIntEn is
 * set. When the log is full, EventOverflow is set and events are dropped until software clears it (as QEMU
 * does); nothing is written while Control.EventLogEn is clear. Allocation-free.
 */
final class AmdViEventLog
{
    private final RegisterFile registers;
    private final Register control;
    private final Register status;
    private final Register tail;
    private final MemoryRing ring;
    private long interrupts;

    AmdViEventLog(final RegisterFile registers, final Register control, final Register status, final Register tail,
        final MemoryRing ring)
    {
        this.registers = registers;
        this.control = control;
        this.status = status;
        this.tail = tail;
        this.ring = ring;
    }

    /**
     * Append the event in {@code words[0..1]}.
     *
     * @return whether it was written (false when the log is disabled, unconfigured, full or overflowed).
     */
    boolean log(final long[] words)
    {
        final long controlValue = registers.value(control);
        final long statusValue = registers.value(status);
        if ((controlValue & AmdViRegisters.CONTROL_EVENT_LOG_EN) == 0 || ring.entries() == 0 ||
            (statusValue & AmdViRegisters.STATUS_EVENT_OVERFLOW) != 0)
        {
            return false;
        }
        if (!ring.produce(words, 0))
        {
            registers.setValue(status, statusValue | AmdViRegisters.STATUS_EVENT_OVERFLOW);
            return false;
        }
        registers.setValue(tail, (long)ring.tail() << 4);
        registers.setValue(status, registers.value(status) | AmdViRegisters.STATUS_EVENT_LOG_INT);
        if ((controlValue & AmdViRegisters.CONTROL_EVENT_INT_EN) != 0)
        {
            interrupts++;
        }
        return true;
    }

    /** Event interrupts raised. */
    long interrupts()
    {
        return interrupts;
    }
}
