package org.iommuemu.rmp;

import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_ENC;
import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_FINAL;
import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_PAGE;
import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_VMPL;
import static org.iommuemu.rmp.PageFaultErrorCode.INSTRUCTION_FETCH;
import static org.iommuemu.rmp.PageFaultErrorCode.PRESENT;
import static org.iommuemu.rmp.PageFaultErrorCode.RMP;
import static org.iommuemu.rmp.PageFaultErrorCode.WRITE;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_EXECUTE_SUPERVISOR;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_READ;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_WRITE;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.junit.jupiter.api.Assertions.assertEquals;

class GuestRmpCheckTest
{
    private static final long REGION = 0x0300_0000L;
    private static final long GPA = 0x0060_0000L;
    private static final int L4K = RmpTable.PAGE_4K_LG2;
    private static final int L2M = RmpTable.PAGE_2M_LG2;

    private final RmpFixture f = new RmpFixture();
    private final GuestRmpResult r = f.result;

    private GuestRmpResult privateAccess(final long spa, final int leaf, final long gpa, final int asid, final int vmpl,
        final int permission)
    {
        return f.guestCheck.check(spa, leaf, gpa, asid, vmpl, permission, true, false, r);
    }

    private void assertNpf(final long exitInfo1)
    {
        assertEquals(GuestRmpResult.NESTED_PAGE_FAULT, r.kind(), r.toString());
        assertEquals(exitInfo1, r.exitInfo1(), r.toString());
    }

    @Test
    void validatedPrivatePageOfTheGuestIsAccessible()
    {
        f.privateValidated(REGION + 0x1000, GPA + 0x1000, PAGE_SIZE_4K);
        assertEquals(GuestRmpResult.OK, privateAccess(REGION + 0x1234, L4K, GPA + 0x1234, ASID, 0, PERMISSION_WRITE).kind());
        assertEquals(f.table.entryAddress(REGION + 0x1000), r.entryAddress());
    }

    @Test
    void eachFailedCheckProducesTheDocumentedExitInfo()
    {
        final long base = PRESENT | RMP | GUEST_FINAL | GUEST_ENC;
        privateAccess(REGION, L4K, GPA, ASID, 0, PERMISSION_READ);
        assertNpf(base);                                    // guest-owned: page is the hypervisor's
        f.privateValidated(REGION, GPA, PAGE_SIZE_4K);
        privateAccess(REGION, L4K, GPA, ASID + 1, 0, PERMISSION_WRITE);
        assertNpf(base | WRITE);                            // guest-owned: other ASID
        privateAccess(REGION, L4K, GPA + 0x1000, ASID, 0, PERMISSION_READ);
        assertNpf(base);                                    // reverse map: GPA mismatch
        privateAccess(REGION, L2M, GPA, ASID, 0, PERMISSION_READ);
        assertNpf(base);                                    // page size: 2M NPT leaf on a 4K entry
        privateAccess(RmpFixture.COVERED, L4K, GPA, ASID, 0, PERMISSION_READ);
        assertNpf(base);                                    // not RMP-covered
        privateAccess(REGION, L4K, GPA, ASID, 1, PERMISSION_READ);
        assertNpf(base | GUEST_VMPL);                       // VMPL1 has no rights
        privateAccess(REGION, L4K, GPA, ASID, 0, PERMISSION_EXECUTE_SUPERVISOR);
        assertEquals(GuestRmpResult.OK, r.kind());
        f.entry(REGION).vmplPermissions(0, PERMISSION_READ);
        privateAccess(REGION, L4K, GPA, ASID, 0, PERMISSION_EXECUTE_SUPERVISOR);
        assertNpf(base | INSTRUCTION_FETCH | GUEST_VMPL);
        f.guestCheck.check(REGION, L4K, GPA, ASID, 0, PERMISSION_WRITE, true, true, r);
        assertNpf(PRESENT | RMP | GUEST_PAGE | GUEST_ENC | WRITE | GUEST_VMPL); // guest page-table access
    }

    @Test
    void unvalidatedPageRaisesVcPageNotValidated()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_4K, ASID);
        privateAccess(REGION, L4K, GPA, ASID, 0, PERMISSION_READ);
        assertEquals(GuestRmpResult.VMM_COMMUNICATION_EXCEPTION, r.kind());
        assertEquals(0x404, r.errorCode());
    }

    @Test
    void immutablePageIsAnNpf()
    {
        f.state.clear().gpa(GPA).assigned(1).immutable(1).asid(ASID);
        f.instructions.rmpupdate(REGION, f.state);
        f.entry(REGION).validated(true);
        privateAccess(REGION, L4K, GPA, ASID, 0, PERMISSION_READ);
        assertNpf(PRESENT | RMP | GUEST_FINAL | GUEST_ENC);
    }

    @Test
    void pageSizeMustMatchBetweenNptLeafAndRmpEntry()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_2M);
        assertEquals(GuestRmpResult.OK, privateAccess(REGION + 0x5000, L2M, GPA + 0x5000, ASID, 0, PERMISSION_READ).kind());
        assertEquals(GuestRmpResult.OK, privateAccess(REGION + 0x5000, 30, GPA + 0x5000, ASID, 0, PERMISSION_READ).kind());
        privateAccess(REGION + 0x5000, L4K, GPA + 0x5000, ASID, 0, PERMISSION_READ);
        assertNpf(PRESENT | RMP | GUEST_FINAL | GUEST_ENC);
        // KVM's reaction: PSMASH; Validated survives, so the 4K access now works.
        f.instructions.psmash(REGION);
        assertEquals(GuestRmpResult.OK, privateAccess(REGION + 0x5000, L4K, GPA + 0x5000, ASID, 0, PERMISSION_READ).kind());
    }

    @Test
    void sharedAccessesNeedHypervisorOwnedMemoryForWrites()
    {
        f.privateValidated(REGION + 0x3000, GPA + 0x3000, PAGE_SIZE_4K);
        f.guestCheck.check(REGION + 0x3000, L4K, GPA + 0x3000, ASID, 0, PERMISSION_READ, false, false, r);
        assertEquals(GuestRmpResult.OK, r.kind());
        f.guestCheck.check(REGION + 0x3000, L4K, GPA + 0x3000, ASID, 0, PERMISSION_WRITE, false, false, r);
        assertNpf(PRESENT | RMP | GUEST_FINAL | WRITE);
        f.guestCheck.check(REGION + 0x4000, L4K, GPA + 0x4000, ASID, 0, PERMISSION_WRITE, false, false, r);
        assertEquals(GuestRmpResult.OK, r.kind());
        f.guestCheck.check(REGION + 0x4000, L2M, GPA + 0x4000, ASID, 0, PERMISSION_WRITE, false, false, r);
        assertNpf(PRESENT | RMP | GUEST_FINAL | WRITE);
    }

    @Test
    void theCheckCostsAtMostThreeEntryReads()
    {
        f.privateValidated(REGION + 0x1000, GPA + 0x1000, PAGE_SIZE_4K);
        f.counter.reset();
        privateAccess(REGION + 0x1000, L4K, GPA + 0x1000, ASID, 0, PERMISSION_READ);
        assertEquals(3, f.counter.reads);
        assertEquals(0, f.counter.writes);
    }
}
