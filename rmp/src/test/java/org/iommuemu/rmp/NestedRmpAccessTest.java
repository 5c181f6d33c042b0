package org.iommuemu.rmp;

import org.iommuemu.pagetable.MapStatus;
import org.iommuemu.pagetable.PageSizePolicy;
import org.iommuemu.pagetable.PageTable;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.format.X86Format;
import org.iommuemu.pagetable.memory.FrameAllocator;
import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_ENC;
import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_FINAL;
import static org.iommuemu.rmp.PageFaultErrorCode.PRESENT;
import static org.iommuemu.rmp.PageFaultErrorCode.RMP;
import static org.iommuemu.rmp.PageFaultErrorCode.WRITE;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_READ;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_WRITE;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.junit.jupiter.api.Assertions.assertEquals;

class NestedRmpAccessTest
{
    private static final long SPA = 0x0800_0000L;
    private static final long GPA = 0x0_C000_0000L;

    private final RmpFixture f = new RmpFixture();
    private final X86Format npt = new X86Format(4, false, 52, true);
    private final PageTable table = new PageTable(npt, new FrameAllocator(f.memory, 0xA000_0000L, 1L << 24));
    private final NestedRmpAccess access = new NestedRmpAccess(npt, f.memory, f.guestCheck);
    private final WalkResult walk = new WalkResult();
    private final GuestRmpResult r = f.result;

    private GuestRmpResult privateAccess(final long gpa, final int permission)
    {
        return access.access(table.root(), gpa, ASID, 0, permission, true, false, walk, r);
    }

    @Test
    void a2mNptLeafOverAValidated2mRmpEntryIsAllowed()
    {
        assertEquals(MapStatus.OK, table.map(GPA, SPA, RmpTable.PAGE_2M, Permissions.ALL, PageSizePolicy.LARGEST));
        f.privateValidated(SPA, GPA, PAGE_SIZE_2M);
        assertEquals(GuestRmpResult.OK, privateAccess(GPA + 0x1_2345, PERMISSION_WRITE).kind(), r.toString());
        assertEquals(SPA + 0x1_2345, walk.outputAddress());
        assertEquals(f.table.entryAddress(SPA), r.entryAddress());
    }

    @Test
    void a4kNptLeafOverA2mRmpEntryIsAnRmpNpfUntilPsmash()
    {
        assertEquals(MapStatus.OK, table.map(GPA, SPA, RmpTable.PAGE_2M, Permissions.ALL, PageSizePolicy.FORCED_4K));
        f.privateValidated(SPA, GPA, PAGE_SIZE_2M);
        privateAccess(GPA + 0x1_2345, PERMISSION_READ);
        assertEquals(GuestRmpResult.NESTED_PAGE_FAULT, r.kind());
        assertEquals(PRESENT | RMP | GUEST_FINAL | GUEST_ENC, r.exitInfo1());
        assertEquals(RmpReturnCode.SUCCESS, f.instructions.psmash(SPA));
        assertEquals(GuestRmpResult.OK, privateAccess(GPA + 0x1_2345, PERMISSION_READ).kind(), r.toString());
    }

    @Test
    void nptFaultsAreNpfWithoutTheRmpBit()
    {
        privateAccess(GPA, PERMISSION_WRITE);
        assertEquals(GuestRmpResult.NESTED_PAGE_FAULT, r.kind());
        assertEquals(WRITE | GUEST_FINAL | GUEST_ENC, r.exitInfo1());
        assertEquals(MapStatus.OK, table.map(GPA, SPA, RmpTable.PAGE_4K, Permissions.READ | Permissions.USER,
            PageSizePolicy.LARGEST));
        privateAccess(GPA, PERMISSION_WRITE);
        assertEquals(PRESENT | WRITE | GUEST_FINAL | GUEST_ENC, r.exitInfo1());
    }
}
