package org.iommuemu.tlp;

/**
 * The ATS S-bit size encoding shared by Translation Completion entries and Invalidate Requests (PCIe Base
 * Spec 10.2.3.2; remembered, UNVERIFIED in the fact sheet): with S = 0 the range is 4 KiB; with S = 1 the
 * lowest-order 0 bit of the address at or above bit 12 marks the size: bit 12 clear means 8 KiB, bits
 * 12 set and 13 clear mean 16 KiB, and so on. Address bits below the size are then not part of the base.
 */
public final class AtsRange
{
    /** Smallest translation, 4 KiB. */
    public static final long MIN_SIZE = 4096;
    /** Address bits an entry carries. */
    public static final long ADDRESS_MASK = ~(MIN_SIZE - 1);

    private AtsRange()
    {
    }

    /**
     * @param address the 64-bit field with bits 11:0 ignored.
     * @param s       the S bit.
     * @return the size in bytes, a power of two of at least 4 KiB; 0 when S = 1 and bits 63:12 are all ones.
     */
    public static long size(final long address, final boolean s)
    {
        if (!s)
        {
            return MIN_SIZE;
        }
        final long ones = (address & ADDRESS_MASK) | (MIN_SIZE - 1);
        final long lowestZero = ~ones & (ones + 1);
        return lowestZero << 1;
    }

    /**
     * @param address the 64-bit field.
     * @param s       the S bit.
     * @return the base of the range, the address with the bits below the size cleared.
     */
    public static long base(final long address, final boolean s)
    {
        final long size = size(address, s);
        return 0 == size ? 0 : address & -size;
    }

    /**
     * Encodes a range as the address field plus S, the inverse of {@link #size} and {@link #base}.
     *
     * @param base of the range, aligned to size.
     * @param size a power of two, at least 4 KiB.
     * @return the address field with bits 11:0 clear; S is {@code size > 4096}.
     */
    public static long encode(final long base, final long size)
    {
        if (size < MIN_SIZE || Long.bitCount(size) != 1 || (base & (size - 1)) != 0)
        {
            throw new IllegalArgumentException("bad ATS range base=0x" + Long.toHexString(base) + " size=" + size);
        }
        return size == MIN_SIZE ? base : base | ((size >>> 1) - 1) & ADDRESS_MASK;
    }
}
