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
 * q2:  63:62 61:60  59:56      55:54 53:52 51:6 (IRT root[51:6])  5  4:1       0
 *     +-----+------+----------+-----+-----+--------------------+---+---------+---+
 *     |LINT |IntCtl|INIT/NMI..| GPM | rsv | interrupt table    |IG |IntTabLen|IV |
 *     +-----+------+----------+-----+-----+--------------------+---+---------+---+
 * </pre>
 * Guest (v2) translation: GV enables it, GLX is the GCR3 table's level count - 1, the GCR3 table root pointer
 * is split over q0[60:58] (SPA[14:12]), q1[31:16] (SPA[30:15]) and q1[63:43] (SPA[51:31]), GPM selects 4-level
 * (0) or 5-level (1) guest tables, GIOV sends requests without a PASID through PASID 0's guest table.
 * <p>
 * Sources: Linux amd_iommu_types.h ({@code DTE_FLAG_V/TV/IR/IW/GV/GIOV}, {@code DTE_MODE_MASK},
 * {@code DTE_HOST_TRP}, {@code DTE_DOMID_MASK}, {@code DTE_FLAG_IOTLB}, {@code DTE_GLX},
 * {@code DTE_GCR3_14_12/30_15/51_31}, {@code DTE_GPT_LEVEL_MASK}, {@code DEV_ENTRY_EX},
 * {@code DTE_IRQ_REMAP_ENABLE}, {@code DTE_IRQ_REMAP_INTCTL}), FreeBSD amd_reg.h; the project's reference
 * amd-vi-rmp.md section 1 (absolute bits: I = 96, SE = 97, SA = 98, EX = 103, IV = 128, GPM = 183:182,
 * IntCtl = 189:188).
 * <p>
 * The class owns the layout: the static helpers decode one quadword (for the offline dumps and the builders), and
 * an instance is a flyweight over one entry's quadwords 0-2 (quadword 3 holds nothing the model uses) with the
 * fields as named accessors: the DTE cache re-points it at the cached entry ({@link #set}) or reads one from memory
 * ({@link #read}), and the model reads the fields from it. Allocation-free.
 */
public final class DeviceTableEntry
{
    public static final int SIZE = 32;
    public static final int SIZE_LG2 = 5;

    // Quadword 0.
    public static final long V = 1L;
    public static final long TV = 1L << 1;
    /** HAD, bits 8:7: host access/dirty update (0 none, 1 A only, 2 reserved, 3 A and D; Linux DTE_FLAG_HAD). */
    public static final int HAD_SHIFT = 7;
    public static final long HAD = 3L << HAD_SHIFT;
    public static final int MODE_SHIFT = 9;
    public static final long MODE = 7L << MODE_SHIFT;
    public static final long ROOT = 0x000F_FFFF_FFFF_F000L;
    /** PPR: the device may send peripheral page requests (PRI). */
    public static final long PPR = 1L << 52;
    public static final long GIOV = 1L << 54;
    public static final long GV = 1L << 55;
    public static final int GLX_SHIFT = 56;
    public static final long GLX = 3L << GLX_SHIFT;
    public static final int GCR3_14_12_SHIFT = 58;
    public static final long GCR3_14_12 = 7L << GCR3_14_12_SHIFT;
    public static final long IR = 1L << 61;
    public static final long IW = 1L << 62;
    // Quadword 1.
    public static final long DOMAIN_ID = 0xFFFFL;
    public static final long I = 1L << 32;
    public static final long SE = 1L << 33;
    public static final long SA = 1L << 34;
    public static final long EX = 1L << 39;
    public static final int GCR3_30_15_SHIFT = 16;
    public static final long GCR3_30_15 = 0xFFFFL << GCR3_30_15_SHIFT;
    public static final int GCR3_51_31_SHIFT = 43;
    public static final long GCR3_51_31 = 0x1F_FFFFL << GCR3_51_31_SHIFT;
    // Quadword 2.
    public static final long IV = 1L;
    public static final int GPM_SHIFT = 54;
    public static final long GPM = 3L << GPM_SHIFT;
    public static final int INT_CTL_SHIFT = 60;
    public static final long INT_CTL = 3L << INT_CTL_SHIFT;
    /** IntCtl values: abort interrupt requests, forward them unmapped, remap them. */
    public static final int INT_CTL_ABORT = 0;
    public static final int INT_CTL_FORWARD = 1;
    public static final int INT_CTL_REMAP = 2;
    /** HAD values: no update, accessed only, reserved, accessed and dirty. */
    public static final int HAD_NONE = 0;
    public static final int HAD_ACCESSED = 1;
    public static final int HAD_RESERVED = 2;
    public static final int HAD_ACCESSED_DIRTY = 3;
    /** GPM values: 4-level and 5-level guest tables (Linux GUEST_PGTABLE_4/5_LEVEL). */
    public static final int GPM_4_LEVEL = 0;
    public static final int GPM_5_LEVEL = 1;

    private long quadword0;
    private long quadword1;
    private long quadword2;

    /** Point the flyweight at an entry's quadwords 0-2. */
    public DeviceTableEntry set(final long q0, final long q1, final long q2)
    {
        quadword0 = q0;
        quadword1 = q1;
        quadword2 = q2;
        return this;
    }

    /** Read the entry at {@code entryAddress}: three fetches, seen by the memory's listener (the timing model). */
    public DeviceTableEntry read(final PhysicalMemory memory, final long entryAddress)
    {
        return set(readQuadword(memory, entryAddress, 0), readQuadword(memory, entryAddress, 1),
            readQuadword(memory, entryAddress, 2));
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

    /** V. */
    public boolean valid()
    {
        return valid(quadword0);
    }

    /** TV. */
    public boolean translationValid()
    {
        return translationValid(quadword0);
    }

    /** Mode: host page table levels (0: none, 7: reserved). */
    public int mode()
    {
        return mode(quadword0);
    }

    /** Mode 7 is reserved, and Mode 0 (no host table) is illegal when SNP is enabled: ILLEGAL_DEV_TABLE_ENTRY. */
    public boolean illegalMode(final boolean snp)
    {
        final int mode = mode();
        return mode == 7 || (mode == 0 && snp);
    }

    /** With GV, GLX 3 and a GPM above 5-level are reserved: ILLEGAL_DEV_TABLE_ENTRY. */
    public boolean illegalGuestFields()
    {
        return guestTranslationValid() && (glx() >= GuestCr3TableEntry.MAX_LEVELS || guestPagingMode() > GPM_5_LEVEL);
    }

    /** HAD = 10b is reserved: ILLEGAL_DEV_TABLE_ENTRY (a choice: the reference lists the value as reserved). */
    public boolean illegalAccessDirty()
    {
        return hostAccessDirty(quadword0) == HAD_RESERVED;
    }

    /**
     * Whether a valid entry is illegal for a request ({@link #illegalMode}, {@link #illegalGuestFields} or
     * {@link #illegalAccessDirty}).
     */
    public boolean illegal(final boolean snp)
    {
        return illegalMode(snp) || illegalGuestFields() || illegalAccessDirty();
    }

    /** HAD: {@link #HAD_NONE}, {@link #HAD_ACCESSED}, {@link #HAD_RESERVED} or {@link #HAD_ACCESSED_DIRTY}. */
    public int hostAccessDirty()
    {
        return hostAccessDirty(quadword0);
    }

    /** PPR: the device may send page requests. */
    public boolean pageRequestsEnabled()
    {
        return (quadword0 & PPR) != 0;
    }

    /** The host page table root. */
    public long root()
    {
        return root(quadword0);
    }

    /** GV. */
    public boolean guestTranslationValid()
    {
        return guestTranslationValid(quadword0);
    }

    /** GIOV. */
    public boolean guestIoProtectionValid()
    {
        return guestIoProtectionValid(quadword0);
    }

    /** GLX. */
    public int glx()
    {
        return glx(quadword0);
    }

    /** The GCR3 table root pointer. */
    public long gcr3Root()
    {
        return gcr3Root(quadword0, quadword1);
    }

    /** GPM. */
    public int guestPagingMode()
    {
        return guestPagingMode(quadword2);
    }

    /** DomainID. */
    public int domainId()
    {
        return domainId(quadword1);
    }

    /** I: the device may use ATS. */
    public boolean atsAllowed()
    {
        return (quadword1 & I) != 0;
    }

    /** SE or SA: IO_PAGE_FAULT events are suppressed. */
    public boolean faultsSuppressed()
    {
        return (quadword1 & (SE | SA)) != 0;
    }

    /** EX. */
    public boolean exclusionAllowed()
    {
        return exclusionAllowed(quadword1);
    }

    /** IV. */
    public boolean interruptMapValid()
    {
        return interruptMapValid(quadword2);
    }

    /** IntCtl. */
    public int interruptControl()
    {
        return interruptControl(quadword2);
    }

    /** IR and IW as the host walk's starting permissions: see {@link #permissions(long)}. */
    public int permissions()
    {
        return permissions(quadword0);
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

    public static int hostAccessDirty(final long q0)
    {
        return (int)((q0 & HAD) >>> HAD_SHIFT);
    }

    /** Quadword 0 with HAD set to {@code had}. */
    public static long withHostAccessDirty(final long q0, final int had)
    {
        return (q0 & ~HAD) | (((long)had << HAD_SHIFT) & HAD);
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

    public static boolean guestTranslationValid(final long q0)
    {
        return (q0 & GV) != 0;
    }

    public static boolean guestIoProtectionValid(final long q0)
    {
        return (q0 & GIOV) != 0;
    }

    /** GLX: the GCR3 table has {@code glx + 1} levels (3 is reserved). */
    public static int glx(final long q0)
    {
        return (int)((q0 & GLX) >>> GLX_SHIFT);
    }

    /** The GCR3 table root pointer (an SPA, 4 KiB aligned) reassembled from its three pieces. */
    public static long gcr3Root(final long q0, final long q1)
    {
        return ((q0 & GCR3_14_12) >>> GCR3_14_12_SHIFT) << 12 |
            ((q1 & GCR3_30_15) >>> GCR3_30_15_SHIFT) << 15 |
            ((q1 & GCR3_51_31) >>> GCR3_51_31_SHIFT) << 31;
    }

    /** Quadword 0's and quadword 1's pieces of a GCR3 table root pointer, to OR into those quadwords. */
    public static long gcr3Quadword0(final long root)
    {
        return ((root >>> 12) & 7L) << GCR3_14_12_SHIFT;
    }

    public static long gcr3Quadword1(final long root)
    {
        return ((root >>> 15) & 0xFFFFL) << GCR3_30_15_SHIFT | ((root >>> 31) & 0x1F_FFFFL) << GCR3_51_31_SHIFT;
    }

    /** GPM: {@link #GPM_4_LEVEL}, {@link #GPM_5_LEVEL}, or a reserved value. */
    public static int guestPagingMode(final long q2)
    {
        return (int)((q2 & GPM) >>> GPM_SHIFT);
    }

    public static boolean exclusionAllowed(final long q1)
    {
        return (q1 & EX) != 0;
    }

    public static boolean interruptMapValid(final long q2)
    {
        return (q2 & IV) != 0;
    }

    public static int interruptControl(final long q2)
    {
        return (int)((q2 & INT_CTL) >>> INT_CTL_SHIFT);
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

    /**
     * Build quadwords 0 and 1 of an entry with guest (v2) translation as Linux's set_dte_entry and
     * set_dte_gcr3_table do: V, TV, GV, GLX, the GCR3 root, IR/IW, DomainID; {@code hostMode} 0 for guest-only
     * translation (GPA = SPA), 1-6 for nested translation through the host table at {@code hostRoot}.
     */
    public static void guestQuadwords(final long[] dst, final long hostRoot, final int hostMode, final int domainId,
        final long gcr3Root, final int glx, final boolean giov, final boolean read, final boolean write)
    {
        dst[0] = hostQuadword0(hostRoot, hostMode, read, write) | GV | (giov ? GIOV : 0) | ((long)(glx & 3) << GLX_SHIFT) |
            gcr3Quadword0(gcr3Root);
        dst[1] = (domainId & DOMAIN_ID) | gcr3Quadword1(gcr3Root);
    }

    /** Quadword 2 with the guest paging mode (4 or 5 levels). */
    public static long guestPagingQuadword2(final int guestLevels)
    {
        return (long)(guestLevels == 5 ? GPM_5_LEVEL : GPM_4_LEVEL) << GPM_SHIFT;
    }

    /** Allow (or forbid) ATS for {@code deviceId}: the I bit. */
    public static void allowAts(final PhysicalMemory memory, final long tableBase, final int deviceId, final boolean allowed)
    {
        quadword1Bit(memory, tableBase, deviceId, I, allowed);
    }

    /** Set or clear {@code deviceId}'s EX bit (the exclusion range applies to its requests). */
    public static void allowExclusion(final PhysicalMemory memory, final long tableBase, final int deviceId, final boolean allowed)
    {
        quadword1Bit(memory, tableBase, deviceId, EX, allowed);
    }

    /** Set or clear {@code bit} of {@code deviceId}'s quadword 1 in memory. */
    private static void quadword1Bit(final PhysicalMemory memory, final long tableBase, final int deviceId, final long bit,
        final boolean set)
    {
        final long address = address(tableBase, deviceId) + 8;
        final long q1 = memory.readEntry(address);
        memory.writeEntry(address, set ? q1 | bit : q1 & ~bit);
    }

    /** Write a v1 host-translation entry for {@code deviceId}. */
    public static void writeHost(final PhysicalMemory memory, final long tableBase, final int deviceId,
        final long root, final int mode, final int domainId, final boolean read, final boolean write)
    {
        writeHost(memory, tableBase, deviceId, root, mode, domainId, read, write, HAD_NONE);
    }

    /** {@link #writeHost(PhysicalMemory, long, int, long, int, int, boolean, boolean)} with HAD = {@code had}. */
    public static void writeHost(final PhysicalMemory memory, final long tableBase, final int deviceId,
        final long root, final int mode, final int domainId, final boolean read, final boolean write, final int had)
    {
        final long address = address(tableBase, deviceId);
        memory.writeEntry(address, withHostAccessDirty(hostQuadword0(root, mode, read, write), had));
        memory.writeEntry(address + 8, domainId & DOMAIN_ID);
        memory.writeEntry(address + 16, 0);
        memory.writeEntry(address + 24, 0);
    }
}
