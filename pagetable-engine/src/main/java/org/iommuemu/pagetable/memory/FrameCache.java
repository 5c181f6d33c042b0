package org.iommuemu.pagetable.memory;

import java.nio.ByteBuffer;

import org.agrona.BufferUtil;
import org.agrona.UnsafeApi;

/**
 * A direct-mapped cache of frame lookups, off-heap: {@code lines} pairs of (key, value) side by side, so one CPU
 * cache line serves both and a hit costs two dependent loads with no array bounds check (every index is masked into
 * range by its caller). Physical memories put it in front of their slower frame lookup ({@link SparseMemory}'s hash
 * map, an image's region search); what a key and a value mean is theirs to decide (a frame's base address or number;
 * a native address or a class code). An empty line holds {@link #EMPTY_KEY}, which no key may equal.
 * <p>
 * The accessors are static over the cache's {@link #address()}, so a hot path holds the address in a final field
 * and inlines them to single loads and stores. The cache keeps its storage reachable for its lifetime; the
 * address stays valid while the owner holds the cache. Not thread-safe.
 */
public final class FrameCache
{
    /** The key of an empty line. */
    public static final long EMPTY_KEY = -1L;

    private final ByteBuffer storage;
    private final long address;
    private final int lines;

    /** @param lines a power of two. */
    public FrameCache(final int lines)
    {
        if (Integer.bitCount(lines) != 1)
        {
            throw new IllegalArgumentException("lines must be a power of two, not " + lines);
        }
        this.lines = lines;
        storage = ByteBuffer.allocateDirect(lines * 2 * Long.BYTES + Long.BYTES);
        address = (BufferUtil.address(storage) + Long.BYTES - 1) & -Long.BYTES;
        clear();
    }

    /** The native address of the pairs. */
    public long address()
    {
        return address;
    }

    public int lines()
    {
        return lines;
    }

    /** Empty every line. */
    public void clear()
    {
        for (int line = 0; line < lines; line++)
        {
            put(address, line << 1, EMPTY_KEY);
            put(address, (line << 1) + 1, 0L);
        }
    }

    /** The index of {@code frame}'s key ({@code lineMask} = lines - 1); its value is at the next index. */
    public static int keyIndex(final long frame, final int lineMask)
    {
        return ((int)frame & lineMask) << 1;
    }

    /** The long at {@code index} of the pairs at {@code address}. */
    public static long get(final long address, final int index)
    {
        return UnsafeApi.getLong(null, address + ((long)index << 3));
    }

    public static void put(final long address, final int index, final long value)
    {
        UnsafeApi.putLong(null, address + ((long)index << 3), value);
    }
}
