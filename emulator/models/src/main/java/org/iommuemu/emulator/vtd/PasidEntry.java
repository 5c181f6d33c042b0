package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Scalable-mode PASID table entry: 512 bits (eight quadwords), 64 per 4 KiB table, indexed by PASID[5:0].
 * <pre>
 * q0:  63:12                     11:10  9      8:6    5     4:2   1    0
 *     +-------------------------+------+------+------+-----+-----+----+---+
 *     | SLPTPTR (second stage)  | rsvd |SLADE | PGTT |SLEE | AW  |FPD | P |
 *     +-------------------------+------+------+------+-----+-----+----+---+
 * q1:  63:32  31  30   29:27  26    25   24    23     22:16   15:0
 *     +------+---+----+-----+-----+----+------+------+-------+------+
 *     | PAT  |PCD|PWT | EMT |EMTE | CD |PGSNP |PWSNP | rsvd  | DID  |
 *     +------+---+----+-----+-----+----+------+------+-------+------+
 * q2:  63:12                     11:8   7     6     5     4    3:2    1     0
 *     +-------------------------+------+-----+-----+-----+----+------+-----+-----+
 *     | FLPTPTR (first stage)   | rsvd |EAFE |SMEP | NXE |WPE | FLPM | ERE | SRE |
 *     +-------------------------+------+-----+-----+-----+----+------+-----+-----+
 * q3..q7: reserved (must be 0)
 * </pre>
 * PGTT: 1 first-stage only, 2 second-stage only, 3 nested, 4 pass-through; 0 and 5..7 invalid. Second-stage
 * levels = AW + 2; first-stage levels = 4 + FLPM. Sources: TDX module {@code dmar_pasidte_t}; Linux pasid.h
 * {@code PASID_ENTRY_PGTT_*}, {@code pasid_set_*}; QEMU {@code VTD_PE_GET_SL_LEVEL}, {@code VTD_PE_GET_FL_LEVEL},
 * {@code vtd_pe_type_check}; shared/reference/vtd-tdx.md 1.6.
 * <p>
 * The class owns the layout: static helpers decode one quadword (offline dumps, builders); an instance is a
 * flyweight over one entry's quadwords 0-2 (3-7 are reserved and checked when the entry is read) with the fields as
 * named accessors, re-pointed by the translator at the PASID cache's copy ({@link #set}) or at the entry in memory
 * ({@link #read}). Allocation-free.
 */
public final class PasidEntry
{
    public static final int SIZE = 64;
    public static final int QUADWORDS = SIZE / 8;

    // q0
    public static final long P = 1L;
    public static final long FPD = 1L << 1;
    public static final int AW_SHIFT = 2;
    public static final long AW = 7L << AW_SHIFT;
    public static final long SLEE = 1L << 5;
    public static final int PGTT_SHIFT = 6;
    public static final long PGTT = 7L << PGTT_SHIFT;
    public static final long SLADE = 1L << 9;
    public static final long RESERVED_Q0 = 3L << 10;
    public static final long SLPTPTR = 0xFFFF_FFFF_FFFF_F000L;
    // q1
    public static final long DID = 0xFFFFL;
    public static final long RESERVED_Q1 = 0x7FL << 16;
    // q2
    public static final long SRE = 1L;
    public static final long ERE = 1L << 1;
    public static final int FLPM_SHIFT = 2;
    public static final long FLPM = 3L << FLPM_SHIFT;
    public static final long WPE = 1L << 4;
    public static final long NXE = 1L << 5;
    public static final long SMEP = 1L << 6;
    public static final long EAFE = 1L << 7;
    public static final long RESERVED_Q2 = 0xFL << 8;
    public static final long FLPTPTR = 0xFFFF_FFFF_FFFF_F000L;

    public static final int PGTT_FIRST_STAGE = 1;
    public static final int PGTT_SECOND_STAGE = 2;
    public static final int PGTT_NESTED = 3;
    public static final int PGTT_PASS_THROUGH = 4;

    private long quadword0;
    private long quadword1;
    private long quadword2;
    private boolean reservedQuadwordsClear = true;

    /** Point the flyweight at an entry's quadwords 0-2 (a cached entry: its reserved quadwords were clear). */
    public PasidEntry set(final long q0, final long q1, final long q2)
    {
        quadword0 = q0;
        quadword1 = q1;
        quadword2 = q2;
        reservedQuadwordsClear = true;
        return this;
    }

    /** Read the entry at {@code entryAddress}: eight fetches (quadwords 3-7 only for the reserved check). */
    public PasidEntry read(final PhysicalMemory memory, final long entryAddress)
    {
        quadword0 = memory.readEntry(entryAddress);
        quadword1 = memory.readEntry(entryAddress + 8);
        quadword2 = memory.readEntry(entryAddress + 16);
        long upper = 0;
        for (int i = 3; i < QUADWORDS; i++)
        {
            upper |= memory.readEntry(entryAddress + i * 8L);
        }
        reservedQuadwordsClear = upper == 0;
        return this;
    }

    public long quadword0()
    {
        return quadword0;
    }

    public long quadword1()
    {
        return quadword1;
    }

    public long quadword2()
    {
        return quadword2;
    }

    /** P. */
    public boolean present()
    {
        return present(quadword0);
    }

    /** FPD. */
    public boolean faultProcessingDisabled()
    {
        return faultProcessingDisabled(quadword0);
    }

    /** AW: second-stage levels - 2. */
    public int addressWidth()
    {
        return addressWidth(quadword0);
    }

    /** PGTT. */
    public int pgtt()
    {
        return pgtt(quadword0);
    }

    /** SLADE (SSADE): second-stage accessed and dirty flags are updated by the hardware. */
    public boolean secondStageAccessedDirty()
    {
        return secondStageAccessedDirty(quadword0);
    }

    /** SLEE. */
    public boolean secondStageExecute()
    {
        return secondStageExecute(quadword0);
    }

    /** SLPTPTR. */
    public long secondStageRoot()
    {
        return secondStageRoot(quadword0);
    }

    /** DID. */
    public int domainId()
    {
        return domainId(quadword1);
    }

    /** SRE. */
    public boolean supervisorRequests()
    {
        return supervisorRequests(quadword2);
    }

    /** ERE. */
    public boolean executeRequests()
    {
        return executeRequests(quadword2);
    }

    /** WPE. */
    public boolean writeProtect()
    {
        return writeProtect(quadword2);
    }

    /** First-stage levels: 4 + FLPM. */
    public int firstStageLevels()
    {
        return firstStageLevels(quadword2);
    }

    /** FLPTPTR. */
    public long firstStageRoot()
    {
        return firstStageRoot(quadword2);
    }

    /** {@link #reserved(int)}, and SSADE without ECAP.SSADS ({@link #reserved(long, long, long, int, long)}). */
    public boolean reserved(final int haw, final long ecap)
    {
        return !reservedQuadwordsClear || reserved(quadword0, quadword1, quadword2, haw, ecap);
    }

    /** Whether a reserved bit (quadwords 0-7, or an address bit above the host address width) is set. */
    public boolean reserved(final int haw)
    {
        return !reservedQuadwordsClear || reserved(quadword0, quadword1, quadword2, haw);
    }

    public static long address(final long pasidTable, final int pasid)
    {
        return pasidTable + (long)(pasid & 0x3F) * SIZE;
    }

    public static boolean present(final long q0)
    {
        return (q0 & P) != 0;
    }

    public static boolean faultProcessingDisabled(final long q0)
    {
        return (q0 & FPD) != 0;
    }

    public static int addressWidth(final long q0)
    {
        return (int)((q0 & AW) >>> AW_SHIFT);
    }

    public static int pgtt(final long q0)
    {
        return (int)((q0 & PGTT) >>> PGTT_SHIFT);
    }

    /** SLADE (SSADE, bit 9). */
    public static boolean secondStageAccessedDirty(final long q0)
    {
        return (q0 & SLADE) != 0;
    }

    public static boolean secondStageExecute(final long q0)
    {
        return (q0 & SLEE) != 0;
    }

    public static long secondStageRoot(final long q0)
    {
        return q0 & SLPTPTR;
    }

    public static int domainId(final long q1)
    {
        return (int)(q1 & DID);
    }

    public static boolean supervisorRequests(final long q2)
    {
        return (q2 & SRE) != 0;
    }

    public static boolean executeRequests(final long q2)
    {
        return (q2 & ERE) != 0;
    }

    /** First-stage levels: 4 + FLPM. */
    public static int firstStageLevels(final long q2)
    {
        return 4 + (int)((q2 & FLPM) >>> FLPM_SHIFT);
    }

    public static long firstStageRoot(final long q2)
    {
        return q2 & FLPTPTR;
    }

    /**
     * Reserved bits in q0..q2 on a unit with {@code ecap}: those of {@link #reserved(long, long, long, int)}, SSADE
     * (bit 9), which is reserved (0) without ECAP.SSADS, and SRE (q2 bit 0), reserved (0) without ECAP.SRS.
     */
    public static boolean reserved(final long q0, final long q1, final long q2, final int haw, final long ecap)
    {
        // SSADE needs ECAP.SSADS; SRE is Reserved(0) without ECAP.SRS (the specification's words as Linux's "Set SRE bit
        // only when hardware has SRS cap" quotes them, with the 0x5A fault that setting it caused on such a unit).
        return reserved(q0, q1, q2, haw) || ((q0 & SLADE) != 0 && (ecap & VtdRegisters.ECAP_SLADS) == 0) ||
            ((q2 & SRE) != 0 && (ecap & VtdRegisters.ECAP_SRS) == 0);
    }

    /** Reserved bits in q0..q2 (q3..q7 are checked by the reader: they must be 0). */
    public static boolean reserved(final long q0, final long q1, final long q2, final int haw)
    {
        final long above = RootEntry.aboveHaw(haw);
        return (q0 & (RESERVED_Q0 | above)) != 0 || (q1 & RESERVED_Q1) != 0 || (q2 & (RESERVED_Q2 | above)) != 0;
    }

    public static long q0(final int pgtt, final long secondStageRoot, final int addressWidth, final boolean slee, final boolean fpd)
    {
        return (secondStageRoot & SLPTPTR) | ((long)(pgtt & 7) << PGTT_SHIFT) | ((long)(addressWidth & 7) << AW_SHIFT) |
            (slee ? SLEE : 0) | (fpd ? FPD : 0) | P;
    }

    public static long q1(final int domainId)
    {
        return domainId & DID;
    }

    public static long q2(final long firstStageRoot, final int firstStageLevels, final boolean sre, final boolean ere)
    {
        return (firstStageRoot & FLPTPTR) | ((long)((firstStageLevels - 4) & 3) << FLPM_SHIFT) | (sre ? SRE : 0) | (ere ? ERE : 0);
    }

    public static boolean writeProtect(final long q2)
    {
        return (q2 & WPE) != 0;
    }

    /** Write the whole entry: q0..q2 as given, q3..q7 zero. */
    public static void write(final PhysicalMemory memory, final long pasidTable, final int pasid, final long q0, final long q1,
        final long q2)
    {
        final long address = address(pasidTable, pasid);
        memory.writeEntry(address, q0);
        memory.writeEntry(address + 8, q1);
        memory.writeEntry(address + 16, q2);
        for (int i = 3; i < QUADWORDS; i++)
        {
            memory.writeEntry(address + i * 8L, 0);
        }
    }

    /** What makes a present scalable-mode PASID entry invalid for a unit (SM_PASID_ENTRY_INVALID), or {@link #VALID}. */
    public enum Validity
    {
        /** Usable. */
        VALID,
        /** PGTT 0, 5, 6 or 7. */
        RESERVED_PGTT,
        /** The PGTT's translation is not in ECAP (FLTS, SLTS, NEST, PT). */
        PGTT_NOT_SUPPORTED,
        /** A second-stage or nested entry whose AW is not in CAP.SAGAW. */
        AW_NOT_IN_SAGAW,
        /** A first-stage or nested entry with 5-level first-stage tables and no CAP.FS5LP. */
        FIRST_STAGE_LEVELS_NOT_SUPPORTED
    }

    /**
     * Whether a unit with {@code cap} and {@code ecap} can use an entry of translation type {@code pgtt}, second-stage
     * address width {@code aw} and {@code firstLevels}-level first-stage tables (vtd-tdx.md; the rules
     * {@code VtdTranslator} applies and the offline dump explains).
     */
    public static Validity check(final int pgtt, final int aw, final int firstLevels, final long cap, final long ecap)
    {
        final long needs;
        switch (pgtt)
        {
            case PGTT_FIRST_STAGE:
                needs = VtdRegisters.ECAP_FLTS;
                break;
            case PGTT_SECOND_STAGE:
                needs = VtdRegisters.ECAP_SLTS;
                break;
            case PGTT_NESTED:
                needs = VtdRegisters.ECAP_NEST;
                break;
            case PGTT_PASS_THROUGH:
                needs = VtdRegisters.ECAP_PT;
                break;
            default:
                return Validity.RESERVED_PGTT;
        }
        if ((ecap & needs) == 0)
        {
            return Validity.PGTT_NOT_SUPPORTED;
        }
        final boolean usesSecond = pgtt == PGTT_SECOND_STAGE || pgtt == PGTT_NESTED;
        final boolean usesFirst = pgtt == PGTT_FIRST_STAGE || pgtt == PGTT_NESTED;
        if (usesSecond && !VtdRegisters.sagawSupports(cap, aw))
        {
            return Validity.AW_NOT_IN_SAGAW;
        }
        if (usesFirst && firstLevels != 4 && !(firstLevels == 5 && (cap & VtdRegisters.CAP_FS5LP) != 0))
        {
            return Validity.FIRST_STAGE_LEVELS_NOT_SUPPORTED;
        }
        return Validity.VALID;
    }
}
