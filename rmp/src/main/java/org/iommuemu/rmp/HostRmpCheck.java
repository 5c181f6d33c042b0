package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The RMP check on host (hypervisor) CPU accesses: the Hypervisor-Owned check of reference section 7.1.
 * <ul>
 * <li>A write, or a page-table access (which may set A/D bits; the caller passes it as a write), must hit a
 * page that is not assigned, or not RMP-covered.</li>
 * <li>Through a host mapping of 2 MiB or more (1 GiB counts as 2 MiB), every one of the 512 pages of the
 * 2 MiB region holding the SPA must be unassigned: the 2 MiB-aligned entry unassigned and its subpage
 * count 0.</li>
 * <li>Reads are not checked (they return ciphertext); UNVERIFIED against the APM.</li>
 * </ul>
 * A violation is a value: the #PF error code with {@link PageFaultErrorCode#RMP} set. The check allocates
 * nothing and reads at most two entry quadwords, each through the memory listener.
 */
public final class HostRmpCheck
{
    /** Returned when the access is allowed. */
    public static final long ALLOWED = 0;

    private final RmpTable table;
    private final PhysicalMemory memory;

    public HostRmpCheck(final RmpTable table)
    {
        this.table = table;
        this.memory = table.memory();
    }

    /**
     * @param spa              the system physical address accessed
     * @param write            a write or a host page-table access
     * @param mappingSizeLg2   log2 of the host page-table leaf mapping the SPA (12, 21, 30)
     * @return {@link #ALLOWED}, or the #PF error code: P | W (for a write) | RMP
     */
    public long check(final long spa, final boolean write, final int mappingSizeLg2)
    {
        if (!write)
        {
            return ALLOWED;
        }
        final long address = table.entryAddress(spa);
        if (address == RmpTable.NOT_COVERED)
        {
            return ALLOWED;
        }
        // A local, so the JIT checks the memory's class once for both reads.
        final PhysicalMemory memory = this.memory;
        final long regionAddress = RmpTable.regionEntryAddress(address, spa);
        final long regionQ0 = memory.readEntry(regionAddress);
        final boolean violation;
        if (mappingSizeLg2 >= RmpTable.PAGE_2M_LG2)
        {
            violation = RmpEntry.isAssigned(regionQ0) || RmpEntry.subpageCountOf(regionQ0) != 0;
        }
        else if (RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M || address == regionAddress)
        {
            violation = RmpEntry.isAssigned(regionQ0);
        }
        else
        {
            violation = RmpEntry.isAssigned(memory.readEntry(address));
        }
        return violation ? PageFaultErrorCode.PRESENT | PageFaultErrorCode.WRITE | PageFaultErrorCode.RMP : ALLOWED;
    }
}
