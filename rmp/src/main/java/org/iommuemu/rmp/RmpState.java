package org.iommuemu.rmp;

import java.nio.ByteOrder;

import org.agrona.MutableDirectBuffer;

/**
 * The 16-byte RMPUPDATE operand that RCX points to ({@code struct rmp_state}).
 *
 * <pre>
 *  byte  0                                                 8     9     10    11    12          15
 * +---------------------------------------------------+-----+-----+-----+-----+-------------+
 * |                 GPA (u64, little-endian)          | Asg | PgS | Imm |rsvd |  ASID (u32) |
 * +---------------------------------------------------+-----+-----+-----+-----+-------------+
 * </pre>
 *
 * Source: reference sheet section 6.4, Linux {@code arch/x86/include/asm/sev.h: struct rmp_state}
 * ({@code u64 gpa; u8 assigned; u8 pagesize; u8 immutable; u8 rsvd; u32 asid}).
 */
public final class RmpState
{
    public static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    public static final int LENGTH = 16;

    public static final int GPA_OFFSET = 0;
    public static final int ASSIGNED_OFFSET = GPA_OFFSET + 8;
    public static final int PAGE_SIZE_OFFSET = ASSIGNED_OFFSET + 1;
    public static final int IMMUTABLE_OFFSET = PAGE_SIZE_OFFSET + 1;
    public static final int RESERVED_OFFSET = IMMUTABLE_OFFSET + 1;
    public static final int ASID_OFFSET = RESERVED_OFFSET + 1;

    private MutableDirectBuffer buffer;
    private int offset;

    public RmpState wrap(final MutableDirectBuffer buffer, final int offset)
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

    /** Zero all 16 bytes. */
    public RmpState clear()
    {
        buffer.setMemory(offset, LENGTH, (byte)0);
        return this;
    }

    public long gpa()
    {
        return buffer.getLong(offset + GPA_OFFSET, BYTE_ORDER);
    }

    public RmpState gpa(final long value)
    {
        buffer.putLong(offset + GPA_OFFSET, value, BYTE_ORDER);
        return this;
    }

    /** The raw byte; RMPUPDATE accepts 0 or 1. */
    public int assigned()
    {
        return buffer.getByte(offset + ASSIGNED_OFFSET) & 0xFF;
    }

    public RmpState assigned(final int value)
    {
        buffer.putByte(offset + ASSIGNED_OFFSET, (byte)value);
        return this;
    }

    /** The raw byte: {@link RmpEntry#PAGE_SIZE_4K} or {@link RmpEntry#PAGE_SIZE_2M}. */
    public int pageSize()
    {
        return buffer.getByte(offset + PAGE_SIZE_OFFSET) & 0xFF;
    }

    public RmpState pageSize(final int value)
    {
        buffer.putByte(offset + PAGE_SIZE_OFFSET, (byte)value);
        return this;
    }

    public int immutable()
    {
        return buffer.getByte(offset + IMMUTABLE_OFFSET) & 0xFF;
    }

    public RmpState immutable(final int value)
    {
        buffer.putByte(offset + IMMUTABLE_OFFSET, (byte)value);
        return this;
    }

    public int reserved()
    {
        return buffer.getByte(offset + RESERVED_OFFSET) & 0xFF;
    }

    public RmpState reserved(final int value)
    {
        buffer.putByte(offset + RESERVED_OFFSET, (byte)value);
        return this;
    }

    /** The raw u32, as an unsigned value. */
    public long asid()
    {
        return buffer.getInt(offset + ASID_OFFSET, BYTE_ORDER) & 0xFFFF_FFFFL;
    }

    public RmpState asid(final long value)
    {
        buffer.putInt(offset + ASID_OFFSET, (int)value, BYTE_ORDER);
        return this;
    }
}
