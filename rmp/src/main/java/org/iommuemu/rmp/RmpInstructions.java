package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The hypervisor-side RMP instructions: RMPUPDATE, PSMASH and RMPREAD. Each returns its EAX code
 * ({@link RmpReturnCode}); nothing here throws for an architectural failure.
 * <p>
 * Beside the fields software sees, the model keeps the firmware's subpage count (raw bits 11:3 of the
 * 2 MiB-aligned entry: how many of the other 511 pages of the region are assigned) up to date on every
 * change, so the 2 MiB checks cost one entry read. {@link RmpTable#countAssignedSubpagesByScan} is the oracle.
 * Sources: reference sheet sections 6.3, 6.4 and 8; the preconditions the sources do not spell out are the
 * documented choices of docs/rmp.md.
 */
public final class RmpInstructions
{
    private final RmpTable table;
    private final PhysicalMemory memory;
    private final RmpConfig config;

    public RmpInstructions(final RmpTable table, final RmpConfig config)
    {
        this.table = table;
        this.memory = table.memory();
        this.config = config;
    }

    public RmpTable table()
    {
        return table;
    }

    public RmpConfig config()
    {
        return config;
    }

    /**
     * RMPUPDATE (F2 0F 01 FE): RAX = {@code spa}, RCX points to {@code state}. Writes the entry from the new
     * state, clearing Validated and VMSA; an assigned page gets the configured VMPL0 permissions, the other
     * VMPLs none.
     *
     * @return {@link RmpReturnCode#SUCCESS}; FAIL_INPUT for a misaligned SPA, a malformed state (flag byte
     * above 1, reserved byte set, ASID above 10 bits or non-zero on an unassigned state, GPA misaligned or
     * too wide) or an SPA not RMP-covered; FAIL_INUSE when the entry is locked; FAIL_PERMISSION when it is
     * Immutable; FAIL_OVERLAP for a 2 MiB update while other pages of the region are assigned, or a 4 KiB
     * update inside a region a 2 MiB entry governs (except the 2 MiB-aligned page of an unassigned one).
     */
    public int rmpupdate(final long spa, final RmpState state)
    {
        final long gpa = state.gpa();
        final int assigned = state.assigned();
        final int pageSize = state.pageSize();
        final int immutable = state.immutable();
        final long asid = state.asid();
        if ((spa & (RmpTable.PAGE_4K - 1)) != 0 || assigned > 1 || pageSize > 1 || immutable > 1 ||
            state.reserved() != 0 || asid > RmpEntry.MAX_ASID || (assigned == 0 && asid != 0) ||
            gpa < 0 || gpa >= RmpEntry.GPA_LIMIT || (gpa & (RmpTable.PAGE_4K - 1)) != 0)
        {
            return RmpReturnCode.FAIL_INPUT;
        }
        final boolean large = pageSize == RmpEntry.PAGE_SIZE_2M;
        if (large && ((spa & (RmpTable.PAGE_2M - 1)) != 0 || (assigned == 1 && (gpa & (RmpTable.PAGE_2M - 1)) != 0)))
        {
            return RmpReturnCode.FAIL_INPUT;
        }
        final long address = table.entryAddress(spa);
        if (address == RmpTable.NOT_COVERED)
        {
            return RmpReturnCode.FAIL_INPUT;
        }
        final long regionAddress = table.regionEntryAddress(spa);
        final long q0 = memory.readEntry(address);
        if (RmpEntry.isLocked(q0))
        {
            return RmpReturnCode.FAIL_INUSE;
        }
        if (RmpEntry.isImmutable(q0))
        {
            return RmpReturnCode.FAIL_PERMISSION;
        }
        final boolean aligned = address == regionAddress;
        final long regionQ0 = aligned ? q0 : memory.readEntry(regionAddress);
        if (large)
        {
            if (RmpEntry.subpageCountOf(regionQ0) != 0)
            {
                return RmpReturnCode.FAIL_OVERLAP;
            }
        }
        else if (RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M && (!aligned || RmpEntry.isAssigned(regionQ0)))
        {
            return RmpReturnCode.FAIL_OVERLAP;
        }

        long newQ0 = q0 & RmpEntry.SUBPAGE_COUNT_MASK;
        newQ0 |= assigned == 1 ? RmpEntry.ASSIGNED_MASK : 0;
        newQ0 |= large ? RmpEntry.PAGE_SIZE_MASK : 0;
        newQ0 |= immutable == 1 ? RmpEntry.IMMUTABLE_MASK : 0;
        newQ0 = RmpEntry.withGpa(newQ0, gpa);
        newQ0 = RmpEntry.withAsid(newQ0, (int)asid);
        final long newQ1 = assigned == 1 ? RmpEntry.withVmplPermissions(0, 0, config.assignedVmpl0Permissions()) : 0;
        memory.writeEntry(address + RmpEntry.QUADWORD0_OFFSET, newQ0);
        memory.writeEntry(address + RmpEntry.QUADWORD1_OFFSET, newQ1);

        if (!aligned)
        {
            final int delta = (assigned == 1 ? 1 : 0) - (RmpEntry.isAssigned(q0) ? 1 : 0);
            if (delta != 0)
            {
                // regionQ0 is still current: only this page's own entry was written since it was read.
                memory.writeEntry(regionAddress, RmpEntry.withSubpagesAdded(regionQ0, delta));
            }
        }
        return RmpReturnCode.SUCCESS;
    }

    /**
     * PSMASH (F3 0F 01 FF): RAX = a 2 MiB-aligned {@code spa} whose entry has Page_Size 1. Rewrites the 512
     * entries of the region as 4 KiB entries with consecutive GPAs (for an assigned entry) and every other
     * field, Validated included, copied from the 2 MiB entry; sets the subpage count to 511 for an assigned
     * entry, 0 otherwise.
     *
     * @return SUCCESS; FAIL_INPUT for a misaligned or uncovered SPA; FAIL_INUSE when the entry is locked; for
     * an entry that is already 4 KiB, the configured {@link RmpConfig.PsmashSmallEntryCode}.
     */
    public int psmash(final long spa)
    {
        if ((spa & (RmpTable.PAGE_2M - 1)) != 0)
        {
            return RmpReturnCode.FAIL_INPUT;
        }
        final long regionAddress = table.entryAddress(spa);
        final long lastAddress = table.entryAddress(spa + RmpTable.PAGE_2M - RmpTable.PAGE_4K);
        if (regionAddress == RmpTable.NOT_COVERED || lastAddress == RmpTable.NOT_COVERED)
        {
            return RmpReturnCode.FAIL_INPUT;
        }
        final long q0 = memory.readEntry(regionAddress);
        if (RmpEntry.isLocked(q0))
        {
            return RmpReturnCode.FAIL_INUSE;
        }
        if (RmpEntry.pageSizeOf(q0) != RmpEntry.PAGE_SIZE_2M)
        {
            return config.psmashSmallEntryCode().code();
        }
        final long q1 = memory.readEntry(regionAddress + RmpEntry.QUADWORD1_OFFSET);
        final boolean assigned = RmpEntry.isAssigned(q0);
        final long template = q0 & ~(RmpEntry.PAGE_SIZE_MASK | RmpEntry.SUBPAGE_COUNT_MASK);
        final long gpaStep = assigned ? 1L << RmpEntry.GPA_SHIFT : 0;
        // Entries of one 2 MiB region are contiguous in both the contiguous and the segmented layout; a 16-byte
        // entry never straddles a frame, so each frame's run is one bulk write of (quadword 0, quadword 1) pairs.
        final int entriesPerFrame = PhysicalMemory.FRAME_SIZE >>> RmpEntry.LENGTH_LG2;
        long address = regionAddress + (1L << RmpEntry.LENGTH_LG2);
        long entryQ0 = template + gpaStep;
        int i = 1;
        while (i < RmpTable.PAGES_PER_2M)
        {
            final int leftInFrame = entriesPerFrame - (int)((address & (PhysicalMemory.FRAME_SIZE - 1)) >>> RmpEntry.LENGTH_LG2);
            final int count = Math.min(leftInFrame, RmpTable.PAGES_PER_2M - i);
            memory.writeEntryPairs(address, count, entryQ0, gpaStep, q1);
            address += (long)count << RmpEntry.LENGTH_LG2;
            entryQ0 += gpaStep * count;
            i += count;
        }
        memory.writeEntry(regionAddress + RmpEntry.QUADWORD0_OFFSET,
            RmpEntry.withSubpageCount(template, assigned ? RmpEntry.MAX_SUBPAGE_COUNT : 0));
        return RmpReturnCode.SUCCESS;
    }

    /**
     * RMPREAD (F2 0F 01 FD): RAX = {@code spa}; writes the architectural view of the entry that governs the
     * page into {@code out}: for a page inside a 2 MiB entry, that entry's fields (its 2 MiB base GPA).
     * hpage_region_status is set when any of the other 511 pages of the 2 MiB region is assigned.
     *
     * @return SUCCESS, or FAIL_INPUT when the SPA is not RMP-covered ({@code out} untouched).
     */
    public int rmpread(final long spa, final RmpReadEntry out)
    {
        final long address = table.entryAddress(spa);
        if (address == RmpTable.NOT_COVERED)
        {
            return RmpReturnCode.FAIL_INPUT;
        }
        final long regionAddress = table.regionEntryAddress(spa);
        final long regionQ0 = memory.readEntry(regionAddress);
        final long q0 = RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M || address == regionAddress ?
            regionQ0 : memory.readEntry(address);
        out.set(
            RmpEntry.gpaOf(q0),
            RmpEntry.isAssigned(q0),
            RmpEntry.pageSizeOf(q0),
            RmpEntry.subpageCountOf(regionQ0) != 0,
            RmpEntry.isImmutable(q0),
            RmpEntry.asidOf(q0));
        return RmpReturnCode.SUCCESS;
    }
}
