package org.iommuemu.emulator.scenario;

/**
 * Receives the fault records an IOMMU wrote, as its kernel driver reads them ({@link Platform#serviceFaults}): AMD-Vi
 * event log entries, VT-d fault recording registers. Each method is called once per record, in the order the
 * hardware wrote them.
 */
public interface FaultRecordConsumer
{
    /** An AMD-Vi event log entry: quadword 0 (dwords 0 and 1) and quadword 1 (the address). */
    default void amdViEvent(final long quadword0, final long quadword1)
    {
    }

    /** A VT-d primary fault record: the low quadword (faulting page) and the high one (SID, FR, T, PP, PV). */
    default void vtdFault(final long low, final long high)
    {
    }
}
