package org.iommuemu.emulator.cosim.memory;

import java.util.Arrays;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The peer's memory as {@link PhysicalMemory}: every access is a round trip over the co-simulation socket
 * (docs/protocol.md 5, 6.2): an entry read is a READ of 8 bytes, a bulk read or write one READ or WRITE per 4 KiB page
 * it touches. Nothing is cached here: the models' caches are what saves round trips, as on hardware. A read the peer
 * answers with an error reads as zeros (the model then finds a not-present entry) and is counted. Every access is
 * reported to the listener, as {@code SparseMemory} reports them. Used from the session's model thread only.
 */
public final class RemoteMemory implements PhysicalMemory
{
    private static final int PAGE = FRAME_SIZE;

    private final PeerAccess peer;
    private final byte fill;
    private final byte[] entry = new byte[ENTRY_SIZE];
    private final byte[] page = new byte[PAGE];
    private final byte[] zeros = new byte[PAGE];
    private long reads;
    private long writes;
    private long failedReads;
    private long failedWrites;
    private long bytesRead;
    private long bytesWritten;
    private MemoryAccessListener listener = MemoryAccessListener.NONE;

    /** @param fill the byte a failed read reads as: 0xFF (all ones) or 0. */
    public RemoteMemory(final PeerAccess peer, final byte fill)
    {
        this.peer = peer;
        this.fill = fill;
    }

    public long readEntry(final long address)
    {
        PhysicalMemory.checkEntryAddress(address);
        read(address, entry, ENTRY_SIZE);
        final long value = littleEndian(entry, 0);
        listener.onEntryRead(address, value);
        return value;
    }

    public void writeEntry(final long address, final long value)
    {
        PhysicalMemory.checkEntryAddress(address);
        listener.onEntryWrite(address, value);
        putLittleEndian(entry, 0, value);
        write(address, entry, ENTRY_SIZE);
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment, final int stride)
    {
        PhysicalMemory.checkEntryRun(address, count, stride);
        if (count == 0)
        {
            return;
        }
        if (stride == ENTRY_SIZE)
        {
            long value = firstValue;
            for (int i = 0; i < count; i++)
            {
                listener.onEntryWrite(address + (long)i * ENTRY_SIZE, value);
                putLittleEndian(page, i * ENTRY_SIZE, value);
                value += increment;
            }
            write(address, page, count * ENTRY_SIZE);
            return;
        }
        // Strided runs (PSMASH over 16-byte RMP entries): the untouched bytes between entries are kept.
        final int span = (count - 1) * stride + ENTRY_SIZE;
        read(address, page, span);
        long value = firstValue;
        for (int i = 0; i < count; i++)
        {
            listener.onEntryWrite(address + (long)i * stride, value);
            putLittleEndian(page, i * stride, value);
            value += increment;
        }
        write(address, page, span);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        listener.onDataRead(address, length);
        int done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, PAGE - (at & (PAGE - 1)));
            read(at, page, chunk);
            dst.putBytes(dstOffset + done, page, 0, chunk);
            done += chunk;
        }
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        listener.onDataWrite(address, length);
        int done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, PAGE - (at & (PAGE - 1)));
            src.getBytes(srcOffset + done, page, 0, chunk);
            write(at, page, chunk);
            done += chunk;
        }
    }

    public void zero(final long address, final long length)
    {
        PhysicalMemory.checkRange(address, length);
        long done = 0;
        while (done < length)
        {
            final long at = address + done;
            final int chunk = (int)Math.min(length - done, PAGE - (at & (PAGE - 1)));
            write(at, zeros, chunk);
            done += chunk;
        }
    }

    public MemoryAccessListener listener()
    {
        return listener;
    }

    public void listener(final MemoryAccessListener listener)
    {
        this.listener = listener == null ? MemoryAccessListener.NONE : listener;
    }

    /** Nothing is held here. */
    public long residentFrames()
    {
        return 0;
    }

    private void read(final long address, final byte[] dst, final int length)
    {
        reads++;
        bytesRead += length;
        if (peer.read(address, dst, length) != 0)
        {
            failedReads++;
            Arrays.fill(dst, 0, length, fill);
        }
    }

    private void write(final long address, final byte[] src, final int length)
    {
        writes++;
        bytesWritten += length;
        if (peer.write(address, src, length) != 0)
        {
            failedWrites++;
        }
    }

    /** READ round trips made. */
    public long reads()
    {
        return reads;
    }

    /** WRITE round trips made. */
    public long writes()
    {
        return writes;
    }

    /** READs the peer answered with an error (read as zeros). */
    public long failedReads()
    {
        return failedReads;
    }

    public long failedWrites()
    {
        return failedWrites;
    }

    public long bytesRead()
    {
        return bytesRead;
    }

    public long bytesWritten()
    {
        return bytesWritten;
    }

    static long littleEndian(final byte[] b, final int at)
    {
        long v = 0;
        for (int i = ENTRY_SIZE - 1; i >= 0; i--)
        {
            v = (v << 8) | (b[at + i] & 0xFF);
        }
        return v;
    }

    static void putLittleEndian(final byte[] b, final int at, final long value)
    {
        long v = value;
        for (int i = 0; i < ENTRY_SIZE; i++)
        {
            b[at + i] = (byte)v;
            v >>>= 8;
        }
    }
}
