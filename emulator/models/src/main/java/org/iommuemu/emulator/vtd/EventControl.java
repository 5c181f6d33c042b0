package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;

/**
 * One of the unit's interrupt events (fault, invalidation completion, page request) through its control register's IM
 * and IP bits: an interrupt condition sends the interrupt, or leaves it pending (IP) while IM masks it; unmasking with
 * IP set sends it then; once software has cleared every condition of the event, a pending one is dropped (IP clears),
 * as the specification's control-register descriptions read. Counts the interrupts sent. Allocation-free.
 */
final class EventControl
{
    private final RegisterFile registers;
    private final Register control;
    private long interrupts;

    EventControl(final RegisterFile registers, final Register control)
    {
        this.registers = registers;
        this.control = control;
    }

    /** An interrupt condition: the interrupt goes out now, or stays pending (IP) while masked. */
    void raise()
    {
        final long value = registers.value(control);
        if ((value & VtdRegisters.CTL_IM) != 0)
        {
            registers.setValue(control, value | VtdRegisters.CTL_IP);
            return;
        }
        interrupts++;
        registers.setValue(control, value & ~VtdRegisters.CTL_IP);
    }

    /** The control register was written with {@code value}: unmasking with IP set sends the pending interrupt. */
    void controlWritten(final long value)
    {
        if ((value & (VtdRegisters.CTL_IM | VtdRegisters.CTL_IP)) == VtdRegisters.CTL_IP)
        {
            interrupts++;
            registers.setValue(control, value & ~VtdRegisters.CTL_IP);
        }
    }

    /** Software changed the event's status: with no condition left ({@code conditionsLeft} false), IP clears. */
    void serviced(final boolean conditionsLeft)
    {
        final long value = registers.value(control);
        if (!conditionsLeft && (value & VtdRegisters.CTL_IP) != 0)
        {
            registers.setValue(control, value & ~VtdRegisters.CTL_IP);
        }
    }

    /** Interrupts sent. */
    long interrupts()
    {
        return interrupts;
    }
}
