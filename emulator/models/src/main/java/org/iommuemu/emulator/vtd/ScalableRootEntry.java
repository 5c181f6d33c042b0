package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Scalable-mode root entry: 128 bits, indexed by bus; two context-table pointers, the lower for devfn 0..127 and
 * the upper for devfn 128..255 (each table holds 128 256-bit scalable-mode context entries, indexed by
 * devfn &amp; 0x7F).
 * <pre>
 *  127:76        75:65  64   63:12         11:1   0
 * +-------------+------+----+-------------+------+----+
 * | UCTP        | rsvd | UP | LCTP        | rsvd | LP |
 * +-------------+------+----+-------------+------+----+
 * </pre>
 * Sources: QEMU {@code vtd_root_entry_present}, {@code vtd_get_context_entry_from_root},
 * {@code VTD_DEVFN_CHECK_MASK}; TDX module {@code dmar_rte_t}; shared/reference/vtd-tdx.md 1.4.
 */
public final class ScalableRootEntry
{
    public static final int SIZE = 16;
    /** LP (in the low quadword) and UP (bit 64, bit 0 of the high quadword). */
    public static final long PRESENT = 1L;
    public static final long POINTER = 0xFFFF_FFFF_FFFF_F000L;
    public static final long RESERVED = 0xFFEL;
    /** devfn bit 7 picks the upper context table. */
    public static final int UPPER_DEVFN = 0x80;

    private ScalableRootEntry()
    {
    }

    /** The half (lo for devfn &lt; 128, hi otherwise) that serves {@code devfn}. */
    public static boolean upper(final int devfn)
    {
        return (devfn & UPPER_DEVFN) != 0;
    }

    public static boolean present(final long half)
    {
        return (half & PRESENT) != 0;
    }

    public static long contextTable(final long half)
    {
        return half & POINTER;
    }

    public static boolean reserved(final long half, final int haw)
    {
        return (half & (RESERVED | RootEntry.aboveHaw(haw))) != 0;
    }

    /** Write both halves; a pointer of -1 leaves that half not present. */
    public static void write(final PhysicalMemory memory, final long rootTable, final int bus, final long lowerTable,
        final long upperTable)
    {
        final long address = RootEntry.address(rootTable, bus);
        memory.writeEntry(address, lowerTable < 0 ? 0 : (lowerTable & POINTER) | PRESENT);
        memory.writeEntry(address + 8, upperTable < 0 ? 0 : (upperTable & POINTER) | PRESENT);
    }
}
