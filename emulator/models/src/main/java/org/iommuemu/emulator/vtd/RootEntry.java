package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Legacy-mode root entry: 128 bits, 256 per 4 KiB root table, indexed by the requester's bus number.
 * <pre>
 *  127:64      63:12                          11:1   0
 * +----------+------------------------------+------+---+
 * | reserved | CTP (context table pointer)  | rsvd | P |
 * +----------+------------------------------+------+---+
 * </pre>
 * Bits of CTP at or above HAW are reserved; the whole high quadword must be 0. Sources: Linux intel/iommu.h
 * {@code struct root_entry}; QEMU {@code VTD_ROOT_ENTRY_P/CTP/RSVD}, {@code vtd_root_entry_rsvd_bits_check};
 * shared/reference/vtd-tdx.md 1.2.
 */
public final class RootEntry
{
    public static final int SIZE = 16;
    public static final long P = 1L;
    public static final long CTP = 0xFFFF_FFFF_FFFF_F000L;
    public static final long RESERVED_LOW = 0xFFEL;

    private RootEntry()
    {
    }

    /** Address of the root entry for {@code bus}. */
    public static long address(final long rootTable, final int bus)
    {
        return rootTable + (long)(bus & 0xFF) * SIZE;
    }

    public static boolean present(final long lo)
    {
        return (lo & P) != 0;
    }

    public static long contextTable(final long lo)
    {
        return lo & CTP;
    }

    /** Reserved bits set, given the host address width. */
    public static boolean reserved(final long lo, final long hi, final int haw)
    {
        return (lo & (RESERVED_LOW | aboveHaw(haw))) != 0 || hi != 0;
    }

    /** Write a present root entry pointing at {@code contextTable}. */
    public static void write(final PhysicalMemory memory, final long rootTable, final int bus, final long contextTable)
    {
        final long address = address(rootTable, bus);
        memory.writeEntry(address, (contextTable & CTP) | P);
        memory.writeEntry(address + 8, 0);
    }

    /** Address bits at or above {@code haw}. */
    static long aboveHaw(final int haw)
    {
        return haw >= 64 ? 0 : -1L << haw;
    }
}
