package org.iommuemu.pagetable.memory;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Emulated system physical memory as the page-table walkers, the RMP and the IOMMU models see it.
 * <p>
 * Addresses are system physical addresses of up to {@link #MAX_ADDRESS_LG2} bits. Entries (page-table
 * entries, RMP entries, device-table words) are 64-bit little-endian words at 8-byte aligned addresses;
 * every entry read and write is reported to the {@link MemoryAccessListener}, which is how the timing
 * model and the statistics see table traffic. Bulk data (DMA payloads, images) moves with
 * {@link #read}/{@link #write}.
 * <p>
 * Three backings sit behind this interface (local sparse off-heap memory, a memory-mapped file shared
 * with a co-simulating QEMU, remote memory over the co-simulation socket); walkers never care which.
 * <p>
 * Accesses outside {@code [0, 2^52)} or a misaligned entry access are emulator bugs and throw
 * {@link IllegalArgumentException}; callers that take addresses from untrusted tables mask them to the
 * format's output width first, so a hostile table cannot reach this.
 */
public interface PhysicalMemory
{
    /** Width of a physical address: x86 MAXPHYADDR is at most 52 bits. */
    int MAX_ADDRESS_LG2 = 52;
    /** One past the highest physical address. */
    long ADDRESS_LIMIT = 1L << MAX_ADDRESS_LG2;
    /** The frame (page) granule of the backing stores and the frame allocator. */
    int FRAME_SIZE_LG2 = 12;
    int FRAME_SIZE = 1 << FRAME_SIZE_LG2;
    /** Size of one entry word. */
    int ENTRY_SIZE = 8;

    /**
     * Read the 64-bit little-endian entry at an 8-byte aligned address and report it to the listener.
     * Memory that was never written reads as zero and allocates nothing.
     */
    long readEntry(long address);

    /**
     * Entry {@code index} of the table at {@code tableAddress}: exactly {@link #readEntry(long)} of
     * {@code tableAddress + 8 * index}, result and listener report alike. The walker reads tables this way with
     * {@code stream} (0-7) set to the table's level: reads of one stream tend to stay in one frame (the upper
     * tables of a hot walk are the same walk after walk), and an implementation may use the hint to guess the
     * frame from the stream alone, before it has the table address.
     */
    default long readTableEntry(final long tableAddress, final int index, final int stream)
    {
        return readEntry(tableAddress + ((long)index << 3));
    }

    /** Write the 64-bit little-endian entry at an 8-byte aligned address and report it to the listener. */
    void writeEntry(long address, long value);

    /**
     * Write {@code count} consecutive entries from the 8-byte aligned {@code address}, all inside one 4 KiB
     * frame: {@code firstValue}, {@code firstValue + increment}, ... Each write is reported. This is how a
     * split fills a new table (one frame lookup for 512 stores).
     */
    default void writeEntries(final long address, final int count, final long firstValue, final long increment)
    {
        writeEntries(address, count, firstValue, increment, ENTRY_SIZE);
    }

    /**
     * As {@link #writeEntries(long, int, long, long)} with entries {@code stride} bytes apart (a multiple of
     * 8): how PSMASH rewrites one quadword of 256 consecutive 16-byte RMP entries in one frame.
     */
    void writeEntries(long address, int count, long firstValue, long increment, int stride);

    /**
     * Write {@code count} consecutive 16-byte records from the 16-byte aligned {@code address}, all inside one
     * 4 KiB frame: quadword 0 of record i is {@code firstValue + i * increment}, quadword 1 is {@code secondValue}.
     * Reported as the two strided runs of {@link #writeEntries(long, int, long, long, int)} would be (every
     * quadword 0, then every quadword 1). How PSMASH rewrites up to 256 RMP entries of one frame: an
     * implementation may store each record's two quadwords together, one pass over the frame instead of two.
     */
    default void writeEntryPairs(final long address, final int count, final long firstValue, final long increment,
        final long secondValue)
    {
        writeEntries(address, count, firstValue, increment, 2 * ENTRY_SIZE);
        writeEntries(address + ENTRY_SIZE, count, secondValue, 0, 2 * ENTRY_SIZE);
    }

    /**
     * Read up to {@code count} entries {@code stride} bytes apart from {@code address} (all inside one frame)
     * and return how many leading ones equal {@code firstValue + i * increment}: {@code count} when all do.
     * Each entry read is reported; reading stops at the first mismatch. This is how a merge or PROMOTE
     * recognises a uniform table in one pass over the frame.
     */
    default int matchEntries(final long address, final int count, final long firstValue, final long increment,
        final int stride)
    {
        checkEntryRun(address, count, stride);
        long expected = firstValue;
        for (int i = 0; i < count; i++)
        {
            if (readEntry(address + (long)i * stride) != expected)
            {
                return i;
            }
            expected += increment;
        }
        return count;
    }

    /** Copy {@code length} bytes starting at physical {@code address} into {@code dst}; unwritten memory reads as zero. */
    void read(long address, MutableDirectBuffer dst, int dstOffset, int length);

    /** Copy {@code length} bytes from {@code src} to physical {@code address}. */
    void write(long address, DirectBuffer src, int srcOffset, int length);

    /** Zero {@code length} bytes from {@code address}; frames that were never touched stay untouched. */
    void zero(long address, long length);

    /** The listener every entry access is reported to; never null ({@link MemoryAccessListener#NONE} when unset). */
    MemoryAccessListener listener();

    /** Replace the listener; pass {@link MemoryAccessListener#NONE} to stop reporting. */
    void listener(MemoryAccessListener listener);

    /** Number of 4 KiB frames that hold backing storage (touched by a write). */
    long residentFrames();

    /** Check an entry address, throwing for an emulator bug (out of range or misaligned). */
    static void checkEntryAddress(final long address)
    {
        if ((address & ~(ADDRESS_LIMIT - 1)) != 0 || (address & (ENTRY_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException(
                "entry address 0x" + Long.toHexString(address) + " is misaligned or beyond 2^" + MAX_ADDRESS_LG2);
        }
    }

    /**
     * Check that {@code count} entries {@code stride} bytes apart from {@code address} stay inside one frame,
     * throwing for an emulator bug.
     */
    static void checkEntryRun(final long address, final int count, final int stride)
    {
        checkEntryAddress(address);
        if (count < 0 || stride < ENTRY_SIZE || (stride & (ENTRY_SIZE - 1)) != 0 ||
            (count > 0 && (address & (FRAME_SIZE - 1)) + (long)(count - 1) * stride + ENTRY_SIZE > FRAME_SIZE))
        {
            throw new IllegalArgumentException(
                count + " entries from 0x" + Long.toHexString(address) + " cross a 4 KiB frame");
        }
    }

    /** Check a byte range, throwing for an emulator bug (negative length or beyond the address limit). */
    static void checkRange(final long address, final long length)
    {
        if (address < 0 || length < 0 || address > ADDRESS_LIMIT || length > ADDRESS_LIMIT - address)
        {
            throw new IllegalArgumentException(
                "range 0x" + Long.toHexString(address) + "+" + length + " is beyond 2^" + MAX_ADDRESS_LG2);
        }
    }
}
