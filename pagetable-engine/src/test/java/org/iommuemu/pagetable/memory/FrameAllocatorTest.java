package org.iommuemu.pagetable.memory;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FrameAllocatorTest
{
    @Test
    void allocatesZeroedFramesReusesFreedOnesAndReportsExhaustion()
    {
        final SparseMemory memory = new SparseMemory();
        final FrameAllocator allocator = new FrameAllocator(memory, 0x10_0000, 3 * 4096);
        memory.writeEntry(0x10_0008, 0xDEAD); // stale data where the pool starts
        final long a = allocator.allocate();
        assertEquals(0x10_0000, a);
        assertEquals(0, memory.readEntry(a + 8), "frames are handed out zeroed");
        final long b = allocator.allocate();
        final long c = allocator.allocate();
        assertEquals(FrameAllocator.NO_FRAME, allocator.allocate());
        assertEquals(3, allocator.allocatedFrames());
        memory.writeEntry(b + 16, 42);
        allocator.free(b);
        assertEquals(b, allocator.allocate());
        assertEquals(0, memory.readEntry(b + 16));
        assertEquals(2, allocator.frameIndex(c));
        assertEquals(3, allocator.peakAllocatedFrames());
        assertThrows(IllegalArgumentException.class, () -> allocator.free(0x20_0000));
        assertThrows(IllegalArgumentException.class, () -> new FrameAllocator(memory, 0x123, 4096));
    }
}
