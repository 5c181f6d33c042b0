package org.iommuemu.emulator.amdvi;

import org.iommuemu.emulator.device.MemoryRing;
import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;

/**
 * The PPR log as the IOMMU writes it: a ring of 16-byte {@link PprLogEntry}s in memory, the PPR tail register moved
 * past each entry, PprInt in the status register and the PPR interrupt when Control.PprIntEn is set. When the log is
 * full, PprOverflow is set, the PPR interrupt signalled, and the log stops (PprLogRun clears) until software clears
 * PprOverflow and writes PPRLogEn from 0 to 1, as the event log does ({@link LogRunState}); nothing is written while
 * the log does not run. Allocation-free.
 */
final class AmdViPprLog
{
    private final RegisterFile registers;
    private final Register control;
    private final Register status;
    private final Register tail;
    private final MemoryRing ring;
    private final long[] words = new long[2];
    private final LogRunState run = new LogRunState(AmdViRegisters.CONTROL_PPR_LOG_EN);
    private long interrupts;
    private long logged;
    private long dropped;

    AmdViPprLog(final RegisterFile registers, final Register control, final Register status, final Register tail,
        final MemoryRing ring)
    {
        this.registers = registers;
        this.control = control;
        this.status = status;
        this.tail = tail;
        this.ring = ring;
    }

    MemoryRing ring()
    {
        return ring;
    }

    /**
     * Append one page fault request.
     *
     * @return whether it was written (false when the log is disabled, unconfigured, full or overflowed).
     */
    boolean append(final int deviceId, final int pasid, final int tag, final int flags, final long address)
    {
        final long controlValue = registers.value(control);
        final long statusValue = registers.value(status);
        if (!run.running(controlValue, ring.entries()) || (statusValue & AmdViRegisters.STATUS_PPR_OVERFLOW) != 0)
        {
            dropped++;
            return false;
        }
        words[0] = PprLogEntry.quadword0(deviceId, pasid, tag, flags);
        words[1] = address & ~0xFFFL;
        if (!ring.produce(words, 0))
        {
            // Signalled as the event log's overflow is (Linux's interrupt thread restarts the PPR log on it); no
            // implementation with a PPR log was at hand to compare (amdvi.md).
            registers.setValue(status, (statusValue | AmdViRegisters.STATUS_PPR_OVERFLOW) & ~AmdViRegisters.STATUS_PPR_LOG_RUN);
            run.stop();
            if ((controlValue & AmdViRegisters.CONTROL_PPR_INT_EN) != 0)
            {
                interrupts++;
            }
            dropped++;
            return false;
        }
        registers.setValue(tail, (long)ring.tail() << 4);
        registers.setValue(status, registers.value(status) | AmdViRegisters.STATUS_PPR_INT);
        if ((controlValue & AmdViRegisters.CONTROL_PPR_INT_EN) != 0)
        {
            interrupts++;
        }
        logged++;
        return true;
    }

    /** Control was written (from {@code oldControl}): the log's enable edge; returns whether the log now runs. */
    boolean controlWritten(final long oldControl, final long newControl)
    {
        run.controlWritten(oldControl, newControl);
        return run.running(newControl, ring.entries());
    }

    long interrupts()
    {
        return interrupts;
    }

    long logged()
    {
        return logged;
    }

    long dropped()
    {
        return dropped;
    }
}
