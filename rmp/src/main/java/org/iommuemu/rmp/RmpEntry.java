package org.iommuemu.rmp;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * One raw, in-memory RMP entry: 16 bytes (two little-endian quadwords) per 4 KiB page of system physical
 * memory, as the Milan/Genoa CPUs and the AMD-SP firmware lay it out.
 *
 * <pre>
 * Quadword 0 (offset 0)
 *  63  62  61  60        51 50                                   12 11        3  2   1   0
 * +---+---+---+------------+---------------------------------------+-----------+---+---+---+
 * |Lck|Val|VMS|   ASID     |          GPA[50:12] (GPA >> 12)       | subpages  |Imm|PgS|Asg|
 * +---+---+---+------------+---------------------------------------+-----------+---+---+---+
 *
 * Quadword 1 (offset 8)
 *  63 62 61      54 53    49       33  32  31      24 23      16 15       8 7        0
 * +-----+----------+--------+---------+---+----------+----------+----------+----------+
 * | mig | IDE strm | rootprt|  rsvd   |IKS| VMPL3    | VMPL2    | VMPL1    | VMPL0    |
 * +-----+----------+--------+---------+---+----------+----------+----------+----------+
 * VMPLn permission byte: bit 0 read, 1 write, 2 execute-user, 3 execute-supervisor, 4 supervisor shadow stack.
 * </pre>
 *
 * Sources (see the reference sheet, section 6.3): Linux {@code arch/x86/virt/svm/sev.c: struct rmpentry_raw}
 * ("not architectural", Milan and Zen4) and AMD's PSP SEV firmware {@code sev_rmp.h: rmp_fields_t,
 * rmp_quadword2_t}. Bits 11:3 are reserved for the kernel; the firmware keeps there, in the 2 MiB-aligned
 * entry, the number of assigned 4 KiB pages of the 2 MiB region other than the first. Bit 63 is "Lock,
 * HW controlled" in the firmware; this model uses it as the in-use marker (see docs/rmp.md).
 * <p>
 * The class is a flyweight: {@link #wrap} points it at an entry address; every field access is a
 * {@link PhysicalMemory#readEntry}/{@link PhysicalMemory#writeEntry} and so is seen by the timing model.
 * Hot paths read quadword 0 once and decode it with the static accessors.
 */
public final class RmpEntry
{
    /** Size of one entry in bytes, and its log2. */
    public static final int LENGTH = 16;
    public static final int LENGTH_LG2 = 4;

    public static final int QUADWORD0_OFFSET = 0;
    public static final int QUADWORD1_OFFSET = QUADWORD0_OFFSET + 8;

    // Quadword 0, chained from bit 0.
    public static final int ASSIGNED_BIT = 0;
    public static final int PAGE_SIZE_BIT = ASSIGNED_BIT + 1;
    public static final int IMMUTABLE_BIT = PAGE_SIZE_BIT + 1;
    public static final int SUBPAGE_COUNT_SHIFT = IMMUTABLE_BIT + 1;
    public static final int SUBPAGE_COUNT_WIDTH = 9;
    public static final int GPA_SHIFT = SUBPAGE_COUNT_SHIFT + SUBPAGE_COUNT_WIDTH;
    public static final int GPA_WIDTH = 39;
    public static final int ASID_SHIFT = GPA_SHIFT + GPA_WIDTH;
    public static final int ASID_WIDTH = 10;
    public static final int VMSA_BIT = ASID_SHIFT + ASID_WIDTH;
    public static final int VALIDATED_BIT = VMSA_BIT + 1;
    public static final int LOCK_BIT = VALIDATED_BIT + 1;

    public static final long ASSIGNED_MASK = 1L << ASSIGNED_BIT;
    public static final long PAGE_SIZE_MASK = 1L << PAGE_SIZE_BIT;
    public static final long IMMUTABLE_MASK = 1L << IMMUTABLE_BIT;
    public static final long SUBPAGE_COUNT_MASK = ((1L << SUBPAGE_COUNT_WIDTH) - 1) << SUBPAGE_COUNT_SHIFT;
    public static final long GPA_FIELD_MASK = ((1L << GPA_WIDTH) - 1) << GPA_SHIFT;
    public static final long ASID_MASK = ((1L << ASID_WIDTH) - 1) << ASID_SHIFT;
    public static final long VMSA_MASK = 1L << VMSA_BIT;
    public static final long VALIDATED_MASK = 1L << VALIDATED_BIT;
    public static final long LOCK_MASK = 1L << LOCK_BIT;

    /** Page_Size values (Linux {@code RMP_PG_SIZE_4K}, {@code RMP_PG_SIZE_2M}). */
    public static final int PAGE_SIZE_4K = 0;
    public static final int PAGE_SIZE_2M = 1;
    /** Largest ASID the 10-bit field holds. */
    public static final int MAX_ASID = (1 << ASID_WIDTH) - 1;
    /** Largest subpage count: the other 511 pages of a 2 MiB region. */
    public static final int MAX_SUBPAGE_COUNT = RmpTable.PAGES_PER_2M - 1;
    /** One past the largest GPA the entry stores (GPA[50:12]). */
    public static final long GPA_LIMIT = 1L << (GPA_WIDTH + RmpTable.PAGE_4K_LG2);

    // Quadword 1, chained from bit 0: four VMPL permission bytes, then the implicit key select bit.
    public static final int VMPL_PERMISSION_WIDTH = 8;
    public static final int VMPL0_SHIFT = 0;
    public static final int VMPL_COUNT = 4;
    public static final int IMPLICIT_KEY_SELECT_BIT = VMPL0_SHIFT + VMPL_COUNT * VMPL_PERMISSION_WIDTH;
    public static final long VMPL_PERMISSION_MASK = (1L << VMPL_PERMISSION_WIDTH) - 1;

    // VMPL permission byte bits, chained.
    public static final int PERMISSION_READ_BIT = 0;
    public static final int PERMISSION_WRITE_BIT = PERMISSION_READ_BIT + 1;
    public static final int PERMISSION_EXECUTE_USER_BIT = PERMISSION_WRITE_BIT + 1;
    public static final int PERMISSION_EXECUTE_SUPERVISOR_BIT = PERMISSION_EXECUTE_USER_BIT + 1;
    public static final int PERMISSION_SUPERVISOR_SHADOW_STACK_BIT = PERMISSION_EXECUTE_SUPERVISOR_BIT + 1;

    public static final int PERMISSION_READ = 1 << PERMISSION_READ_BIT;
    public static final int PERMISSION_WRITE = 1 << PERMISSION_WRITE_BIT;
    public static final int PERMISSION_EXECUTE_USER = 1 << PERMISSION_EXECUTE_USER_BIT;
    public static final int PERMISSION_EXECUTE_SUPERVISOR = 1 << PERMISSION_EXECUTE_SUPERVISOR_BIT;
    public static final int PERMISSION_SUPERVISOR_SHADOW_STACK = 1 << PERMISSION_SUPERVISOR_SHADOW_STACK_BIT;
    /** Every defined permission bit. */
    public static final int PERMISSION_ALL = (1 << (PERMISSION_SUPERVISOR_SHADOW_STACK_BIT + 1)) - 1;

    private PhysicalMemory memory;
    private long address;

    /** Point the flyweight at the entry at {@code address} (16-byte aligned). */
    public RmpEntry wrap(final PhysicalMemory memory, final long address)
    {
        if ((address & (LENGTH - 1)) != 0)
        {
            throw new IllegalArgumentException("RMP entry address 0x" + Long.toHexString(address) + " not 16-byte aligned");
        }
        this.memory = memory;
        this.address = address;
        return this;
    }

    public long address()
    {
        return address;
    }

    public long quadword0()
    {
        return memory.readEntry(address + QUADWORD0_OFFSET);
    }

    public RmpEntry quadword0(final long value)
    {
        memory.writeEntry(address + QUADWORD0_OFFSET, value);
        return this;
    }

    public long quadword1()
    {
        return memory.readEntry(address + QUADWORD1_OFFSET);
    }

    public RmpEntry quadword1(final long value)
    {
        memory.writeEntry(address + QUADWORD1_OFFSET, value);
        return this;
    }

    public boolean assigned()
    {
        return isAssigned(quadword0());
    }

    public RmpEntry assigned(final boolean value)
    {
        return quadword0(withBit(quadword0(), ASSIGNED_MASK, value));
    }

    /** {@link #PAGE_SIZE_4K} or {@link #PAGE_SIZE_2M}. */
    public int pageSize()
    {
        return pageSizeOf(quadword0());
    }

    public RmpEntry pageSize(final int value)
    {
        return quadword0(withBit(quadword0(), PAGE_SIZE_MASK, value == PAGE_SIZE_2M));
    }

    public boolean immutable()
    {
        return isImmutable(quadword0());
    }

    public RmpEntry immutable(final boolean value)
    {
        return quadword0(withBit(quadword0(), IMMUTABLE_MASK, value));
    }

    public int subpageCount()
    {
        return subpageCountOf(quadword0());
    }

    public RmpEntry subpageCount(final int value)
    {
        return quadword0(withSubpageCount(quadword0(), value));
    }

    /** The guest physical address (page aligned). */
    public long gpa()
    {
        return gpaOf(quadword0());
    }

    public RmpEntry gpa(final long value)
    {
        return quadword0(withGpa(quadword0(), value));
    }

    public int asid()
    {
        return asidOf(quadword0());
    }

    public RmpEntry asid(final int value)
    {
        return quadword0(withAsid(quadword0(), value));
    }

    public boolean vmsa()
    {
        return isVmsa(quadword0());
    }

    public RmpEntry vmsa(final boolean value)
    {
        return quadword0(withBit(quadword0(), VMSA_MASK, value));
    }

    public boolean validated()
    {
        return isValidated(quadword0());
    }

    public RmpEntry validated(final boolean value)
    {
        return quadword0(withBit(quadword0(), VALIDATED_MASK, value));
    }

    public boolean lock()
    {
        return isLocked(quadword0());
    }

    public RmpEntry lock(final boolean value)
    {
        return quadword0(withBit(quadword0(), LOCK_MASK, value));
    }

    /** The permission byte of {@code vmpl} (0..3). */
    public int vmplPermissions(final int vmpl)
    {
        return vmplPermissionsOf(quadword1(), vmpl);
    }

    public RmpEntry vmplPermissions(final int vmpl, final int permissions)
    {
        return quadword1(withVmplPermissions(quadword1(), vmpl, permissions));
    }

    // ---- static decoders and encoders over a raw quadword, for paths that read the entry once ----

    public static boolean isAssigned(final long quadword0)
    {
        return (quadword0 & ASSIGNED_MASK) != 0;
    }

    public static int pageSizeOf(final long quadword0)
    {
        return (int)((quadword0 & PAGE_SIZE_MASK) >>> PAGE_SIZE_BIT);
    }

    public static boolean isImmutable(final long quadword0)
    {
        return (quadword0 & IMMUTABLE_MASK) != 0;
    }

    public static int subpageCountOf(final long quadword0)
    {
        return (int)((quadword0 & SUBPAGE_COUNT_MASK) >>> SUBPAGE_COUNT_SHIFT);
    }

    public static long gpaOf(final long quadword0)
    {
        return ((quadword0 & GPA_FIELD_MASK) >>> GPA_SHIFT) << RmpTable.PAGE_4K_LG2;
    }

    public static int asidOf(final long quadword0)
    {
        return (int)((quadword0 & ASID_MASK) >>> ASID_SHIFT);
    }

    public static boolean isVmsa(final long quadword0)
    {
        return (quadword0 & VMSA_MASK) != 0;
    }

    public static boolean isValidated(final long quadword0)
    {
        return (quadword0 & VALIDATED_MASK) != 0;
    }

    public static boolean isLocked(final long quadword0)
    {
        return (quadword0 & LOCK_MASK) != 0;
    }

    public static int vmplPermissionsOf(final long quadword1, final int vmpl)
    {
        return (int)((quadword1 >>> (VMPL0_SHIFT + vmpl * VMPL_PERMISSION_WIDTH)) & VMPL_PERMISSION_MASK);
    }

    public static long withBit(final long quadword, final long mask, final boolean value)
    {
        return value ? quadword | mask : quadword & ~mask;
    }

    public static long withSubpageCount(final long quadword0, final int count)
    {
        if (count < 0 || count > MAX_SUBPAGE_COUNT)
        {
            throw new IllegalArgumentException("subpage count " + count);
        }
        return (quadword0 & ~SUBPAGE_COUNT_MASK) | ((long)count << SUBPAGE_COUNT_SHIFT);
    }

    /** The 2 MiB region entry {@code quadword0} with {@code delta} more (or fewer) assigned subpages counted. */
    public static long withSubpagesAdded(final long quadword0, final int delta)
    {
        return withSubpageCount(quadword0, subpageCountOf(quadword0) + delta);
    }

    public static long withGpa(final long quadword0, final long gpa)
    {
        if (gpa < 0 || gpa >= GPA_LIMIT || (gpa & (RmpTable.PAGE_4K - 1)) != 0)
        {
            throw new IllegalArgumentException("GPA 0x" + Long.toHexString(gpa));
        }
        return (quadword0 & ~GPA_FIELD_MASK) | ((gpa >>> RmpTable.PAGE_4K_LG2) << GPA_SHIFT);
    }

    public static long withAsid(final long quadword0, final int asid)
    {
        if (asid < 0 || asid > MAX_ASID)
        {
            throw new IllegalArgumentException("ASID " + asid);
        }
        return (quadword0 & ~ASID_MASK) | ((long)asid << ASID_SHIFT);
    }

    public static long withVmplPermissions(final long quadword1, final int vmpl, final int permissions)
    {
        if (vmpl < 0 || vmpl >= VMPL_COUNT || (permissions & ~(int)VMPL_PERMISSION_MASK) != 0)
        {
            throw new IllegalArgumentException("VMPL " + vmpl + " permissions 0x" + Integer.toHexString(permissions));
        }
        final int shift = VMPL0_SHIFT + vmpl * VMPL_PERMISSION_WIDTH;
        return (quadword1 & ~(VMPL_PERMISSION_MASK << shift)) | ((long)permissions << shift);
    }

    @Override
    public String toString()
    {
        final long q0 = quadword0();
        return "RmpEntry@0x" + Long.toHexString(address) +
            "{assigned=" + isAssigned(q0) +
            ", pageSize=" + (pageSizeOf(q0) == PAGE_SIZE_2M ? "2M" : "4K") +
            ", immutable=" + isImmutable(q0) +
            ", subpages=" + subpageCountOf(q0) +
            ", gpa=0x" + Long.toHexString(gpaOf(q0)) +
            ", asid=" + asidOf(q0) +
            ", vmsa=" + isVmsa(q0) +
            ", validated=" + isValidated(q0) +
            ", lock=" + isLocked(q0) +
            ", q1=0x" + Long.toHexString(quadword1()) + '}';
    }
}
