package org.iommuemu.emulator.vtd;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * Scalable-mode PASID directory entry: 64 bits, indexed by PASID[19:6].
 * <pre>
 *  63:12                               11:2     1    0
 * +-----------------------------------+--------+----+---+
 * | PASID table pointer               |  rsvd  |FPD | P |
 * +-----------------------------------+--------+----+---+
 * </pre>
 * Bits 11:2 as reserved is UNVERIFIED (QEMU checks none); bits at or above HAW are reserved. Sources: QEMU
 * {@code VTD_PASID_DIR_INDEX}, {@code VTD_PASID_DIR_FPD}; Linux pasid.h {@code PASID_PDE_SHIFT}; TDX module
 * {@code dmar_pde_t}; shared/reference/vtd-tdx.md 1.6.
 */
public final class PasidDirectoryEntry
{
    public static final int SIZE = 8;
    public static final long P = 1L;
    public static final long FPD = 1L << 1;
    public static final long RESERVED = 0xFFCL;
    public static final long POINTER = 0xFFFF_FFFF_FFFF_F000L;
    /** PASID[19:6] indexes the directory, PASID[5:0] the table. */
    public static final int INDEX_SHIFT = 6;

    private PasidDirectoryEntry()
    {
    }

    public static long address(final long directory, final int pasid)
    {
        return directory + (long)(pasid >>> INDEX_SHIFT) * SIZE;
    }

    public static boolean present(final long entry)
    {
        return (entry & P) != 0;
    }

    public static boolean faultProcessingDisabled(final long entry)
    {
        return (entry & FPD) != 0;
    }

    public static long pasidTable(final long entry)
    {
        return entry & POINTER;
    }

    public static boolean reserved(final long entry, final int haw)
    {
        return (entry & (RESERVED | RootEntry.aboveHaw(haw))) != 0;
    }

    public static void write(final PhysicalMemory memory, final long directory, final int pasid, final long pasidTable)
    {
        memory.writeEntry(address(directory, pasid), (pasidTable & POINTER) | P);
    }
}
