package org.iommuemu.emulator.vtd;

import org.iommuemu.emulator.device.Register;
import org.iommuemu.emulator.device.RegisterFile;

/**
 * Primary fault logging into the fault recording registers, and the fault event interrupt
 * (shared/reference/vtd-tdx.md 3.1-3.2, the algorithm of QEMU {@code vtd_report_frcd_fault} and
 * {@code vtd_generate_fault_event}):
 * <ol>
 * <li>With FSTS.PFO set, the fault is dropped.</li>
 * <li>With {@link VtdConfig#compressFaults}, a fault whose source ID already has a pending record is dropped.</li>
 * <li>If the next record (a hardware pointer that wraps modulo NFR + 1) still has F set, PFO is set and the
 * fault dropped.</li>
 * <li>Otherwise the record is written with F set. If PPF was clear, FRI points at it, PPF sets and a fault event
 * is raised.</li>
 * </ol>
 * A fault event is raised only when none of PPF, PFO and IQE was set before; it sets FECTL.IP, and with IM clear
 * sends the interrupt (counted here) and clears IP. Clearing IM with IP set sends the pending interrupt. PPF is
 * the OR of every record's F bit and is recomputed when software clears one.
 */
final class FaultRecorder
{
    private final RegisterFile registers;
    /** The FSTS conditions a fault event reports. */
    private static final long EVENT_CONDITIONS = VtdRegisters.FSTS_PPF | VtdRegisters.FSTS_PFO | VtdRegisters.FSTS_IQE |
        VtdRegisters.FSTS_ICE | VtdRegisters.FSTS_ITE | VtdRegisters.FSTS_PRO;
    private final VtdConfig config;
    private final Register fsts;
    private final Register[] low;
    private final Register[] high;
    private int next;
    private long recorded;
    private long dropped;
    /** The fault event (FECTL). */
    private final EventControl faultEvent;

    FaultRecorder(final RegisterFile registers, final VtdConfig config, final Register fsts, final Register fectl,
        final int offset, final int count)
    {
        this.registers = registers;
        this.config = config;
        this.fsts = fsts;
        this.faultEvent = new EventControl(registers, fectl);
        this.low = new Register[count];
        this.high = new Register[count];
        for (int i = 0; i < count; i++)
        {
            final int at = offset + i * VtdRegisters.FRCD_SIZE;
            low[i] = registers.define("FRCD" + i + "_LO", at, 8, 0, -1L, 0);
            high[i] = registers.define("FRCD" + i + "_HI", at + 8, 8, 0, ~FaultRecord.F, FaultRecord.F,
                (register, oldValue, newValue) -> recomputePendingFault());
        }
    }

    /**
     * Record a fault.
     *
     * @param pasid the request's PASID, or negative.
     * @return whether a record was written.
     */
    boolean record(final VtdFaultReason reason, final int sourceId, final long address, final boolean read, final int pasid,
        final boolean execute, final boolean privileged)
    {
        final long status = registers.value(fsts);
        if ((status & VtdRegisters.FSTS_PFO) != 0 || (config.compressFaults && pendingFrom(sourceId)))
        {
            dropped++;
            return false;
        }
        if (FaultRecord.fault(registers.value(high[next])))
        {
            registers.setValue(fsts, status | VtdRegisters.FSTS_PFO);
            dropped++;
            event(status);
            return false;
        }
        final boolean exePriv = config.recordExecutePrivilege;
        registers.setValue(low[next], FaultRecord.low(address));
        registers.setValue(high[next], FaultRecord.high(sourceId, reason.faultCode(), read, pasid, exePriv && execute,
            exePriv && privileged));
        if ((status & VtdRegisters.FSTS_PPF) == 0)
        {
            registers.setValue(fsts, (status & ~VtdRegisters.FSTS_FRI) | VtdRegisters.FSTS_PPF |
                ((long)next << VtdRegisters.FSTS_FRI_SHIFT));
            event(status);
        }
        next = next + 1 == low.length ? 0 : next + 1;
        recorded++;
        return true;
    }

    /** Raise a fault event unless one is already outstanding ({@code statusBefore} had PPF, PFO or IQE). */
    void event(final long statusBefore)
    {
        if ((statusBefore & (VtdRegisters.FSTS_PPF | VtdRegisters.FSTS_PFO | VtdRegisters.FSTS_IQE)) != 0)
        {
            return;
        }
        faultEvent.raise();
    }

    /** FECTL was written: unmasking with IP set sends the pending interrupt. */
    void controlWritten(final long value)
    {
        faultEvent.controlWritten(value);
    }

    private void recomputePendingFault()
    {
        boolean pending = false;
        for (final Register register : high)
        {
            pending |= FaultRecord.fault(registers.value(register));
        }
        final long status = registers.value(fsts);
        registers.setValue(fsts, pending ? status | VtdRegisters.FSTS_PPF : status & ~VtdRegisters.FSTS_PPF);
        statusServiced();
    }

    /**
     * Software cleared fault status (a record's F, or FSTS bits): once no condition of the fault event is left (PPF,
     * PFO, IQE, ICE, ITE, PRO), a masked event is no longer pending, so FECTL.IP clears and a later unmask sends
     * nothing (the specification's FECTL description, as VirtualBox's model cites it: 10.4.10).
     */
    void statusServiced()
    {
        faultEvent.serviced((registers.value(fsts) & EVENT_CONDITIONS) != 0);
    }

    private boolean pendingFrom(final int sourceId)
    {
        for (final Register register : high)
        {
            final long value = registers.value(register);
            if (FaultRecord.fault(value) && FaultRecord.sourceId(value) == sourceId)
            {
                return true;
            }
        }
        return false;
    }

    int count()
    {
        return low.length;
    }

    long recorded()
    {
        return recorded;
    }

    long dropped()
    {
        return dropped;
    }

    long interrupts()
    {
        return faultEvent.interrupts();
    }
}
