package org.iommuemu.emulator.amdvi;

import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * AMD-Vi Device Table Entry: 256 bits as four little-endian quadwords, one per DeviceID, 32 bytes apart from
 * the device table base. The fields the host (v1) translation and its faults need:
 * <pre>
 * q0:  63   62  61  60:58      57:56 55  54   53  52   51:12               11:9  8:7  6:2   1   0
 *     +---+---+---+----------+-----+---+----+---+---+--------------------+-----+----+-----+---+---+
 *     |rsv|IW |IR |GCR3[14:12]| GLX |GV |GIOV|GRP|PPR| host page table root|Mode |HAD | rsv |TV | V |
 *     +---+---+---+----------+-----+---+----+---+---+--------------------+-----+----+-----+---+---+
 * q1:  63:43       42    41:40   39  38  37    36:35  34  33  32  31:16        15:0
 *     +-----------+-----+-------+---+---+-----+------+---+---+---+------------+----------+
 *     |GCR3[51:31]|SATS |SysMgt |EX |SD |Cache|IoCtl |SA |SE | I |GCR3[30:15] | DomainID |
 *     +-----------+-----+-------+---+---+-----+------+---+---+---+------------+----------+
 * </pre>
 * Sources: Linux amd_iommu_types.h ({@code DTE_FLAG_V/TV/IR/IW}, {@code DTE_MODE_MASK}, {@code DTE_HOST_TRP},
 * {@code DTE_DOMID_MASK}, {@code DTE_FLAG_IOTLB}), FreeBSD amd_reg.h; the project's reference
 * amd-vi-rmp.md section 1 (absolute bits: I = 96, SE = 97, SA = 98).
 */
public final class DeviceTableEntry
{
    public static final int SIZE = 32;
    public static final int SIZE_LG2 = 5;

    // Quadword 0.
    public static final long V = 1L;
    public static final long TV = 1L << 1;
    public static final int MODE_SHIFT = 9;
    public static final long MODE = 7L << MODE_SHIFT;
    public static final long ROOT = 0x000F_FFFF_FFFF_F000L;
    public static final long GV = 1L << 55;
    public static final long IR = 1L << 61;
    public static final long IW = 1L << 62;
    // Quadword 1.
    public static final long DOMAIN_ID = 0xFFFFL;
    public static final long I = 1L << 32;
    public static final long SE = 1L << 33;
    public static final long SA = 1L << 34;

    private DeviceTableEntry()
    {
    }

    /** Address of a device's entry. */
    public static long address(final long tableBase, final int deviceId)
    {
        return tableBase + ((long)(deviceId & 0xFFFF) << SIZE_LG2);
    }

    public static long readQuadword(final PhysicalMemory memory, final long entryAddress, final int index)
    {
        return memory.readEntry(entryAddress + ((long)index << 3));
    }

    public static boolean valid(final long q0)
    {
        return (q0 & V) != 0;
    }

    public static boolean translationValid(final long q0)
    {
        return (q0 & TV) != 0;
    }

    public static int mode(final long q0)
    {
        return (int)((q0 & MODE) >>> MODE_SHIFT);
    }

    public static long root(final long q0)
    {
        return q0 & ROOT;
    }

    public static boolean readPermitted(final long q0)
    {
        return (q0 & IR) != 0;
    }

    public static boolean writePermitted(final long q0)
    {
        return (q0 & IW) != 0;
    }

    public static int domainId(final long q1)
    {
        return (int)(q1 & DOMAIN_ID);
    }

    /**
     * The permissions a DTE grants before the page table: IR and IW; v1 tables have no execute or user control.
     * The walk starts from these, so they are ANDed with every entry's.
     */
    public static int permissions(final long q0)
    {
        return (readPermitted(q0) ? Permissions.READ : 0) | (writePermitted(q0) ? Permissions.WRITE : 0) |
            Permissions.EXECUTE | Permissions.USER;
    }

    /** Build quadword 0 of a v1 host-translation entry, as Linux's set_dte_entry does. */
    public static long hostQuadword0(final long root, final int mode, final boolean read, final boolean write)
    {
        return V | TV | ((long)mode << MODE_SHIFT) | (root & ROOT) | (read ? IR : 0) | (write ? IW : 0);
    }

    /** Allow (or forbid) ATS for {@code deviceId}: the I bit. */
    public static void allowAts(final PhysicalMemory memory, final long tableBase, final int deviceId, final boolean allowed)
    {
        final long address = address(tableBase, deviceId) + 8;
        final long q1 = memory.readEntry(address);
        memory.writeEntry(address, allowed ? q1 | I : q1 & ~I);
    }

    /** Write a v1 host-translation entry for {@code deviceId}. */
    public static void writeHost(final PhysicalMemory memory, final long tableBase, final int deviceId,
        final long root, final int mode, final int domainId, final boolean read, final boolean write)
    {
        final long address = address(tableBase, deviceId);
        memory.writeEntry(address, hostQuadword0(root, mode, read, write));
        memory.writeEntry(address + 8, domainId & DOMAIN_ID);
        memory.writeEntry(address + 16, 0);
        memory.writeEntry(address + 24, 0);
    }
}
