package org.iommuemu.rmp;

import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * An SNP guest's access as the CPU performs it: walk the nested page table (NPT, x86-64 format from
 * pagetable-engine) from GPA to SPA, then run the {@link GuestRmpCheck} on the walk's SPA and leaf size.
 * <p>
 * An NPT walk failure is #VMEXIT(NPF) without the RMP bit: PRESENT set only for a permission fault, WRITE,
 * INSTRUCTION_FETCH, FINAL (or PAGE for a guest page-table access) and ENC as for the RMP case. AMD's NPT
 * treats every guest access as a user access, so the walk asks for {@link Permissions#USER} too.
 * Allocation-free: the walk result and the outcome are the caller's.
 */
public final class NestedRmpAccess
{
    private static final int EXECUTE = RmpEntry.PERMISSION_EXECUTE_USER | RmpEntry.PERMISSION_EXECUTE_SUPERVISOR;

    private final PageTableFormat nptFormat;
    private final PhysicalMemory memory;
    private final GuestRmpCheck check;

    public NestedRmpAccess(final PageTableFormat nptFormat, final PhysicalMemory memory, final GuestRmpCheck check)
    {
        this.nptFormat = nptFormat;
        this.memory = memory;
        this.check = check;
    }

    /**
     * @param nptRoot     SPA of the NPT's top-level table (the VMCB's nCR3)
     * @param gpa         guest physical address accessed
     * @param permission  one {@link RmpEntry} PERMISSION_* bit
     * @param walk        caller-owned walk result, re-filled
     * @param out         caller-owned outcome, re-filled
     */
    public GuestRmpResult access(
        final long nptRoot,
        final long gpa,
        final int asid,
        final int vmpl,
        final int permission,
        final boolean encrypted,
        final boolean guestPageTableAccess,
        final WalkResult walk,
        final GuestRmpResult out)
    {
        final int access = Permissions.USER |
            ((permission & RmpEntry.PERMISSION_WRITE) != 0 ? Permissions.WRITE : Permissions.READ) |
            ((permission & EXECUTE) != 0 ? Permissions.EXECUTE : 0);
        if (!Walker.walk(nptFormat, memory, nptRoot, gpa, access, Permissions.ALL, walk))
        {
            long exitInfo1 = guestPageTableAccess ? PageFaultErrorCode.GUEST_PAGE : PageFaultErrorCode.GUEST_FINAL;
            if (walk.fault() == WalkFault.PERMISSION)
            {
                exitInfo1 |= PageFaultErrorCode.PRESENT;
            }
            else if (walk.fault() == WalkFault.RESERVED_BIT)
            {
                exitInfo1 |= PageFaultErrorCode.PRESENT | PageFaultErrorCode.RESERVED;
            }
            if ((permission & RmpEntry.PERMISSION_WRITE) != 0)
            {
                exitInfo1 |= PageFaultErrorCode.WRITE;
            }
            if ((permission & EXECUTE) != 0)
            {
                exitInfo1 |= PageFaultErrorCode.INSTRUCTION_FETCH;
            }
            if (encrypted)
            {
                exitInfo1 |= PageFaultErrorCode.GUEST_ENC;
            }
            return out.nestedPageFault(exitInfo1, RmpTable.NOT_COVERED);
        }
        return check.check(walk.outputAddress(), walk.pageSizeLg2(), gpa, asid, vmpl, permission, encrypted,
            guestPageTableAccess, out);
    }
}
