package org.iommuemu.pagetable.memory;

/**
 * Observer of physical memory traffic: every entry read and write, and every bulk data transfer.
 * The timing model charges table fetches through it and statistics count them. Implementations run on
 * the hot path: they must not allocate.
 */
public interface MemoryAccessListener
{
    /** A listener that ignores everything. */
    MemoryAccessListener NONE = new MemoryAccessListener()
    {
    };

    /** An 8-byte entry was read at {@code address} and held {@code value}. */
    default void onEntryRead(final long address, final long value)
    {
    }

    /** An 8-byte entry at {@code address} was written with {@code value}. */
    default void onEntryWrite(final long address, final long value)
    {
    }

    /** {@code length} bytes of data were read from {@code address}. */
    default void onDataRead(final long address, final int length)
    {
    }

    /** {@code length} bytes of data were written to {@code address}. */
    default void onDataWrite(final long address, final int length)
    {
    }
}
