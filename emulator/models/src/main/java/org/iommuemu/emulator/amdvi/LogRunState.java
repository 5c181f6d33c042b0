package org.iommuemu.emulator.amdvi;

/**
 * Whether one of the IOMMU's logs (the event log, the PPR log) runs: its Control enable bit was written from 0 to 1,
 * the IOMMU is enabled and the log has a buffer; the log stops on overflow and starts again only when the enable bit
 * is written from 0 to 1. The AMD IOMMU specification's EventOverflow description says no entries are written while
 * the overflow bit is set and that software resumes logging by clearing it and writing 1 to EventLogEn; AMD's Linux
 * change that generalised the restart ("Generalize log overflow handling") says the IOMMU stops processing a full log,
 * and the one that added it ("Recover from event log overflow") found that the hardware wants a 0 written to the
 * enable bit before the 1. Status's *Run bit reads {@link #running}. Allocation-free.
 */
final class LogRunState
{
    private final long enableBit;
    private boolean armed;

    LogRunState(final long enableBit)
    {
        this.enableBit = enableBit;
    }

    /** Control was written: the enable bit's 0 -> 1 edge arms the log, clearing it stops it. */
    void controlWritten(final long oldControl, final long newControl)
    {
        if ((newControl & enableBit) == 0)
        {
            armed = false;
        }
        else if ((oldControl & enableBit) == 0)
        {
            armed = true;
        }
    }

    /** Whether the log runs under {@code control} with a buffer of {@code entries} entries. */
    boolean running(final long control, final int entries)
    {
        return armed && (control & AmdViRegisters.CONTROL_IOMMU_EN) != 0 && entries != 0;
    }

    /** The log overflowed: it stops until the enable bit is written from 0 to 1 again. */
    void stop()
    {
        armed = false;
    }
}
