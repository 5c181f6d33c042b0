package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The RMP check the IOMMU applies to a translated DMA once SNP is enabled (reference section 7.3): DMA must
 * go to and from hypervisor-owned (shared) memory. Two rules:
 * <ul>
 * <li><b>Assigned target</b> (fact, AMDSEV#109): the entry governing the target page is assigned ⇒ fault.</li>
 * <li><b>Large IOMMU leaf</b> (inferred from the "IOMMU page-sizes need to match the sizes in the RMP table"
 * commit; the exact rule is UNVERIFIED): switchable through {@link RmpConfig.DmaLargeLeafRule}.</li>
 * </ul>
 * A fault is a value: the check returns {@link #FAULT_ASSIGNED} or {@link #FAULT_LARGE_LEAF} and fills the
 * caller's {@link RmpPageFaultEvent} (DeviceID, RW flag, the untranslated DMA address; flags_rmp and the
 * VMG tag zero). The abort of the transaction is the caller's. Allocation-free; every entry read goes
 * through the memory listener.
 */
public final class DmaRmpCheck
{
    public static final int ALLOWED = 0;
    /** The target page is assigned (private, firmware or otherwise not hypervisor-owned). */
    public static final int FAULT_ASSIGNED = 1;
    /** The target page is shared but the IOMMU leaf spans pages that are not (the large-leaf rule). */
    public static final int FAULT_LARGE_LEAF = 2;

    private final RmpTable table;
    private final PhysicalMemory memory;
    private final RmpConfig.DmaLargeLeafRule rule;
    private final boolean readsChecked;

    public DmaRmpCheck(final RmpTable table, final RmpConfig config)
    {
        this.table = table;
        this.memory = table.memory();
        this.rule = config.dmaLargeLeafRule();
        this.readsChecked = config.dmaReadsChecked();
    }

    public RmpConfig.DmaLargeLeafRule rule()
    {
        return rule;
    }

    /**
     * @param spa          the translated system physical address of the DMA
     * @param leafSizeLg2  log2 of the IOMMU leaf that translated it (12 for 4 KiB, 21 for 2 MiB, ...)
     * @param write        a DMA write (else a read)
     * @param deviceId     the requester's DeviceID (BDF)
     * @param dmaAddress   the untranslated DMA address, recorded in the event
     * @param event        filled on a fault; untouched when allowed
     * @return {@link #ALLOWED}, {@link #FAULT_ASSIGNED} or {@link #FAULT_LARGE_LEAF}
     */
    public int check(
        final long spa,
        final int leafSizeLg2,
        final boolean write,
        final int deviceId,
        final long dmaAddress,
        final RmpPageFaultEvent event)
    {
        if (!write && !readsChecked)
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
        final boolean targetAssigned =
            RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M || address == regionAddress ?
            RmpEntry.isAssigned(regionQ0) : RmpEntry.isAssigned(memory.readEntry(address));
        int outcome = targetAssigned ? FAULT_ASSIGNED : ALLOWED;
        if (outcome == ALLOWED && leafSizeLg2 > RmpTable.PAGE_4K_LG2 && rule != RmpConfig.DmaLargeLeafRule.OFF)
        {
            final boolean owned;
            if (leafSizeLg2 < RmpTable.PAGE_2M_LG2)
            {
                owned = pagesHypervisorOwned(spa & -(1L << leafSizeLg2), leafSizeLg2);
            }
            else if (rule == RmpConfig.DmaLargeLeafRule.REGION_2M)
            {
                owned = !RmpEntry.isAssigned(regionQ0) && RmpEntry.subpageCountOf(regionQ0) == 0;
            }
            else
            {
                owned = regionsHypervisorOwned(spa & -(1L << leafSizeLg2), leafSizeLg2);
            }
            outcome = owned ? ALLOWED : FAULT_LARGE_LEAF;
        }
        if (outcome != ALLOWED)
        {
            event.set(deviceId, 0, 0, write ? RmpPageFaultEvent.FLAG_RW : 0, dmaAddress);
        }
        return outcome;
    }

    /** Whether the entry governing the page of {@code spa} is assigned; uncovered pages are not. */
    private boolean pageAssigned(final long spa)
    {
        final long address = table.entryAddress(spa);
        if (address == RmpTable.NOT_COVERED)
        {
            return false;
        }
        final long regionAddress = RmpTable.regionEntryAddress(address, spa);
        final long regionQ0 = memory.readEntry(regionAddress);
        if (RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M || address == regionAddress)
        {
            return RmpEntry.isAssigned(regionQ0);
        }
        return RmpEntry.isAssigned(memory.readEntry(address));
    }

    /** All 512 pages of the 2 MiB region of {@code spa} unassigned: one read of the 2 MiB-aligned entry. */
    private boolean regionHypervisorOwned(final long spa)
    {
        final long regionAddress = table.regionEntryAddress(spa);
        if (regionAddress == RmpTable.NOT_COVERED)
        {
            return true;
        }
        final long regionQ0 = memory.readEntry(regionAddress);
        return !RmpEntry.isAssigned(regionQ0) && RmpEntry.subpageCountOf(regionQ0) == 0;
    }

    private boolean regionsHypervisorOwned(final long start, final int sizeLg2)
    {
        final long end = start + (1L << sizeLg2);
        for (long region = start; region < end; region += RmpTable.PAGE_2M)
        {
            if (!regionHypervisorOwned(region))
            {
                return false;
            }
        }
        return true;
    }

    private boolean pagesHypervisorOwned(final long start, final int sizeLg2)
    {
        final long end = start + (1L << sizeLg2);
        for (long page = start; page < end; page += RmpTable.PAGE_4K)
        {
            if (pageAssigned(page))
            {
                return false;
            }
        }
        return true;
    }
}
