package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Scalable-mode context entry: 256 bits, 128 per 4 KiB context table, indexed by devfn &amp; 0x7F.
 * <pre>
 * q0:  63:12                        11:9   8:5    4     3      2     1    0
 *     +----------------------------+------+------+-----+------+-----+----+---+
 *     | PASIDDIRPTR                | PDTS | rsvd | PRE |PASIDE| DTE |FPD | P |
 *     +----------------------------+------+------+-----+------+-----+----+---+
 * q1:  63:21      20         19:0
 *     +----------+----------+-----------+
 *     | reserved | RID_PRIV | RID_PASID |
 *     +----------+----------+-----------+
 * q2, q3: reserved (must be 0)
 * </pre>
 * PDTS: the PASID directory has 2^(PDTS + 7) entries. Sources: TDX module {@code dmar_cte_t}; Linux
 * {@code context_set_sm_rid2pasid}, {@code context_set_sm_dte}, {@code context_pdts}, pasid.h
 * {@code is_pasid_enabled}, {@code get_pasid_dir_size}; QEMU {@code VTD_SM_CONTEXT_ENTRY_RSVD_VAL0/1};
 * shared/reference/vtd-tdx.md 1.5.
 * <p>
 * The class owns the layout: static helpers decode one quadword (offline dumps, builders); an instance is a
 * flyweight over one entry's quadwords 0 and 1 (2 and 3 are reserved and checked when the entry is read) with the
 * fields as named accessors, re-pointed by the translator at the context cache's copy ({@link #set}) or at the entry
 * in memory ({@link #read}). Allocation-free.
 */
public final class ScalableContextEntry
{
    public static final int SIZE = 32;
    public static final long P = 1L;
    public static final long FPD = 1L << 1;
    public static final long DTE = 1L << 2;
    public static final long PASIDE = 1L << 3;
    public static final long PRE = 1L << 4;
    public static final long RESERVED_Q0 = 0x1E0L;
    public static final int PDTS_SHIFT = 9;
    public static final long PDTS = 7L << PDTS_SHIFT;
    public static final long PASIDDIRPTR = 0xFFFF_FFFF_FFFF_F000L;
    public static final long RID_PASID = 0xF_FFFFL;
    public static final long RID_PRIV = 1L << 20;
    public static final long RESERVED_Q1 = 0xFFFF_FFFF_FFE0_0000L;

    private long quadword0;
    private long quadword1;
    private boolean reservedQuadwordsClear = true;

    /** Point the flyweight at an entry's quadwords 0 and 1 (a cached entry: its reserved quadwords were clear). */
    public ScalableContextEntry set(final long q0, final long q1)
    {
        quadword0 = q0;
        quadword1 = q1;
        reservedQuadwordsClear = true;
        return this;
    }

    /** Read the entry at {@code entryAddress}: four fetches (quadwords 2 and 3 only for the reserved check). */
    public ScalableContextEntry read(final PhysicalMemory memory, final long entryAddress)
    {
        quadword0 = memory.readEntry(entryAddress);
        quadword1 = memory.readEntry(entryAddress + 8);
        final long q2 = memory.readEntry(entryAddress + 16);
        final long q3 = memory.readEntry(entryAddress + 24);
        reservedQuadwordsClear = q2 == 0 && q3 == 0;
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

    /** DTE: the device TLB (ATS) is enabled. */
    public boolean deviceTlbEnabled()
    {
        return deviceTlbEnabled(quadword0);
    }

    /** PRE: page requests from the device are allowed. */
    public boolean pageRequestsEnabled()
    {
        return (quadword0 & PRE) != 0;
    }

    /** PASIDE. */
    public boolean pasidEnabled()
    {
        return pasidEnabled(quadword0);
    }

    /** Entries in the PASID directory: 2^(PDTS + 7). */
    public int directoryEntries()
    {
        return directoryEntries(quadword0);
    }

    /** PASIDDIRPTR. */
    public long pasidDirectory()
    {
        return pasidDirectory(quadword0);
    }

    /** RID_PASID. */
    public int ridPasid()
    {
        return ridPasid(quadword1);
    }

    /** Whether a reserved bit (quadwords 0-3, or an address bit above the host address width) is set. */
    public boolean reserved(final int haw)
    {
        return !reservedQuadwordsClear || reserved(quadword0, quadword1, 0, 0, haw);
    }

    public static long address(final long contextTable, final int devfn)
    {
        return contextTable + (long)(devfn & 0x7F) * SIZE;
    }

    public static boolean present(final long q0)
    {
        return (q0 & P) != 0;
    }

    public static boolean faultProcessingDisabled(final long q0)
    {
        return (q0 & FPD) != 0;
    }

    public static boolean deviceTlbEnabled(final long q0)
    {
        return (q0 & DTE) != 0;
    }

    public static boolean pasidEnabled(final long q0)
    {
        return (q0 & PASIDE) != 0;
    }

    /** Entries in the PASID directory: 2^(PDTS + 7). */
    public static int directoryEntries(final long q0)
    {
        return 1 << ((int)((q0 & PDTS) >>> PDTS_SHIFT) + 7);
    }

    public static long pasidDirectory(final long q0)
    {
        return q0 & PASIDDIRPTR;
    }

    public static int ridPasid(final long q1)
    {
        return (int)(q1 & RID_PASID);
    }

    public static boolean reserved(final long q0, final long q1, final long q2, final long q3, final int haw)
    {
        return (q0 & (RESERVED_Q0 | RootEntry.aboveHaw(haw))) != 0 || (q1 & RESERVED_Q1) != 0 || q2 != 0 || q3 != 0;
    }

    /**
     * @param pdts log2(directory entries) - 7.
     */
    public static long q0(final long pasidDirectory, final int pdts, final boolean pasidEnable, final boolean deviceTlb,
        final boolean fpd)
    {
        return (pasidDirectory & PASIDDIRPTR) | ((long)(pdts & 7) << PDTS_SHIFT) | (pasidEnable ? PASIDE : 0) |
            (deviceTlb ? DTE : 0) | (fpd ? FPD : 0) | P;
    }

    public static void write(final PhysicalMemory memory, final long contextTable, final int devfn, final long q0, final long q1)
    {
        final long address = address(contextTable, devfn);
        memory.writeEntry(address, q0);
        memory.writeEntry(address + 8, q1);
        memory.writeEntry(address + 16, 0);
        memory.writeEntry(address + 24, 0);
    }
}
