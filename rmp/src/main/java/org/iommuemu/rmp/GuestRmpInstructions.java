package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The guest-side RMP instructions, PVALIDATE and RMPADJUST, executed by an SNP guest after its own and the
 * nested page tables translated the operand (the caller passes GPA and SPA). Outcomes are values in the
 * caller's {@link GuestRmpResult}.
 * <p>
 * Shared rules (reference sections 6.4, 7.2): the governing entry must be assigned to the guest's ASID with
 * a matching GPA and not Immutable, else #VMEXIT(NPF) with RMP, FINAL and ENC. Page-size mismatch (APM Table
 * 15-40 as the reference renders it): a 2 MiB request on a 4 KiB entry returns FAIL_SIZEMISMATCH (the guest
 * retries per 4 KiB); a 4 KiB request inside a 2 MiB entry is NPF with SIZEM (the hypervisor PSMASHes and
 * resumes the guest).
 */
public final class GuestRmpInstructions
{
    private static final long NPF_BASE = PageFaultErrorCode.PRESENT | PageFaultErrorCode.RMP |
        PageFaultErrorCode.GUEST_FINAL | PageFaultErrorCode.GUEST_ENC;

    /** RMPADJUST's RDX: target VMPL in bits 7:0, permission mask in 15:8, VMSA in 16 (layout UNVERIFIED). */
    public static final int ADJUST_TARGET_VMPL_SHIFT = 0;
    public static final int ADJUST_TARGET_VMPL_WIDTH = 8;
    public static final int ADJUST_PERMISSIONS_SHIFT = ADJUST_TARGET_VMPL_SHIFT + ADJUST_TARGET_VMPL_WIDTH;
    public static final int ADJUST_PERMISSIONS_WIDTH = 8;
    public static final int ADJUST_VMSA_BIT = ADJUST_PERMISSIONS_SHIFT + ADJUST_PERMISSIONS_WIDTH;
    public static final long ADJUST_VMSA = 1L << ADJUST_VMSA_BIT;
    /** RDX bits that must be zero. */
    public static final long ADJUST_RESERVED_MASK = ~((1L << (ADJUST_VMSA_BIT + 1)) - 1);

    private final RmpTable table;
    private final PhysicalMemory memory;

    public GuestRmpInstructions(final RmpTable table)
    {
        this.table = table;
        this.memory = table.memory();
    }

    /** Build an RMPADJUST RDX operand. */
    public static long adjustAttributes(final int targetVmpl, final int permissions, final boolean vmsa)
    {
        return ((long)(targetVmpl & ((1 << ADJUST_TARGET_VMPL_WIDTH) - 1)) << ADJUST_TARGET_VMPL_SHIFT) |
            ((long)(permissions & ((1 << ADJUST_PERMISSIONS_WIDTH) - 1)) << ADJUST_PERMISSIONS_SHIFT) |
            (vmsa ? ADJUST_VMSA : 0);
    }

    /**
     * PVALIDATE (F2 0F 01 FF): RCX = {@code pageSize}, RDX = {@code validate} (1) or rescind (0).
     * #GP outside VMPL0 (Linux routes PVALIDATE through the SVSM when it runs above VMPL0). Returns
     * FAIL_INPUT for a page size above 1 or an operand not aligned to it; NO_UPDATE with CF when Validated
     * already has the requested value; SUCCESS after flipping it.
     */
    public GuestRmpResult pvalidate(
        final long spa, final long gpa, final int asid, final int vmpl, final int pageSize, final boolean validate,
        final GuestRmpResult out)
    {
        if (vmpl != 0)
        {
            return out.generalProtection();
        }
        final long governing = locate(spa, gpa, asid, pageSize, out);
        if (governing == RmpTable.NOT_COVERED)
        {
            return out;
        }
        final long q0 = memory.readEntry(governing);
        if (RmpEntry.isValidated(q0) == validate)
        {
            return out.returned(RmpReturnCode.NO_UPDATE, governing);
        }
        memory.writeEntry(governing, RmpEntry.withBit(q0, RmpEntry.VALIDATED_MASK, validate));
        return out.returned(RmpReturnCode.SUCCESS, governing);
    }

    /**
     * RMPADJUST (F3 0F 01 FE): RCX = {@code pageSize}, RDX = {@code attributes} (see
     * {@link #adjustAttributes}). Sets the target VMPL's permission byte and the VMSA bit. FAIL_INPUT for a
     * bad page size, misalignment, reserved RDX bits, a target VMPL above 3 or undefined permission bits;
     * FAIL_PERMISSION when the target VMPL is not numerically above the caller's, when the mask grants more
     * than the caller holds, or when a caller other than VMPL0 sets VMSA.
     */
    public GuestRmpResult rmpadjust(
        final long spa, final long gpa, final int asid, final int vmpl, final int pageSize, final long attributes,
        final GuestRmpResult out)
    {
        final int targetVmpl = (int)((attributes >>> ADJUST_TARGET_VMPL_SHIFT) & ((1 << ADJUST_TARGET_VMPL_WIDTH) - 1));
        final int permissions = (int)((attributes >>> ADJUST_PERMISSIONS_SHIFT) & ((1 << ADJUST_PERMISSIONS_WIDTH) - 1));
        final boolean vmsa = (attributes & ADJUST_VMSA) != 0;
        if ((attributes & ADJUST_RESERVED_MASK) != 0 || targetVmpl >= RmpEntry.VMPL_COUNT ||
            (permissions & ~RmpEntry.PERMISSION_ALL) != 0)
        {
            return out.returned(RmpReturnCode.FAIL_INPUT, RmpTable.NOT_COVERED);
        }
        final long governing = locate(spa, gpa, asid, pageSize, out);
        if (governing == RmpTable.NOT_COVERED)
        {
            return out;
        }
        final long q1 = memory.readEntry(governing + RmpEntry.QUADWORD1_OFFSET);
        final int held = RmpEntry.vmplPermissionsOf(q1, vmpl);
        if (targetVmpl <= vmpl || (permissions & ~held) != 0 || (vmsa && vmpl != 0))
        {
            return out.returned(RmpReturnCode.FAIL_PERMISSION, governing);
        }
        memory.writeEntry(governing + RmpEntry.QUADWORD1_OFFSET, RmpEntry.withVmplPermissions(q1, targetVmpl, permissions));
        final long q0 = memory.readEntry(governing);
        memory.writeEntry(governing, RmpEntry.withBit(q0, RmpEntry.VMSA_MASK, vmsa));
        return out.returned(RmpReturnCode.SUCCESS, governing);
    }

    /**
     * The operand checks PVALIDATE and RMPADJUST share. Returns the governing entry's address, or
     * {@link RmpTable#NOT_COVERED} after filling {@code out} with the failure.
     */
    private long locate(final long spa, final long gpa, final int asid, final int pageSize, final GuestRmpResult out)
    {
        if (pageSize != RmpEntry.PAGE_SIZE_4K && pageSize != RmpEntry.PAGE_SIZE_2M)
        {
            out.returned(RmpReturnCode.FAIL_INPUT, RmpTable.NOT_COVERED);
            return RmpTable.NOT_COVERED;
        }
        final boolean large = pageSize == RmpEntry.PAGE_SIZE_2M;
        final long alignment = (large ? RmpTable.PAGE_2M : RmpTable.PAGE_4K) - 1;
        if ((spa & alignment) != 0 || (gpa & alignment) != 0)
        {
            out.returned(RmpReturnCode.FAIL_INPUT, RmpTable.NOT_COVERED);
            return RmpTable.NOT_COVERED;
        }
        final long address = table.entryAddress(spa);
        if (address == RmpTable.NOT_COVERED)
        {
            out.nestedPageFault(NPF_BASE, RmpTable.NOT_COVERED);
            return RmpTable.NOT_COVERED;
        }
        final long regionAddress = table.regionEntryAddress(spa);
        final long regionQ0 = memory.readEntry(regionAddress);
        final boolean governedBy2M = RmpEntry.pageSizeOf(regionQ0) == RmpEntry.PAGE_SIZE_2M;
        final long governing = governedBy2M ? regionAddress : address;
        final long q0 = governing == regionAddress ? regionQ0 : memory.readEntry(address);
        final long expectedGpa = RmpEntry.gpaOf(q0) + (governedBy2M ? spa & (RmpTable.PAGE_2M - RmpTable.PAGE_4K) : 0);
        if (!RmpEntry.isAssigned(q0) || RmpEntry.asidOf(q0) != asid || expectedGpa != gpa || RmpEntry.isImmutable(q0))
        {
            out.nestedPageFault(NPF_BASE, governing);
            return RmpTable.NOT_COVERED;
        }
        if (large && !governedBy2M)
        {
            out.returned(RmpReturnCode.FAIL_SIZEMISMATCH, governing);
            return RmpTable.NOT_COVERED;
        }
        if (!large && governedBy2M)
        {
            out.nestedPageFault(NPF_BASE | PageFaultErrorCode.GUEST_SIZEM, governing);
            return RmpTable.NOT_COVERED;
        }
        return governing;
    }
}
