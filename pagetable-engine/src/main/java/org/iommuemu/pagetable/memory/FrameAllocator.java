package org.iommuemu.pagetable.memory;

import java.util.Arrays;

/**
 * Hands out zeroed 4 KiB frames of physical memory for page-table pages (and other in-memory
 * structures) from a fixed region {@code [base, base + size)}, with a free list so freed table pages are
 * reused. Allocation and free allocate nothing on the Java heap once the free list has grown.
 * <p>
 * A region is the "table pool" of a platform: pick one that does not overlap the memory the traffic
 * uses, as a kernel keeps page-table pages apart from DMA buffers.
 */
public final class FrameAllocator
{
    /** Returned by {@link #allocate()} when the region is exhausted. */
    public static final long NO_FRAME = -1;

    private final PhysicalMemory memory;
    private final long base;
    private final long end;
    private long next;
    private long[] freeFrames = new long[64];
    private int freeCount;
    private long allocated;
    private long peakAllocated;

    public FrameAllocator(final PhysicalMemory memory, final long base, final long size)
    {
        PhysicalMemory.checkRange(base, size);
        if ((base & (PhysicalMemory.FRAME_SIZE - 1)) != 0 || (size & (PhysicalMemory.FRAME_SIZE - 1)) != 0 || size == 0 ||
            (size >>> PhysicalMemory.FRAME_SIZE_LG2) > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("frame region 0x" + Long.toHexString(base) + "+0x" +
                Long.toHexString(size) + " must be non-empty and 4 KiB aligned");
        }
        this.memory = memory;
        this.base = base;
        this.end = base + size;
        this.next = base;
    }

    /** Allocate one zeroed frame; {@link #NO_FRAME} when the region is exhausted. */
    public long allocate()
    {
        final long frame;
        if (freeCount > 0)
        {
            frame = freeFrames[--freeCount];
            memory.zero(frame, PhysicalMemory.FRAME_SIZE);
        }
        else if (next < end)
        {
            frame = next;
            next += PhysicalMemory.FRAME_SIZE;
            // A frame never handed out before may still hold data a caller wrote there directly.
            memory.zero(frame, PhysicalMemory.FRAME_SIZE);
        }
        else
        {
            return NO_FRAME;
        }
        allocated++;
        peakAllocated = Math.max(peakAllocated, allocated);
        return frame;
    }

    /** Return a frame obtained from {@link #allocate()}. */
    public void free(final long frame)
    {
        if (frame < base || frame >= next || (frame & (PhysicalMemory.FRAME_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException("frame 0x" + Long.toHexString(frame) + " was not allocated here");
        }
        if (freeCount == freeFrames.length)
        {
            freeFrames = Arrays.copyOf(freeFrames, freeFrames.length * 2);
        }
        freeFrames[freeCount++] = frame;
        allocated--;
    }

    /** Index of a frame of this region, 0 for {@code base}: lets owners keep per-frame data in arrays. */
    public int frameIndex(final long frame)
    {
        return (int)((frame - base) >>> PhysicalMemory.FRAME_SIZE_LG2);
    }

    /** One past the highest frame index handed out so far. */
    public int frameIndexLimit()
    {
        return (int)((next - base) >>> PhysicalMemory.FRAME_SIZE_LG2);
    }

    /** Frames currently handed out. */
    public long allocatedFrames()
    {
        return allocated;
    }

    /** Highest number of frames handed out at once. */
    public long peakAllocatedFrames()
    {
        return peakAllocated;
    }

    public long base()
    {
        return base;
    }

    public long end()
    {
        return end;
    }

    public PhysicalMemory memory()
    {
        return memory;
    }
}
