package org.iommuemu.emulator.cache;

/**
 * The address part of a cache key for translation structures: the page number of the input address at the
 * entry's size, and the size.
 * <pre>
 *  63:6                                        5:0
 * +-------------------------------------------+---------+
 * | input address >> sizeLg2                  | sizeLg2 |
 * +-------------------------------------------+---------+
 * </pre>
 * A lookup probes each page size the structure may hold (4 KiB, 2 MiB, 1 GiB ...); range invalidation
 * compares the span {@code [page << sizeLg2, (page + 1) << sizeLg2)} with the scope's range. Structures keyed
 * by something other than an address (a requester ID, a PASID) use the raw value and never match a range.
 */
public final class CacheKey
{
    public static final int SIZE_BITS = 6;
    public static final long SIZE_MASK = (1L << SIZE_BITS) - 1;

    private CacheKey()
    {
    }

    public static long of(final long inputAddress, final int sizeLg2)
    {
        return ((inputAddress >>> sizeLg2) << SIZE_BITS) | sizeLg2;
    }

    public static int sizeLg2(final long key)
    {
        return (int)(key & SIZE_MASK);
    }

    /** First input address the key covers. */
    public static long first(final long key)
    {
        return (key >>> SIZE_BITS) << sizeLg2(key);
    }

    /** Last input address the key covers (inclusive). */
    public static long last(final long key)
    {
        return first(key) + (1L << sizeLg2(key)) - 1;
    }
}
