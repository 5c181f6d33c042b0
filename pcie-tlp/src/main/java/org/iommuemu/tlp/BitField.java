package org.iommuemu.tlp;

/**
 * A bit field inside a 32-bit word, packed into one {@code int} as {@code shift | width << 8} so a
 * flyweight can declare its whole layout as constants ({@code FMT = BitField.of(29, 3)}) and never write a
 * bit position inline. All helpers are static and allocate nothing.
 */
public final class BitField
{
    private BitField()
    {
    }

    /**
     * Describes a field.
     *
     * @param shift of the field's least significant bit within the word.
     * @param width of the field in bits, 1 to 32.
     * @return the packed field descriptor.
     */
    public static int of(final int shift, final int width)
    {
        if (shift < 0 || width < 1 || shift + width > 32)
        {
            throw new IllegalArgumentException("bad field shift=" + shift + " width=" + width);
        }
        return shift | (width << 8);
    }

    /**
     * @param field descriptor from {@link #of(int, int)}.
     * @return the bit position of the field's least significant bit.
     */
    public static int shift(final int field)
    {
        return field & 0xFF;
    }

    /**
     * @param field descriptor from {@link #of(int, int)}.
     * @return the width of the field in bits.
     */
    public static int width(final int field)
    {
        return field >>> 8;
    }

    /**
     * @param field descriptor from {@link #of(int, int)}.
     * @return the mask of the field, already shifted into place.
     */
    public static int mask(final int field)
    {
        final int width = field >>> 8;
        return (width == 32 ? -1 : (1 << width) - 1) << (field & 0xFF);
    }

    /**
     * @param word  to read from.
     * @param field descriptor from {@link #of(int, int)}.
     * @return the unsigned value of the field.
     */
    public static int get(final int word, final int field)
    {
        return (word & mask(field)) >>> (field & 0xFF);
    }

    /**
     * @param word  to read from.
     * @param field descriptor of a one-bit field.
     * @return true when the bit is set.
     */
    public static boolean isSet(final int word, final int field)
    {
        return (word & mask(field)) != 0;
    }

    /**
     * @param word  to update.
     * @param field descriptor from {@link #of(int, int)}.
     * @param value to place in the field; bits beyond the field's width are dropped.
     * @return the word with the field replaced.
     */
    public static int set(final int word, final int field, final int value)
    {
        final int mask = mask(field);
        return (word & ~mask) | ((value << (field & 0xFF)) & mask);
    }

    /**
     * @param word  to update.
     * @param field descriptor of a one-bit field.
     * @param value of the bit.
     * @return the word with the bit replaced.
     */
    public static int set(final int word, final int field, final boolean value)
    {
        return set(word, field, value ? 1 : 0);
    }
}
