package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The RMP checks on an SNP guest's access once the nested page table (NPT) has translated GPA to SPA
 * (reference section 7.2, APM Table 15-39 as the reference renders it). The caller passes the walk's result;
 * the check does not walk.
 * <p>
 * Private access (effective C-bit 1), in order:
 * <ol>
 * <li>RMP-covered, Guest-Owned (assigned, ASID match), Reverse-Map (GPA match), Mutable (Immutable 0),
 * Page-Size (an NPT leaf of 2 MiB or more needs Page_Size 1, a 4 KiB leaf Page_Size 0): failure is
 * #VMEXIT(NPF) with RMP, FINAL (or PAGE for a guest page-table access) and ENC. The page-size failure does
 * not set SIZEM: that bit reports PVALIDATE/RMPADJUST mismatches; KVM tells the NPT case apart by comparing
 * levels (a choice, see docs/rmp.md).</li>
 * <li>Validated: failure is #VC with PAGE_NOT_VALIDATED (0x404).</li>
 * <li>VMPL: the permission byte of the current VMPL must hold the requested permission; failure is NPF with
 * RMP and VMPL.</li>
 * </ol>
 * Shared access (C-bit 0): a write must hit hypervisor-owned memory, with the host rule for large mappings
 * (an NPT leaf of 2 MiB or more needs the whole 2 MiB region unassigned); failure is NPF with RMP. Shared
 * reads are not checked.
 * <p>
 * Allocation-free; reads at most three entry quadwords, each through the memory listener.
 */
public final class GuestRmpCheck
{
    private static final int EXECUTE = RmpEntry.PERMISSION_EXECUTE_USER | RmpEntry.PERMISSION_EXECUTE_SUPERVISOR;

    private final RmpTable table;
    private final PhysicalMemory memory;

    public GuestRmpCheck(final RmpTable table)
    {
        this.table = table;
        this.memory = table.memory();
    }

    /**
     * @param spa                   the SPA the NPT walk produced
     * @param nptLeafSizeLg2        log2 of the NPT leaf (12, 21, 30)
     * @param gpa                   the guest physical address accessed
     * @param asid                  the running guest's ASID
     * @param vmpl                  the running VMPL (0..3)
     * @param permission            one {@link RmpEntry} PERMISSION_* bit: the kind of access
     * @param encrypted             the guest's effective C-bit
     * @param guestPageTableAccess  the access is the guest's own page-table walk (PAGE instead of FINAL)
     * @param out                   caller-owned result, re-filled
     */
    public GuestRmpResult check(
        final long spa,
        final int nptLeafSizeLg2,
        final long gpa,
        final int asid,
        final int vmpl,
        final int permission,
        final boolean encrypted,
        final boolean guestPageTableAccess,
        final GuestRmpResult out)
    {
        long exitInfo1 = PageFaultErrorCode.PRESENT | PageFaultErrorCode.RMP |
            (guestPageTableAccess ? PageFaultErrorCode.GUEST_PAGE : PageFaultErrorCode.GUEST_FINAL);
        if ((permission & RmpEntry.PERMISSION_WRITE) != 0)
        {
            exitInfo1 |= PageFaultErrorCode.WRITE;
        }
        if ((permission & EXECUTE) != 0)
        {
            exitInfo1 |= PageFaultErrorCode.INSTRUCTION_FETCH;
        }
        final long address = table.entryAddress(spa);
        final boolean largeLeaf = nptLeafSizeLg2 >= RmpTable.PAGE_2M_LG2;

        if (!encrypted)
        {
            if ((permission & RmpEntry.PERMISSION_WRITE) == 0 || address == RmpTable.NOT_COVERED)
            {
                return out.ok(address);
            }
            final long regionAddress = table.regionEntryAddress(spa);
            final long regionQ0 = memory.readEntry(regionAddress);
            final boolean violation;
            if (largeLeaf)
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
            return violation ? out.nestedPageFault(exitInfo1, address) : out.ok(address);
        }

        exitInfo1 |= PageFaultErrorCode.GUEST_ENC;
        if (address == RmpTable.NOT_COVERED)
        {
            return out.nestedPageFault(exitInfo1, address);
        }
        final long regionAddress = table.regionEntryAddress(spa);
        final long regionQ0 = memory.readEntry(regionAddress);
        final boolean governedBy2M = RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M;
        final long governing = governedBy2M ? regionAddress : address;
        final long q0 = governing == regionAddress ? regionQ0 : memory.readEntry(address);

        final long expectedGpa = RmpEntry.gpaOf(q0) + (governedBy2M ? spa & (RmpTable.PAGE_2M - RmpTable.PAGE_4K) : 0);
        if (!RmpEntry.isAssigned(q0) || RmpEntry.asidOf(q0) != asid ||
            expectedGpa != (gpa & -RmpTable.PAGE_4K) ||
            RmpEntry.isImmutable(q0) ||
            governedBy2M != largeLeaf)
        {
            return out.nestedPageFault(exitInfo1, governing);
        }
        if (!RmpEntry.isValidated(q0))
        {
            return out.vmmCommunication(PageFaultErrorCode.VC_PAGE_NOT_VALIDATED, governing);
        }
        final long q1 = memory.readEntry(governing + RmpEntry.QUADWORD1_OFFSET);
        if ((RmpEntry.vmplPermissionsOf(q1, vmpl) & permission) != permission)
        {
            return out.nestedPageFault(exitInfo1 | PageFaultErrorCode.GUEST_VMPL, governing);
        }
        return out.ok(governing);
    }
}
