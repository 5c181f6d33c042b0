package org.iommuemu.rmp;

/**
 * The x86 #PF error code and the #VMEXIT(NPF) EXITINFO1 word, whose low 32 bits use the same layout.
 *
 * <pre>
 *  63      37  36    35    34   33    32   31  30    7  6   5   4   3   2   1   0
 * +---------+-----+-----+-----+-----+-----+---+--------+---+---+---+---+---+---+---+
 * |         |VMPL |SIZEM| ENC |PAGE |FINAL|RMP|        |SS |PK | I |RSV| U | W | P |
 * +---------+-----+-----+-----+-----+-----+---+--------+---+---+---+---+---+---+---+
 *            \________ NPF EXITINFO1 only ________/
 * </pre>
 *
 * Sources (reference sheet sections 7.1, 7.2): Linux {@code arch/x86/include/asm/trap_pf.h}
 * ({@code X86_PF_RMP = BIT(31)}) and {@code arch/x86/include/asm/kvm_host.h} ({@code PFERR_GUEST_*}).
 */
public final class PageFaultErrorCode
{
    public static final int PRESENT_BIT = 0;
    public static final int WRITE_BIT = PRESENT_BIT + 1;
    public static final int USER_BIT = WRITE_BIT + 1;
    public static final int RESERVED_BIT = USER_BIT + 1;
    public static final int INSTRUCTION_FETCH_BIT = RESERVED_BIT + 1;
    public static final int PROTECTION_KEY_BIT = INSTRUCTION_FETCH_BIT + 1;
    public static final int SHADOW_STACK_BIT = PROTECTION_KEY_BIT + 1;
    public static final int RMP_BIT = 31;
    public static final int GUEST_FINAL_BIT = RMP_BIT + 1;
    public static final int GUEST_PAGE_BIT = GUEST_FINAL_BIT + 1;
    public static final int GUEST_ENC_BIT = GUEST_PAGE_BIT + 1;
    public static final int GUEST_SIZEM_BIT = GUEST_ENC_BIT + 1;
    public static final int GUEST_VMPL_BIT = GUEST_SIZEM_BIT + 1;

    public static final long PRESENT = 1L << PRESENT_BIT;
    public static final long WRITE = 1L << WRITE_BIT;
    public static final long USER = 1L << USER_BIT;
    public static final long RESERVED = 1L << RESERVED_BIT;
    public static final long INSTRUCTION_FETCH = 1L << INSTRUCTION_FETCH_BIT;
    public static final long PROTECTION_KEY = 1L << PROTECTION_KEY_BIT;
    public static final long SHADOW_STACK = 1L << SHADOW_STACK_BIT;
    /** The fault comes from an RMP check. */
    public static final long RMP = 1L << RMP_BIT;
    /** NPF on the final GPA of the access. */
    public static final long GUEST_FINAL = 1L << GUEST_FINAL_BIT;
    /** NPF on a guest page-table access. */
    public static final long GUEST_PAGE = 1L << GUEST_PAGE_BIT;
    /** The guest's effective C-bit was 1 (a private access). */
    public static final long GUEST_ENC = 1L << GUEST_ENC_BIT;
    /** PVALIDATE/RMPADJUST page size smaller than the RMP entry's. */
    public static final long GUEST_SIZEM = 1L << GUEST_SIZEM_BIT;
    /** VMPL permission failure. */
    public static final long GUEST_VMPL = 1L << GUEST_VMPL_BIT;

    /** The #VC error code for an access to a page whose Validated bit is clear (APM, reference section 7.2). */
    public static final int VC_PAGE_NOT_VALIDATED = 0x404;

    private PageFaultErrorCode()
    {
    }
}
