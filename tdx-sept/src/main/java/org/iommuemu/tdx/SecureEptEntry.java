package org.iommuemu.tdx;

/**
 * The TDX Secure EPT entry: the EPT entry plus the TDX module's state, lock and type bits.
 * <pre>
 *  63  62  61 60  59   58  57  56  55  54   53   52   51:12     11   10  9  8    7   6    5:3  2  1  0
 * +---+----+--+---+----+---+---+---+---+----+----+----+--------+----+---+--+----+--+----+----+--+--+--+
 * |SVE|TDIO|  |SSS|TDWR|PW |VPW|TDP|TDB|TDBW|TDEX|TDHP| HPA    |TDEL|XU |D |TDGL|PS|IPAT| MT |X |W |R |
 * +---+----+--+---+----+---+---+---+---+----+----+----+--------+----+---+--+----+--+----+----+--+--+--+
 * </pre>
 * Source: TDX module {@code x86_defs.h} {@code SEPT_ENTRY_*_BIT_POSITION} (shared/reference/vtd-tdx.md 5.2).
 * <p>
 * <b>State code.</b> The entry state is a 7-bit code e spread over the entry [T-SEPT
 * {@code SEPT_STATE_ENC_TO_MASK}] (reference 5.3): e[0] to bit 9 (D), e[4:1] to bits 56:53 (TDEX, TDBW, TDB,
 * TDP), e[6:5] to bits 7:6 (IPAT, PS). A state is matched as {@code (entry & STATE_MASK) == STATE_x}.
 * Every leaf state sets PS, 4 KiB leaves included.
 * <p>
 * This class holds the layout only: constants and pure static helpers; no other class writes a bit position.
 */
public final class SecureEptEntry
{
    public static final long R = 1L;
    public static final long W = 1L << 1;
    public static final long X = 1L << 2;
    public static final long RWX = R | W | X;
    public static final int MEMORY_TYPE_SHIFT = 3;
    public static final long MEMORY_TYPE = 7L << MEMORY_TYPE_SHIFT;
    /** Memory types written by the module: write-back for private memory, uncached for private MMIO. */
    public static final int MEMORY_TYPE_UC = 0;
    public static final int MEMORY_TYPE_WB = 6;
    public static final long IPAT = 1L << 6;
    public static final long PS = 1L << 7;
    /** Accessed, or the guest-side entry lock (TDGL). */
    public static final long TDGL = 1L << 8;
    public static final long D = 1L << 9;
    public static final long XU = 1L << 10;
    /** Host-side entry lock: held by a SEAMCALL that is working on the entry. */
    public static final long TDEL = 1L << 11;
    public static final int HPA_SHIFT = 12;
    /** {@code SEPT_HPA_MASK}. */
    public static final long HPA = 0x000F_FFFF_FFFF_F000L;
    public static final long TDHP = 1L << 52;
    public static final long TDEX = 1L << 53;
    public static final long TDBW = 1L << 54;
    public static final long TDB = 1L << 55;
    public static final long TDP = 1L << 56;
    public static final long VPW = 1L << 57;
    public static final long PW = 1L << 58;
    public static final long TDWR = 1L << 59;
    public static final long SSS = 1L << 60;
    /** 0 = private memory, 1 = private MMIO (TDX Connect). */
    public static final long TDIO = 1L << 62;
    public static final long SVE = 1L << 63;

    /** The bits the state code occupies: 9, 7:6, 56:53. */
    public static final long STATE_MASK = D | IPAT | PS | TDEX | TDBW | TDB | TDP;

    // State codes [T-SEPT sept_state_lookup.h, module 1.5 and 2.0].
    public static final int CODE_FREE = 0x0E;
    public static final int CODE_REMOVED = 0x0C;
    public static final int CODE_NL_MAPPED = 0x00;
    public static final int CODE_NL_BLOCKED = 0x08;
    public static final int CODE_MAPPED = 0x60;
    public static final int CODE_BLOCKED = 0x68;
    public static final int CODE_BLOCKEDW = 0x64;
    public static final int CODE_EXPORTED_BLOCKEDW = 0x66;
    public static final int CODE_EXPORTED_DIRTY = 0x63;
    public static final int CODE_EXPORTED_DIRTY_BLOCKEDW = 0x67;
    public static final int CODE_PENDING = 0x70;
    public static final int CODE_PENDING_BLOCKED = 0x78;
    public static final int CODE_PENDING_BLOCKEDW = 0x74;
    public static final int CODE_PENDING_EXPORTED_BLOCKEDW = 0x76;
    public static final int CODE_PENDING_EXPORTED_DIRTY = 0x73;
    public static final int CODE_PENDING_EXPORTED_DIRTY_BLOCKEDW = 0x77;
    public static final int CODE_MMIO_MAPPED = 0x40;
    public static final int CODE_MMIO_BLOCKED = 0x48;
    public static final int CODE_MMIO_PENDING = 0x50;

    // The same states as entry bits (the encoding rule applied to the codes above).
    public static final long STATE_FREE = stateBits(CODE_FREE);
    public static final long STATE_REMOVED = stateBits(CODE_REMOVED);
    public static final long STATE_NL_MAPPED = stateBits(CODE_NL_MAPPED);
    public static final long STATE_NL_BLOCKED = stateBits(CODE_NL_BLOCKED);
    public static final long STATE_MAPPED = stateBits(CODE_MAPPED);
    public static final long STATE_BLOCKED = stateBits(CODE_BLOCKED);
    public static final long STATE_BLOCKEDW = stateBits(CODE_BLOCKEDW);
    public static final long STATE_EXPORTED_BLOCKEDW = stateBits(CODE_EXPORTED_BLOCKEDW);
    public static final long STATE_EXPORTED_DIRTY = stateBits(CODE_EXPORTED_DIRTY);
    public static final long STATE_EXPORTED_DIRTY_BLOCKEDW = stateBits(CODE_EXPORTED_DIRTY_BLOCKEDW);
    public static final long STATE_PENDING = stateBits(CODE_PENDING);
    public static final long STATE_PENDING_BLOCKED = stateBits(CODE_PENDING_BLOCKED);
    public static final long STATE_PENDING_BLOCKEDW = stateBits(CODE_PENDING_BLOCKEDW);
    public static final long STATE_PENDING_EXPORTED_BLOCKEDW = stateBits(CODE_PENDING_EXPORTED_BLOCKEDW);
    public static final long STATE_PENDING_EXPORTED_DIRTY = stateBits(CODE_PENDING_EXPORTED_DIRTY);
    public static final long STATE_PENDING_EXPORTED_DIRTY_BLOCKEDW = stateBits(CODE_PENDING_EXPORTED_DIRTY_BLOCKEDW);
    public static final long STATE_MMIO_MAPPED = stateBits(CODE_MMIO_MAPPED);
    public static final long STATE_MMIO_BLOCKED = stateBits(CODE_MMIO_BLOCKED);
    public static final long STATE_MMIO_PENDING = stateBits(CODE_MMIO_PENDING);

    /** {@code SEPTE_INIT_VALUE}: FREE with SVE, what every slot of a new S-EPT page holds. */
    public static final long INIT_VALUE = STATE_FREE | SVE;

    /** Every state code the module (2.0) writes, in the order of the reference table. */
    private static final int[] CODES = {
        CODE_FREE, CODE_REMOVED, CODE_NL_MAPPED, CODE_NL_BLOCKED, CODE_MAPPED, CODE_BLOCKED, CODE_BLOCKEDW,
        CODE_EXPORTED_BLOCKEDW, CODE_EXPORTED_DIRTY, CODE_EXPORTED_DIRTY_BLOCKEDW, CODE_PENDING, CODE_PENDING_BLOCKED,
        CODE_PENDING_BLOCKEDW, CODE_PENDING_EXPORTED_BLOCKEDW, CODE_PENDING_EXPORTED_DIRTY,
        CODE_PENDING_EXPORTED_DIRTY_BLOCKEDW, CODE_MMIO_MAPPED, CODE_MMIO_BLOCKED, CODE_MMIO_PENDING};
    private static final String[] NAMES = {
        "FREE", "REMOVED", "NL_MAPPED", "NL_BLOCKED", "MAPPED", "BLOCKED", "BLOCKEDW", "EXPORTED_BLOCKEDW",
        "EXPORTED_DIRTY", "EXPORTED_DIRTY_BLOCKEDW", "PENDING", "PENDING_BLOCKED", "PENDING_BLOCKEDW",
        "PENDING_EXPORTED_BLOCKEDW", "PENDING_EXPORTED_DIRTY", "PENDING_EXPORTED_DIRTY_BLOCKEDW", "MMIO_MAPPED",
        "MMIO_BLOCKED", "MMIO_PENDING"};
    /**
     * The state as the module reports it to the VMM (bits 15:8 of RDX, KVM's {@code tdx_sept_level_state}): the
     * {@code public_state} of the TDX module's {@code sept_special_flags_lookup} (1.5), in the order of {@link #CODES}.
     * KVM names 0 FREE, 1 BLOCKED, 2 PENDING, 3 PENDING_BLOCKED, 4 PRESENT. The MMIO states are TDX Connect's and not in
     * the 1.5 table: their 7-bit code is reported (UNVERIFIED).
     */
    private static final int[] PUBLIC_STATES = {
        0, 5, 132, 129, 4, 1, 8, 9, 11, 12, 2, 3, 16, 17, 19, 20, CODE_MMIO_MAPPED, CODE_MMIO_BLOCKED, CODE_MMIO_PENDING};
    /** The module's {@code tlb_tracking_required} per state (1.5), in the order of {@link #CODES}; MMIO states: yes. */
    private static final boolean[] TRACKING_REQUIRED = {
        false, false, true, true, true, true, true, false, true, true, true, true, true, false, true, true, true, true, true};
    /** Code to legality, indexed by the 7-bit code. */
    private static final boolean[] LEGAL = new boolean[128];
    private static final int[] PUBLIC_STATE = new int[128];
    private static final boolean[] TRACKING = new boolean[128];

    static
    {
        for (int i = 0; i < CODES.length; i++)
        {
            LEGAL[CODES[i]] = true;
            PUBLIC_STATE[CODES[i]] = PUBLIC_STATES[i];
            TRACKING[CODES[i]] = TRACKING_REQUIRED[i];
        }
    }

    /** The state the module reports for {@code entry} in RDX bits 15:8 ({@link #PUBLIC_STATES}); an illegal code as it is. */
    public static int publicState(final long entry)
    {
        final int code = stateCode(entry);
        return LEGAL[code] ? PUBLIC_STATE[code] : code;
    }

    /**
     * Whether changing or removing an entry in this state needs it blocked and the TLB tracked first (once the TD runs;
     * the module's {@code sept_state_is_tlb_tracking_required}).
     */
    public static boolean trackingRequired(final long entry)
    {
        return TRACKING[stateCode(entry)];
    }

    private SecureEptEntry()
    {
    }

    /** The encoding rule {@code SEPT_STATE_ENC_TO_MASK}: a 7-bit state code as entry bits. */
    public static long stateBits(final int code)
    {
        return ((code & 1L) << 9) | (((code >>> 1) & 0xFL) << 53) | (((code >>> 5) & 3L) << 6);
    }

    /** The 7-bit state code of an entry (the inverse of {@link #stateBits}). */
    public static int stateCode(final long entry)
    {
        return (int)(((entry >>> 9) & 1) | (((entry >>> 53) & 0xF) << 1) | (((entry >>> 6) & 3) << 5));
    }

    /** The state bits of an entry, to compare with the {@code STATE_*} constants. */
    public static long state(final long entry)
    {
        return entry & STATE_MASK;
    }

    /** Whether the code is one the module writes (1.5 states plus the 2.0 MMIO states). */
    public static boolean isLegalCode(final int code)
    {
        return code >= 0 && code < LEGAL.length && LEGAL[code];
    }

    /** Whether the entry's state is a leaf state (PS is part of the code and set for every leaf state). */
    public static boolean isLeafState(final long entry)
    {
        return (entry & PS) != 0;
    }

    /** FREE or REMOVED: nothing is mapped through the entry. */
    public static boolean isFree(final long entry)
    {
        final long state = entry & STATE_MASK;
        return state == STATE_FREE || state == STATE_REMOVED;
    }

    /** {@code is_sept_blocked}: TDB set, TDP ignored, so PENDING_BLOCKED and MMIO_BLOCKED match too. */
    public static boolean isBlocked(final long entry)
    {
        return (entry & TDB) != 0 && !isFree(entry);
    }

    /** Pending states (TDP set): PENDING*, MMIO_PENDING. */
    public static boolean isPending(final long entry)
    {
        return (entry & TDP) != 0;
    }

    /** Whether the entry maps private MMIO. */
    public static boolean isMmio(final long entry)
    {
        return (entry & TDIO) != 0;
    }

    public static long hpa(final long entry)
    {
        return entry & HPA;
    }

    public static long withHpa(final long entry, final long hpa)
    {
        return (entry & ~HPA) | (hpa & HPA);
    }

    /** Replace the state bits, keeping everything else. */
    public static long withState(final long entry, final long stateBits)
    {
        return (entry & ~STATE_MASK) | (stateBits & STATE_MASK);
    }

    public static long memoryTypeBits(final int memoryType)
    {
        return ((long)memoryType << MEMORY_TYPE_SHIFT) & MEMORY_TYPE;
    }

    /** Spec name of a state, or {@code ILLEGAL(0xNN)}; for reports and tests, not for hot paths. */
    public static String stateName(final long entry)
    {
        final int code = stateCode(entry);
        for (int i = 0; i < CODES.length; i++)
        {
            if (CODES[i] == code)
            {
                return NAMES[i];
            }
        }
        return "ILLEGAL(0x" + Integer.toHexString(code) + ")";
    }

    /** Number of legal states and the i-th code, for tests that iterate every state. */
    public static int stateCount()
    {
        return CODES.length;
    }

    public static int codeAt(final int i)
    {
        return CODES[i];
    }
}
