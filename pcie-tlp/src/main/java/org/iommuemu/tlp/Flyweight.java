package org.iommuemu.tlp;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Base of every flyweight in this package: a buffer and an offset, re-pointed with {@code wrap} and never
 * copied. Wrapped over a {@link DirectBuffer} it reads; wrapped over a {@link MutableDirectBuffer} it also
 * writes. PCIe structures are big-endian on the wire (PCIe Base Spec 2.1.2), so the DW accessors here name
 * {@link java.nio.ByteOrder#BIG_ENDIAN} and subclasses go through them.
 */
public abstract class Flyweight
{
    /** Bytes in a PCIe doubleword. */
    public static final int DW = 4;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutableBuffer;
    private int offset;

    /**
     * Points this flyweight at a structure for reading.
     *
     * @param buffer containing the structure.
     * @param offset of the structure's first byte.
     * @return this.
     */
    public Flyweight wrap(final DirectBuffer buffer, final int offset)
    {
        if (this.buffer != buffer)
        {
            this.buffer = buffer;
            this.mutableBuffer = buffer instanceof MutableDirectBuffer ? (MutableDirectBuffer)buffer : null;
        }
        this.offset = offset;
        return this;
    }

    /** @return the buffer this flyweight is wrapped over. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /** @return the offset of the structure's first byte in {@link #buffer()}. */
    public int offset()
    {
        return offset;
    }

    /**
     * @param dwIndex index of the doubleword within the structure.
     * @return the doubleword, read big-endian.
     */
    protected final int dw(final int dwIndex)
    {
        return buffer.getInt(offset + dwIndex * DW, BIG_ENDIAN);
    }

    /**
     * @param dwIndex index of the doubleword within the structure.
     * @param value   to write big-endian.
     */
    protected final void dw(final int dwIndex, final int value)
    {
        mutable().putInt(offset + dwIndex * DW, value, BIG_ENDIAN);
    }

    /**
     * @param dwIndex index of the doubleword.
     * @param field   {@link BitField} descriptor.
     * @return the field value.
     */
    protected final int field(final int dwIndex, final int field)
    {
        return BitField.get(dw(dwIndex), field);
    }

    /**
     * @param dwIndex index of the doubleword.
     * @param field   {@link BitField} descriptor of one bit.
     * @return the bit.
     */
    protected final boolean flag(final int dwIndex, final int field)
    {
        return BitField.isSet(dw(dwIndex), field);
    }

    /**
     * Read-modify-write of one field.
     *
     * @param dwIndex index of the doubleword.
     * @param field   {@link BitField} descriptor.
     * @param value   new value.
     */
    protected final void field(final int dwIndex, final int field, final int value)
    {
        dw(dwIndex, BitField.set(dw(dwIndex), field, value));
    }

    /**
     * Read-modify-write of one bit.
     *
     * @param dwIndex index of the doubleword.
     * @param field   {@link BitField} descriptor of one bit.
     * @param value   new value.
     */
    protected final void flag(final int dwIndex, final int field, final boolean value)
    {
        dw(dwIndex, BitField.set(dw(dwIndex), field, value));
    }

    /**
     * @param byteOffset within the structure.
     * @return the 64-bit value there, read big-endian.
     */
    protected final long qw(final int byteOffset)
    {
        return buffer.getLong(offset + byteOffset, BIG_ENDIAN);
    }

    /**
     * @param byteOffset within the structure.
     * @param value      to write big-endian.
     */
    protected final void qw(final int byteOffset, final long value)
    {
        mutable().putLong(offset + byteOffset, value, BIG_ENDIAN);
    }

    private MutableDirectBuffer mutable()
    {
        if (null == mutableBuffer)
        {
            throw new IllegalStateException(getClass().getSimpleName() + " is wrapped over a read-only buffer");
        }
        return mutableBuffer;
    }
}
