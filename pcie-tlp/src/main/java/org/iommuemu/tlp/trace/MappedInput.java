package org.iommuemu.tlp.trace;

import java.io.File;
import java.io.IOException;

import net.openhft.chronicle.bytes.MappedBytes;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Read-only memory map of a trace file through Chronicle Bytes, in chunks with an overlap, so any window of
 * up to {@link #MAX_WINDOW} bytes is contiguous whatever the file size: resident memory stays bounded by
 * the chunk size and the heap sees nothing per record. {@link #window(long, int)} re-points one Agrona
 * buffer over the mapped bytes, so the flyweights read the file in place.
 */
public final class MappedInput implements AutoCloseable
{
    /** Largest window (block) that is guaranteed contiguous. */
    public static final int MAX_WINDOW = 1 << 20;
    private static final long CHUNK_SIZE = 64L << 20;

    private final MappedBytes bytes;
    private final long size;
    private final UnsafeBuffer window = new UnsafeBuffer(0, 0);

    public MappedInput(final File file) throws IOException
    {
        this.size = file.length();
        this.bytes = MappedBytes.mappedBytes(file, CHUNK_SIZE, MAX_WINDOW, true);
    }

    /** @return size of the file in bytes. */
    public long size()
    {
        return size;
    }

    /**
     * Points the shared window buffer at {@code [position, position + length)}.
     *
     * @param position in the file.
     * @param length   at most {@link #MAX_WINDOW}, and within the file.
     * @return the window buffer, offset 0 being {@code position}.
     */
    public UnsafeBuffer window(final long position, final int length)
    {
        if (length <= 0 || length > MAX_WINDOW || position < 0 || position + length > size)
        {
            throw new IllegalArgumentException("window " + position + "+" + length + " outside file of " + size);
        }
        window.wrap(bytes.addressForRead(position), length);
        return window;
    }

    @Override
    public void close()
    {
        bytes.releaseLast();
    }
}
