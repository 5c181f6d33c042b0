package org.iommuemu.rmp;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * The architectural 16-byte view of an RMP entry that RMPREAD writes to the buffer RCX points to
 * ({@code struct rmpentry}). Unlike {@link RmpEntry} this layout is portable across CPU generations.
 *
 * <pre>
 *  byte  0                                        8         9                 10        11    12        15
 * +-------------------------------------------+---------+-----------------+---------+-----+-----------+
 * |             GPA (u64, little-endian)      | b0 Asg  | b0 PgS, b1 HPRS | b0 Imm  |rsvd | ASID u32  |
 * +-------------------------------------------+---------+-----------------+---------+-----+-----------+
 * HPRS = hpage_region_status.
 * </pre>
 *
 * Source: reference sheet section 6.3, Linux {@code arch/x86/virt/svm/sev.c: struct rmpentry}
 * ({@code u64 gpa; u8 assigned:1; u8 pagesize:1, hpage_region_status:1; u8 immutable:1; u8 rsvd; u32 asid}).
 */
public final class RmpReadEntry
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int LENGTH = 16;

    public static final int GPA_OFFSET = 0;
    public static final int ASSIGNED_OFFSET = GPA_OFFSET + 8;
    public static final int PAGE_SIZE_OFFSET = ASSIGNED_OFFSET + 1;
    public static final int IMMUTABLE_OFFSET = PAGE_SIZE_OFFSET + 1;
    public static final int RESERVED_OFFSET = IMMUTABLE_OFFSET + 1;
    public static final int ASID_OFFSET = RESERVED_OFFSET + 1;

    public static final int ASSIGNED_BIT = 0;
    public static final int PAGE_SIZE_BIT = 0;
    public static final int HPAGE_REGION_STATUS_BIT = PAGE_SIZE_BIT + 1;
    public static final int IMMUTABLE_BIT = 0;

    private MutableDirectBuffer buffer;
    private int offset;

    public RmpReadEntry wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    public int offset()
    {
        return offset;
    }

    public long gpa()
    {
        return buffer.getLong(offset + GPA_OFFSET, BYTE_ORDER);
    }

    public boolean assigned()
    {
        return bit(ASSIGNED_OFFSET, ASSIGNED_BIT);
    }

    public int pageSize()
    {
        return bit(PAGE_SIZE_OFFSET, PAGE_SIZE_BIT) ? RmpEntry.PAGE_SIZE_2M : RmpEntry.PAGE_SIZE_4K;
    }

    public boolean hpageRegionStatus()
    {
        return bit(PAGE_SIZE_OFFSET, HPAGE_REGION_STATUS_BIT);
    }

    public boolean immutable()
    {
        return bit(IMMUTABLE_OFFSET, IMMUTABLE_BIT);
    }

    public int asid()
    {
        return buffer.getInt(offset + ASID_OFFSET, BYTE_ORDER);
    }

    /** Write all 16 bytes at once; reserved bits are zero. */
    public RmpReadEntry set(
        final long gpa,
        final boolean assigned,
        final int pageSize,
        final boolean hpageRegionStatus,
        final boolean immutable,
        final int asid)
    {
        buffer.putLong(offset + GPA_OFFSET, gpa, BYTE_ORDER);
        buffer.putByte(offset + ASSIGNED_OFFSET, (byte)(assigned ? 1 << ASSIGNED_BIT : 0));
        buffer.putByte(offset + PAGE_SIZE_OFFSET, (byte)((pageSize == RmpEntry.PAGE_SIZE_2M ? 1 << PAGE_SIZE_BIT : 0) |
            (hpageRegionStatus ? 1 << HPAGE_REGION_STATUS_BIT : 0)));
        buffer.putByte(offset + IMMUTABLE_OFFSET, (byte)(immutable ? 1 << IMMUTABLE_BIT : 0));
        buffer.putByte(offset + RESERVED_OFFSET, (byte)0);
        buffer.putInt(offset + ASID_OFFSET, asid, BYTE_ORDER);
        return this;
    }

    private boolean bit(final int byteOffset, final int bit)
    {
        return (buffer.getByte(offset + byteOffset) & (1 << bit)) != 0;
    }
}
