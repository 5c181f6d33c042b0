package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Legacy-mode context entry: 128 bits, 256 per 4 KiB context table, indexed by devfn.
 * <pre>
 * lo:  63:12                              11:4   3:2  1    0
 *     +----------------------------------+------+----+----+---+
 *     | SLPTPTR (second-stage root)      | rsvd | TT |FPD | P |
 *     +----------------------------------+------+----+----+---+
 * hi:  63:24      23:8     7     6:3     2:0
 *     +----------+--------+-----+-------+----+
 *     | reserved |  DID   |rsvd | AVAIL | AW |
 *     +----------+--------+-----+-------+----+
 * </pre>
 * TT: 0 untranslated requests only, 1 also device-TLB (ATS) requests, 2 pass-through, 3 reserved. AW: levels =
 * AW + 2, AGAW = 30 + 9 AW. Sources: Linux intel/iommu.h {@code struct context_entry},
 * {@code CONTEXT_TT_*}, {@code context_set_domain_id}; QEMU {@code VTD_CONTEXT_ENTRY_*}, {@code vtd_ce_get_level};
 * shared/reference/vtd-tdx.md 1.3.
 * <p>
 * The class owns the layout: static helpers decode one half (offline dumps, builders); an instance is a flyweight
 * over one entry's two halves with the fields as named accessors, re-pointed by the translator at the context
 * cache's copy ({@link #set}) or at the entry in memory ({@link #read}). Allocation-free.
 */
public final class ContextEntry
{
    public static final int SIZE = 16;
    public static final long P = 1L;
    public static final long FPD = 1L << 1;
    public static final int TT_SHIFT = 2;
    public static final long TT = 3L << TT_SHIFT;
    public static final int TT_MULTI_LEVEL = 0;
    public static final int TT_DEVICE_TLB = 1;
    public static final int TT_PASS_THROUGH = 2;
    public static final long SLPTPTR = 0xFFFF_FFFF_FFFF_F000L;
    public static final long RESERVED_LOW = 0xFF0L;
    public static final long AW = 0x7L;
    public static final int DID_SHIFT = 8;
    public static final long DID = 0xFFFFL << DID_SHIFT;
    public static final long RESERVED_HIGH = 0xFFFF_FFFF_FF00_0080L;

    private long low;
    private long high;

    /** Point the flyweight at an entry's halves. */
    public ContextEntry set(final long lo, final long hi)
    {
        low = lo;
        high = hi;
        return this;
    }

    /** Read the entry at {@code entryAddress}: two fetches. */
    public ContextEntry read(final PhysicalMemory memory, final long entryAddress)
    {
        return set(memory.readEntry(entryAddress), memory.readEntry(entryAddress + 8));
    }

    public long low()
    {
        return low;
    }

    public long high()
    {
        return high;
    }

    /** P. */
    public boolean present()
    {
        return present(low);
    }

    /** FPD. */
    public boolean faultProcessingDisabled()
    {
        return faultProcessingDisabled(low);
    }

    /** TT. */
    public int translationType()
    {
        return translationType(low);
    }

    /** SLPTPTR. */
    public long secondStageRoot()
    {
        return secondStageRoot(low);
    }

    /** AW. */
    public int addressWidth()
    {
        return addressWidth(high);
    }

    /** DID. */
    public int domainId()
    {
        return domainId(high);
    }

    /** Whether a reserved bit (or an address bit above the host address width) is set. */
    public boolean reserved(final int haw)
    {
        return reserved(low, high, haw);
    }

    public static long address(final long contextTable, final int devfn)
    {
        return contextTable + (long)(devfn & 0xFF) * SIZE;
    }

    public static boolean present(final long lo)
    {
        return (lo & P) != 0;
    }

    public static boolean faultProcessingDisabled(final long lo)
    {
        return (lo & FPD) != 0;
    }

    public static int translationType(final long lo)
    {
        return (int)((lo & TT) >>> TT_SHIFT);
    }

    public static long secondStageRoot(final long lo)
    {
        return lo & SLPTPTR;
    }

    public static int addressWidth(final long hi)
    {
        return (int)(hi & AW);
    }

    public static int domainId(final long hi)
    {
        return (int)((hi & DID) >>> DID_SHIFT);
    }

    public static boolean reserved(final long lo, final long hi, final int haw)
    {
        return (lo & (RESERVED_LOW | RootEntry.aboveHaw(haw))) != 0 || (hi & RESERVED_HIGH) != 0;
    }

    public static long low(final long secondStageRoot, final int translationType, final boolean fpd)
    {
        return (secondStageRoot & SLPTPTR) | ((long)(translationType & 3) << TT_SHIFT) | (fpd ? FPD : 0) | P;
    }

    public static long high(final int addressWidth, final int domainId)
    {
        return (addressWidth & AW) | (((long)domainId << DID_SHIFT) & DID);
    }

    public static void write(final PhysicalMemory memory, final long contextTable, final int devfn, final long lo, final long hi)
    {
        final long address = address(contextTable, devfn);
        memory.writeEntry(address, lo);
        memory.writeEntry(address + 8, hi);
    }

    /**
     * Whether the unit supports a present legacy context entry's translation type {@code tt} and address width
     * {@code aw}: TT 3 is reserved, TT 1 (device TLB) needs ECAP.DT, TT 2 (pass-through) needs ECAP.PT, a translated
     * entry's AW must be in CAP.SAGAW, and a pass-through entry's AW must be the largest there (the specification's
     * rule for TT 10b, which Linux and Xen follow and VirtualBox's model enforces; QEMU accepts any AW in SAGAW). An
     * unsupported entry gives {@code VtdFaultReason.CONTEXT_ENTRY_INVALID}.
     */
    public static boolean supported(final int tt, final int aw, final long cap, final long ecap)
    {
        return tt != 3 && (tt != TT_DEVICE_TLB || (ecap & VtdRegisters.ECAP_DT) != 0) &&
            (tt != TT_PASS_THROUGH || (ecap & VtdRegisters.ECAP_PT) != 0) &&
            (tt == TT_PASS_THROUGH ? aw == VtdRegisters.largestAw(cap) : VtdRegisters.sagawSupports(cap, aw));
    }
}
