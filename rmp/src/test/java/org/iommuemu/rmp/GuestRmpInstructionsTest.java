package org.iommuemu.rmp;

import org.junit.jupiter.api.Test;

import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_ENC;
import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_FINAL;
import static org.iommuemu.rmp.PageFaultErrorCode.GUEST_SIZEM;
import static org.iommuemu.rmp.PageFaultErrorCode.PRESENT;
import static org.iommuemu.rmp.PageFaultErrorCode.RMP;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_2M;
import static org.iommuemu.rmp.RmpEntry.PAGE_SIZE_4K;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_READ;
import static org.iommuemu.rmp.RmpEntry.PERMISSION_WRITE;
import static org.iommuemu.rmp.RmpFixture.ASID;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GuestRmpInstructionsTest
{
    private static final long REGION = 0x0080_0000L;
    private static final long GPA = 0x0020_0000L;
    private static final long NPF = PRESENT | RMP | GUEST_FINAL | GUEST_ENC;

    private final RmpFixture f = new RmpFixture();
    private final GuestRmpResult r = f.result;

    private void assertReturned(final int code)
    {
        assertEquals(GuestRmpResult.OK, r.kind(), r.toString());
        assertEquals(code, r.returnCode(), r.toString());
    }

    private void assertNpf(final long exitInfo1)
    {
        assertEquals(GuestRmpResult.NESTED_PAGE_FAULT, r.kind(), r.toString());
        assertEquals(exitInfo1, r.exitInfo1(), r.toString());
    }

    // ---------------------------------------------------------------- PVALIDATE

    @Test
    void pvalidateSetsAndRescindsValidated()
    {
        f.update(REGION + 0x2000, GPA + 0x2000, 1, PAGE_SIZE_4K, ASID);
        f.guest.pvalidate(REGION + 0x2000, GPA + 0x2000, ASID, 0, PAGE_SIZE_4K, true, r);
        assertReturned(RmpReturnCode.SUCCESS);
        assertFalse(r.carry());
        assertTrue(f.entry(REGION + 0x2000).validated());

        f.guest.pvalidate(REGION + 0x2000, GPA + 0x2000, ASID, 0, PAGE_SIZE_4K, true, r);
        assertReturned(RmpReturnCode.NO_UPDATE);
        assertTrue(r.carry(), "CF=1 when nothing changed");

        f.guest.pvalidate(REGION + 0x2000, GPA + 0x2000, ASID, 0, PAGE_SIZE_4K, false, r);
        assertReturned(RmpReturnCode.SUCCESS);
        assertFalse(f.entry(REGION + 0x2000).validated());
    }

    @Test
    void pvalidate2mOnA2mEntry()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        f.guest.pvalidate(REGION, GPA, ASID, 0, PAGE_SIZE_2M, true, r);
        assertReturned(RmpReturnCode.SUCCESS);
        assertTrue(f.entry(REGION).validated());
    }

    @Test
    void pvalidateFailInput()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        f.guest.pvalidate(REGION, GPA, ASID, 0, 2, true, r);
        assertReturned(RmpReturnCode.FAIL_INPUT);
        f.guest.pvalidate(REGION + 0x1000, GPA + 0x1000, ASID, 0, PAGE_SIZE_2M, true, r);
        assertReturned(RmpReturnCode.FAIL_INPUT);
        f.guest.pvalidate(REGION + 0x10, GPA + 0x10, ASID, 0, PAGE_SIZE_4K, true, r);
        assertReturned(RmpReturnCode.FAIL_INPUT);
        assertFalse(f.entry(REGION).validated());
    }

    @Test
    void pvalidate2mOver4kEntriesIsSizeMismatch()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_4K, ASID);
        f.guest.pvalidate(REGION, GPA, ASID, 0, PAGE_SIZE_2M, true, r);
        assertReturned(RmpReturnCode.FAIL_SIZEMISMATCH);
        assertFalse(f.entry(REGION).validated());
    }

    @Test
    void pvalidate4kInsideA2mEntryIsNpfWithSizem()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_2M, ASID);
        f.guest.pvalidate(REGION + 0x3000, GPA + 0x3000, ASID, 0, PAGE_SIZE_4K, true, r);
        assertNpf(NPF | GUEST_SIZEM);
        // KVM's answer: PSMASH, then the retried PVALIDATE works on the 4K entry.
        assertEquals(RmpReturnCode.SUCCESS, f.instructions.psmash(REGION));
        f.guest.pvalidate(REGION + 0x3000, GPA + 0x3000, ASID, 0, PAGE_SIZE_4K, true, r);
        assertReturned(RmpReturnCode.SUCCESS);
        assertTrue(f.entry(REGION + 0x3000).validated());
        assertFalse(f.entry(REGION + 0x4000).validated());
    }

    @Test
    void pvalidateRmpChecksFailAsNpf()
    {
        f.guest.pvalidate(REGION, GPA, ASID, 0, PAGE_SIZE_4K, true, r);
        assertNpf(NPF);  // hypervisor-owned
        f.update(REGION, GPA, 1, PAGE_SIZE_4K, ASID);
        f.guest.pvalidate(REGION, GPA, ASID + 1, 0, PAGE_SIZE_4K, true, r);
        assertNpf(NPF);  // other ASID
        f.guest.pvalidate(REGION, GPA + 0x1000, ASID, 0, PAGE_SIZE_4K, true, r);
        assertNpf(NPF);  // GPA mismatch
        f.guest.pvalidate(RmpFixture.COVERED, GPA, ASID, 0, PAGE_SIZE_4K, true, r);
        assertNpf(NPF);  // not covered
        f.state.clear().gpa(GPA).assigned(1).immutable(1).asid(ASID);
        f.instructions.rmpupdate(REGION + 0x1000, f.state);
        f.guest.pvalidate(REGION + 0x1000, GPA, ASID, 0, PAGE_SIZE_4K, true, r);
        assertNpf(NPF);  // immutable
        assertFalse(f.entry(REGION).validated());
    }

    @Test
    void pvalidateOutsideVmpl0IsGeneralProtection()
    {
        f.update(REGION, GPA, 1, PAGE_SIZE_4K, ASID);
        f.guest.pvalidate(REGION, GPA, ASID, 1, PAGE_SIZE_4K, true, r);
        assertEquals(GuestRmpResult.GENERAL_PROTECTION, r.kind());
        assertFalse(f.entry(REGION).validated());
    }

    // ---------------------------------------------------------------- RMPADJUST

    @Test
    void rmpadjustGrantsALowerVmplASubsetOfTheCallersRights()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_4K);
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_4K,
            GuestRmpInstructions.adjustAttributes(2, PERMISSION_READ | PERMISSION_WRITE, false), r);
        assertReturned(RmpReturnCode.SUCCESS);
        // q1 = VMPL0 0x0F, VMPL2 0x03.
        assertEquals(0x03_00_0FL, f.entry(REGION).quadword1());

        // VMPL2 passes read on to VMPL3 but cannot give execute it lacks.
        f.guest.rmpadjust(REGION, GPA, ASID, 2, PAGE_SIZE_4K,
            GuestRmpInstructions.adjustAttributes(3, PERMISSION_READ, false), r);
        assertReturned(RmpReturnCode.SUCCESS);
        f.guest.rmpadjust(REGION, GPA, ASID, 2, PAGE_SIZE_4K,
            GuestRmpInstructions.adjustAttributes(3, RmpEntry.PERMISSION_EXECUTE_USER, false), r);
        assertReturned(RmpReturnCode.FAIL_PERMISSION);
        assertEquals(0x01_03_00_0FL, f.entry(REGION).quadword1());
    }

    @Test
    void rmpadjustSetsVmsaFromVmpl0Only()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_4K);
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_4K, 1 | GuestRmpInstructions.ADJUST_VMSA, r);
        assertReturned(RmpReturnCode.SUCCESS);
        assertTrue(f.entry(REGION).vmsa());
        f.guest.rmpadjust(REGION, GPA, ASID, 1, PAGE_SIZE_4K, GuestRmpInstructions.adjustAttributes(2, 0, true), r);
        assertReturned(RmpReturnCode.FAIL_PERMISSION);
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_4K, GuestRmpInstructions.adjustAttributes(1, 0, false), r);
        assertReturned(RmpReturnCode.SUCCESS);
        assertFalse(f.entry(REGION).vmsa());
    }

    @Test
    void rmpadjustFailures()
    {
        f.privateValidated(REGION, GPA, PAGE_SIZE_4K);
        final long before = f.entry(REGION).quadword1();
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_4K, GuestRmpInstructions.adjustAttributes(4, 1, false), r);
        assertReturned(RmpReturnCode.FAIL_INPUT);   // target VMPL 4
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_4K, GuestRmpInstructions.adjustAttributes(1, 0x20, false), r);
        assertReturned(RmpReturnCode.FAIL_INPUT);   // undefined permission bit
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_4K, 1L << 40, r);
        assertReturned(RmpReturnCode.FAIL_INPUT);   // reserved RDX bits
        f.guest.rmpadjust(REGION, GPA, ASID, 1, PAGE_SIZE_4K, GuestRmpInstructions.adjustAttributes(1, 0, false), r);
        assertReturned(RmpReturnCode.FAIL_PERMISSION);  // target not below the caller
        f.guest.rmpadjust(REGION, GPA, ASID, 0, PAGE_SIZE_2M, GuestRmpInstructions.adjustAttributes(1, 1, false), r);
        assertReturned(RmpReturnCode.FAIL_SIZEMISMATCH);
        f.guest.rmpadjust(REGION, GPA, ASID + 1, 0, PAGE_SIZE_4K, GuestRmpInstructions.adjustAttributes(1, 1, false), r);
        assertNpf(NPF);
        assertEquals(before, f.entry(REGION).quadword1());

        f.update(REGION + RmpTable.PAGE_2M, GPA + RmpTable.PAGE_2M, 1, PAGE_SIZE_2M, ASID);
        f.guest.rmpadjust(REGION + RmpTable.PAGE_2M + 0x1000, GPA + RmpTable.PAGE_2M + 0x1000, ASID, 0, PAGE_SIZE_4K,
            GuestRmpInstructions.adjustAttributes(1, 1, false), r);
        assertNpf(NPF | GUEST_SIZEM);
    }
}
