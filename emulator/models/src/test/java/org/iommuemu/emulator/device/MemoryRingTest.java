package org.iommuemu.emulator.device;

import java.util.ArrayList;
import java.util.List;

import org.iommuemu.pagetable.memory.MemoryAccessListener;
import org.iommuemu.pagetable.memory.SparseMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemoryRingTest
{
    private final SparseMemory memory = new SparseMemory();
    private final MemoryRing ring = new MemoryRing("event log", memory, 16);

    @Test
    void producesIntoGuestMemoryAndConsumesInOrderWithWrapAround()
    {
        ring.configure(0x10_0000, 4);
        final long[] entry = new long[2];
        for (int i = 0; i < 3; i++)
        {
            entry[0] = 0x100 + i;
            entry[1] = 0x200 + i;
            assertTrue(ring.produce(entry, 0));
        }
        assertTrue(ring.isFull(), "four slots hold three entries");
        assertEquals(0x101, memory.readEntry(0x10_0010), "entries land in guest memory, little-endian words");
        assertEquals(0x202, memory.readEntry(0x10_0028));
        assertFalse(ring.produce(entry, 0));
        assertEquals(1, ring.overflows());

        final long[] out = new long[2];
        assertTrue(ring.consume(out, 0));
        assertArrayEquals(new long[] {0x100, 0x200}, out);
        entry[0] = 0x103;
        entry[1] = 0x203;
        assertTrue(ring.produce(entry, 0));
        assertEquals(0, ring.tail(), "the tail wrapped");
        for (int i = 1; i <= 3; i++)
        {
            assertTrue(ring.consume(out, 0));
            assertEquals(0x100 + i, out[0]);
        }
        assertTrue(ring.isEmpty());
        assertFalse(ring.consume(out, 0));
        assertEquals(4, ring.produced());
        assertEquals(4, ring.consumed());
    }

    @Test
    void softwareMovesPointersAndEveryWordIsReported()
    {
        ring.configure(0x20_0000, 8);
        memory.writeEntry(0x20_0000 + 3 * 16, 0xC0DE);
        final List<Long> reads = new ArrayList<>();
        memory.listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                reads.add(address);
            }
        });
        ring.head(3);
        ring.tail(4 + 8); // wrapped index
        assertEquals(1, ring.size());
        final long[] out = new long[2];
        assertTrue(ring.consume(out, 0));
        assertEquals(0xC0DE, out[0]);
        assertEquals(List.of(0x20_0030L, 0x20_0038L), reads);
    }

    @Test
    void configurationErrors()
    {
        assertThrows(IllegalStateException.class, () -> ring.produce(new long[2], 0));
        assertThrows(IllegalArgumentException.class, () -> ring.configure(0x1000, 3));
        assertThrows(IllegalArgumentException.class, () -> ring.configure(0x1008, 4));
        assertThrows(IllegalArgumentException.class, () -> new MemoryRing("bad", memory, 12));
    }
}
