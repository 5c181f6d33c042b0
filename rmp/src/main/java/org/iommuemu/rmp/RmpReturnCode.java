package org.iommuemu.rmp;

/**
 * EAX return codes of RMPUPDATE, PSMASH, PVALIDATE, RMPADJUST and RMPREAD: architectural results, returned
 * as values. Source: reference sheet section 6.4 (upstream {@code arch/x86/include/asm/sev.h} for 3, 4, 6
 * and 255; pre-upstream SNP patch sets for 1 and 2; 7 from a KVM mailing-list report, UNVERIFIED).
 */
public final class RmpReturnCode
{
    public static final int SUCCESS = 0;
    /** Malformed operand: misaligned address, reserved field set, address not RMP-covered. */
    public static final int FAIL_INPUT = 1;
    /** The entry may not be changed by this caller (Immutable; RMPADJUST beyond the caller's VMPL rights). */
    public static final int FAIL_PERMISSION = 2;
    /** The entry is in use (by another CPU or a running vCPU). */
    public static final int FAIL_INUSE = 3;
    /** A 4 KiB update inside a 2 MiB entry, or a 2 MiB update over assigned 4 KiB entries. */
    public static final int FAIL_OVERLAP = 4;
    /** PVALIDATE/RMPADJUST asked for 2 MiB over 4 KiB entries. */
    public static final int FAIL_SIZEMISMATCH = 6;
    /** PSMASH on an entry that is not 2 MiB, as observed on hardware (UNVERIFIED; see {@link RmpConfig.PsmashSmallEntryCode}). */
    public static final int FAIL_BADADDR_OBSERVED = 7;
    /** PSMASH_FAIL_BADADDR of the pre-upstream patches (UNVERIFIED). */
    public static final int FAIL_BADADDR_PRE_UPSTREAM = 4;
    /** Software code for PVALIDATE's CF=1: the Validated bit already had the requested value. */
    public static final int NO_UPDATE = 255;

    private RmpReturnCode()
    {
    }

    public static String name(final int code)
    {
        switch (code)
        {
            case SUCCESS: return "SUCCESS";
            case FAIL_INPUT: return "FAIL_INPUT";
            case FAIL_PERMISSION: return "FAIL_PERMISSION";
            case FAIL_INUSE: return "FAIL_INUSE";
            case FAIL_OVERLAP: return "FAIL_OVERLAP";
            case FAIL_SIZEMISMATCH: return "FAIL_SIZEMISMATCH";
            case FAIL_BADADDR_OBSERVED: return "FAIL_BADADDR(7)";
            case NO_UPDATE: return "NO_UPDATE";
            default: return "UNKNOWN(" + code + ")";
        }
    }
}
