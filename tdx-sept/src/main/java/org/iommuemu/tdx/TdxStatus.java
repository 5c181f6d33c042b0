package org.iommuemu.tdx;

/**
 * SEAMCALL completion status as returned in RAX, and the extended error information in RCX/RDX.
 * <pre>
 *  63   62    61:32                 31:0
 * +---+----+--------------------+------------------+
 * |ERR|NREC| status class/code  | detail (operand) |
 * +---+----+--------------------+------------------+
 * </pre>
 * Source: Linux KVM {@code tdx_errno.h} (shared/reference/vtd-tdx.md 5.6). The status proper is bits 63:32
 * ({@link #STATUS_MASK}); bits 31:0 usually name the operand that failed.
 * <p>
 * Extended error information for S-EPT failures: RCX = the offending entry, RDX = "level_state" laid out as
 * {@link #LEVEL_STATE_LEVEL_MASK} (level, bits 2:0) and {@link #LEVEL_STATE_STATE_SHIFT} (the state the module reports,
 * bits 15:8: {@link SecureEptEntry#publicState}), as KVM's {@code union tdx_sept_level_state} and the TDX module's
 * {@code set_arch_septe_details_in_vmm_regs} (1.5) have them. S-EPT walk, state and entry-lock errors name operand
 * RCX (the GPA and level), as the module returns them and KVM compares them
 * ({@code TDX_EPT_ENTRY_STATE_INCORRECT | TDX_OPERAND_ID_RCX}); operand SEPT (0x92, the module's SEPT_TREE) is for
 * TDH.MEM.RANGE.UNBLOCK's tracking error.
 */
public final class TdxStatus
{
    public static final long SUCCESS = 0;

    public static final long STATUS_MASK = 0xFFFF_FFFF_0000_0000L;
    public static final long DETAIL_MASK = 0x0000_0000_FFFF_FFFFL;
    public static final long ERROR_BIT = 1L << 63;
    public static final long NON_RECOVERABLE_BIT = 1L << 62;

    public static final long NON_RECOVERABLE_VCPU = 0x4000_0001_0000_0000L;
    public static final long NON_RECOVERABLE_TD = 0x4000_0002_0000_0000L;
    public static final long NON_RECOVERABLE_TD_NON_ACCESSIBLE = 0x6000_0005_0000_0000L;
    public static final long INTERRUPTED_RESUMABLE = 0x8000_0003_0000_0000L;
    public static final long OPERAND_INVALID = 0xC000_0100_0000_0000L;
    public static final long OPERAND_BUSY = 0x8000_0200_0000_0000L;
    public static final long PREVIOUS_TLB_EPOCH_BUSY = 0x8000_0201_0000_0000L;
    public static final long RND_NO_ENTROPY = 0x8000_0203_0000_0000L;
    public static final long PAGE_METADATA_INCORRECT = 0xC000_0300_0000_0000L;
    public static final long VCPU_NOT_ASSOCIATED = 0x8000_0702_0000_0000L;
    public static final long KEY_GENERATION_FAILED = 0x8000_0800_0000_0000L;
    public static final long TD_KEYS_NOT_CONFIGURED = 0x8000_0810_0000_0000L;
    public static final long KEY_STATE_INCORRECT = 0xC000_0811_0000_0000L;
    public static final long KEY_CONFIGURED = 0x0000_0815_0000_0000L;
    public static final long NO_HKID_READY_TO_WBCACHE = 0x0000_0821_0000_0000L;
    public static final long FLUSHVP_NOT_DONE = 0x8000_0824_0000_0000L;
    /** TDH.MNG.KEY.FREEID before TDH.PHYMEM.CACHE.WB wrote the TD's cache lines back. */
    public static final long WBCACHE_NOT_COMPLETE = 0x8000_0817_0000_0000L;
    /** TDH.PHYMEM.CACHE.WB resume (RCX = 1) with no interrupted write-back to resume. */
    public static final long WBCACHE_RESUME_ERROR = 0xC000_0823_0000_0000L;
    /** A TD life-cycle call in the wrong state (VPFLUSHDONE twice, FREEID before VPFLUSHDONE, RECLAIM before FREEID). */
    public static final long LIFECYCLE_STATE_INCORRECT = 0xC000_0607_0000_0000L;
    /** TDH.PHYMEM.PAGE.RECLAIM of a TDR whose TD still owns other pages. */
    public static final long TD_ASSOCIATED_PAGES_EXIST = 0xC000_0400_0000_0000L;
    public static final long EPT_WALK_FAILED = 0xC000_0B00_0000_0000L;
    public static final long EPT_ENTRY_NOT_FREE = 0xC000_0B02_0000_0000L;
    public static final long TLB_TRACKING_NOT_DONE = 0xC000_0B08_0000_0000L;
    public static final long EPT_INVALID_PROMOTE_CONDITIONS = 0xC000_0B09_0000_0000L;
    public static final long GPA_RANGE_NOT_BLOCKED = 0xC000_0B06_0000_0000L;
    /** A warning (bit 63 clear): the range was blocked already; nothing changed. */
    public static final long GPA_RANGE_ALREADY_BLOCKED = 0x0000_0B07_0000_0000L;
    public static final long EPT_ENTRY_STATE_INCORRECT = 0xC000_0B0D_0000_0000L;
    public static final long EPT_PAGE_NOT_FREE = 0xC000_0B0E_0000_0000L;
    public static final long OP_STATE_INCORRECT = 0xC000_0608_0000_0000L;
    /** A warning (bit 63 clear): TDG.MEM.PAGE.ACCEPT of a page the guest can use already; the operand is the level. */
    public static final long PAGE_ALREADY_ACCEPTED = 0x0000_0B0A_0000_0000L;
    /** TDG.MEM.PAGE.ACCEPT at a level where a table is: the operand is the level; the guest retries smaller. */
    public static final long PAGE_SIZE_MISMATCH = 0xC000_0B0B_0000_0000L;
    /**
     * Not a TDX status: the model's marker for a TDG.MEM.PAGE.ACCEPT that ends in an EPT-violation exit to the VMM (the
     * module's async_tdexit_ept_violation); the TDCALL does not complete. Outside the module's status space.
     */
    public static final long EPT_VIOLATION_EXIT = 0xFFFF_FFFF_0000_0000L;
    /**
     * Not a TDX status: the model's marker for a guest TDCALL (TDG.MEM.PAGE.ACCEPT) of a TD past TDH.MNG.VPFLUSHDONE,
     * which no vCPU can make (none may enter the TD); nothing happens. Outside the module's status space.
     */
    public static final long NO_VCPU = 0xFFFF_FFFE_0000_0000L;
    public static final long METADATA_FIELD_NOT_READABLE = 0xC000_0C02_0000_0000L;

    // Operand IDs (bits 31:0). RCX, TDR, SEPT and TD_EPOCH are from tdx_errno.h; RAX, RDX, R8 and R9 follow
    // the register-number pattern of RCX = 1 (UNVERIFIED).
    public static final int OPERAND_ID_RAX = 0x00;
    public static final int OPERAND_ID_RCX = 0x01;
    public static final int OPERAND_ID_RDX = 0x02;
    public static final int OPERAND_ID_R8 = 0x08;
    public static final int OPERAND_ID_R9 = 0x09;
    public static final int OPERAND_ID_TDR = 0x80;
    /** The module's OPERAND_ID_SEPT_TREE (146): a busy S-EPT tree, UNBLOCK's tracking error. */
    public static final int OPERAND_ID_SEPT = 0x92;
    public static final int OPERAND_ID_TD_EPOCH = 0xA9;

    public static final long LEVEL_STATE_LEVEL_MASK = 0x7;
    public static final int LEVEL_STATE_STATE_SHIFT = 8;
    public static final long LEVEL_STATE_STATE_MASK = 0xFFL << LEVEL_STATE_STATE_SHIFT;

    private TdxStatus()
    {
    }

    /** A status with an operand ID in bits 31:0. */
    public static long withOperand(final long status, final int operandId)
    {
        return (status & STATUS_MASK) | (operandId & DETAIL_MASK);
    }

    /** The status without its detail bits: compare this with the constants. */
    public static long code(final long status)
    {
        return status & STATUS_MASK;
    }

    public static int operand(final long status)
    {
        return (int)(status & DETAIL_MASK);
    }

    public static boolean isError(final long status)
    {
        return (status & ERROR_BIT) != 0;
    }

    public static boolean isSuccess(final long status)
    {
        return status == SUCCESS;
    }

    /** RDX "level_state" of an S-EPT error: the level and the state the module reports. */
    public static long levelState(final int level, final long entry)
    {
        return (level & LEVEL_STATE_LEVEL_MASK) | ((long)SecureEptEntry.publicState(entry) << LEVEL_STATE_STATE_SHIFT);
    }

    private static final long[] NAMED_CODES = {SUCCESS, OPERAND_INVALID, OPERAND_BUSY, PREVIOUS_TLB_EPOCH_BUSY,
        PAGE_METADATA_INCORRECT, KEY_STATE_INCORRECT, EPT_WALK_FAILED, EPT_ENTRY_NOT_FREE, TLB_TRACKING_NOT_DONE,
        EPT_INVALID_PROMOTE_CONDITIONS, EPT_ENTRY_STATE_INCORRECT, GPA_RANGE_NOT_BLOCKED, GPA_RANGE_ALREADY_BLOCKED,
        EPT_PAGE_NOT_FREE, OP_STATE_INCORRECT, PAGE_ALREADY_ACCEPTED, PAGE_SIZE_MISMATCH, EPT_VIOLATION_EXIT, TD_KEYS_NOT_CONFIGURED,
        FLUSHVP_NOT_DONE, WBCACHE_NOT_COMPLETE, WBCACHE_RESUME_ERROR, NO_HKID_READY_TO_WBCACHE, LIFECYCLE_STATE_INCORRECT,
        TD_ASSOCIATED_PAGES_EXIST, NO_VCPU};
    private static final String[] CODE_NAMES = {"TDX_SUCCESS", "TDX_OPERAND_INVALID", "TDX_OPERAND_BUSY",
        "TDX_PREVIOUS_TLB_EPOCH_BUSY", "TDX_PAGE_METADATA_INCORRECT", "TDX_KEY_STATE_INCORRECT", "TDX_EPT_WALK_FAILED",
        "TDX_EPT_ENTRY_NOT_FREE", "TDX_TLB_TRACKING_NOT_DONE", "TDX_EPT_INVALID_PROMOTE_CONDITIONS", "TDX_EPT_ENTRY_STATE_INCORRECT",
        "TDX_GPA_RANGE_NOT_BLOCKED", "TDX_GPA_RANGE_ALREADY_BLOCKED", "TDX_EPT_PAGE_NOT_FREE", "TDX_OP_STATE_INCORRECT",
        "TDX_PAGE_ALREADY_ACCEPTED", "TDX_PAGE_SIZE_MISMATCH", "EPT_VIOLATION_EXIT(to the VMM)", "TDX_TD_KEYS_NOT_CONFIGURED",
        "TDX_FLUSHVP_NOT_DONE", "TDX_WBCACHE_NOT_COMPLETE", "TDX_WBCACHE_RESUME_ERROR", "TDX_NO_HKID_READY_TO_WBCACHE",
        "TDX_LIFECYCLE_STATE_INCORRECT", "TDX_TD_ASSOCIATED_PAGES_EXIST", "NO_VCPU(the TD is torn down: no vCPU runs)"};

    /** Name of a status code for reports and test messages (not for hot paths). */
    public static String name(final long status)
    {
        final long code = code(status);
        String name = "0x" + Long.toHexString(code);
        for (int i = 0; i < NAMED_CODES.length; i++)
        {
            if (NAMED_CODES[i] == code)
            {
                name = CODE_NAMES[i];
            }
        }
        return name + (operand(status) != 0 ? "|0x" + Integer.toHexString(operand(status)) : "");
    }
}
