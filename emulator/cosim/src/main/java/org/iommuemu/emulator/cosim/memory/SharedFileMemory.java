package org.iommuemu.emulator.cosim.memory;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The peer's guest RAM, mapped read-write from the file it lives in (QEMU {@code memory-backend-file,share=on} or a
 * memfd's {@code /proc/PID/fd/N}; docs/protocol.md 5): the declared ranges (guest-physical address, file offset,
 * size) are mapped with the JDK's {@link FileChannel#map} in chunks of at most 1 GiB, so walks read the guest's
 * tables without a round trip and the model's stores (event log entries, completion-wait semaphores) are seen by the
 * guest at once. Addresses outside the ranges are not this backing's: {@link RoutedMemory} sends them elsewhere, and
 * an access here outside the ranges is an emulator bug (an exception).
 * <p>
 * Entries are read and written as 8-byte little-endian words at aligned addresses, which x86 makes atomic against
 * the guest's own accesses. Used from one session's model thread.
 */
public final class SharedFileMemory implements PhysicalMemory
{
    /** Largest mapping (an {@link UnsafeBuffer} is int-indexed). */
    static final long CHUNK = 1L << 30;

    private final long[] chunkStart;
    private final long[] chunkEnd;
    private final UnsafeBuffer[] chunks;
    /** Kept referenced for the lifetime of the memory: the buffers above point into them. */
    private final List<MappedByteBuffer> mappings = new ArrayList<>();
    private final long mappedBytes;
    private MemoryAccessListener listener = MemoryAccessListener.NONE;
    private int lastChunk;

    /**
     * @param ranges {gpa, file offset, size} triples, 4 KiB aligned, not overlapping in guest-physical space.
     * @throws IOException when the file cannot be opened or is shorter than a range needs.
     */
    public SharedFileMemory(final Path file, final List<long[]> ranges) throws IOException
    {
        final List<long[]> pieces = new ArrayList<>();
        final List<UnsafeBuffer> buffers = new ArrayList<>();
        long total = 0;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long fileSize = channel.size();
            for (final long[] range : ranges)
            {
                final long gpa = range[0];
                final long offset = range[1];
                final long size = range[2];
                if (((gpa | offset | size) & (FRAME_SIZE - 1)) != 0 || size <= 0)
                {
                    throw new IllegalArgumentException("shared range gpa 0x" + Long.toHexString(gpa) + " offset 0x" +
                        Long.toHexString(offset) + " size 0x" + Long.toHexString(size) + " is not 4 KiB aligned");
                }
                if (offset + size > fileSize)
                {
                    throw new IOException(file + ": the shared range at file offset 0x" + Long.toHexString(offset) + " of 0x" +
                        Long.toHexString(size) + " bytes ends beyond the file's 0x" + Long.toHexString(fileSize) + " bytes");
                }
                for (long done = 0; done < size; done += CHUNK)
                {
                    final long length = Math.min(CHUNK, size - done);
                    final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, offset + done, length);
                    mappings.add(mapping);
                    buffers.add(new UnsafeBuffer(mapping));
                    pieces.add(new long[] {gpa + done, gpa + done + length});
                }
                total += size;
            }
        }
        final int n = pieces.size();
        final Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compareUnsigned(pieces.get(a)[0], pieces.get(b)[0]));
        chunkStart = new long[n];
        chunkEnd = new long[n];
        chunks = new UnsafeBuffer[n];
        for (int i = 0; i < n; i++)
        {
            chunkStart[i] = pieces.get(order[i])[0];
            chunkEnd[i] = pieces.get(order[i])[1];
            chunks[i] = buffers.get(order[i]);
            if (i > 0 && chunkStart[i] < chunkEnd[i - 1])
            {
                throw new IllegalArgumentException("shared ranges overlap at gpa 0x" + Long.toHexString(chunkStart[i]));
            }
        }
        mappedBytes = total;
    }

    /** Whether {@code [address, address + length)} lies in one mapped range. */
    public boolean covers(final long address, final long length)
    {
        final int chunk = chunkOf(address);
        return chunk >= 0 && address + length <= chunkEnd[chunk];
    }

    /** The end (exclusive) of the mapped piece {@code address} is in, or -1 when it is in none. */
    public long pieceEnd(final long address)
    {
        final int chunk = chunkOf(address);
        return chunk < 0 ? -1 : chunkEnd[chunk];
    }

    /** The lowest start of a mapped piece above {@code address}, or -1 when none is. */
    public long nextPieceStart(final long address)
    {
        for (int i = 0; i < chunkStart.length; i++)
        {
            if (Long.compareUnsigned(chunkStart[i], address) > 0)
            {
                return chunkStart[i];
            }
        }
        return -1;
    }

    public long readEntry(final long address)
    {
        final int chunk = entryChunk(address);
        final long value = chunks[chunk].getLong((int)(address - chunkStart[chunk]), ByteOrder.LITTLE_ENDIAN);
        final MemoryAccessListener l = listener;
        if (l != MemoryAccessListener.NONE)
        {
            l.onEntryRead(address, value);
        }
        return value;
    }

    public void writeEntry(final long address, final long value)
    {
        final int chunk = entryChunk(address);
        listener.onEntryWrite(address, value);
        chunks[chunk].putLong((int)(address - chunkStart[chunk]), value, ByteOrder.LITTLE_ENDIAN);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        PhysicalMemory.checkEntryRun(address, count, stride);
        long value = firstValue;
        for (int i = 0; i < count; i++)
        {
            writeEntry(address + (long)i * stride, value);
            value += increment;
        }
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        final int chunk = rangeChunk(address, length);
        listener.onDataRead(address, length);
        chunks[chunk].getBytes((int)(address - chunkStart[chunk]), dst, dstOffset, length);
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        final int chunk = rangeChunk(address, length);
        listener.onDataWrite(address, length);
        chunks[chunk].putBytes((int)(address - chunkStart[chunk]), src, srcOffset, length);
    }

    public void zero(final long address, final long length)
    {
        final int chunk = rangeChunk(address, length);
        chunks[chunk].setMemory((int)(address - chunkStart[chunk]), (int)length, (byte)0);
    }

    public MemoryAccessListener listener()
    {
        return listener;
    }

    public void listener(final MemoryAccessListener listener)
    {
        this.listener = listener == null ? MemoryAccessListener.NONE : listener;
    }

    /** The mapped bytes, as frames. */
    public long residentFrames()
    {
        return mappedBytes >>> FRAME_SIZE_LG2;
    }

    public long mappedBytes()
    {
        return mappedBytes;
    }

    private int entryChunk(final long address)
    {
        final int last = lastChunk;
        if (address >= chunkStart[last] && address < chunkEnd[last] && (address & (ENTRY_SIZE - 1)) == 0)
        {
            return last;
        }
        PhysicalMemory.checkEntryAddress(address);
        return rangeChunk(address, ENTRY_SIZE);
    }

    private int rangeChunk(final long address, final long length)
    {
        final int chunk = chunkOf(address);
        if (chunk < 0 || length < 0 || address + length > chunkEnd[chunk])
        {
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + "+" + length + " is not inside one shared range");
        }
        lastChunk = chunk;
        return chunk;
    }

    private int chunkOf(final long address)
    {
        for (int i = 0; i < chunkStart.length; i++)
        {
            if (address >= chunkStart[i] && address < chunkEnd[i])
            {
                return i;
            }
        }
        return -1;
    }
}
