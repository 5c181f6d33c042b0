package org.iommuemu.pagetable.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparseMemoryTest
{
    private final SparseMemory memory = new SparseMemory();

    @Test
    void unwrittenMemoryReadsZeroAndAllocatesNothing()
    {
        assertEquals(0, memory.readEntry(0));
        assertEquals(0, memory.readEntry(PhysicalMemory.ADDRESS_LIMIT - 8));
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[10_000]);
        buffer.setMemory(0, 10_000, (byte)0x55);
        memory.read(0x1234_5678L, buffer, 0, 10_000);
        for (int i = 0; i < 10_000; i++)
        {
            assertEquals(0, buffer.getByte(i));
        }
        memory.writeEntry(0x9000, 0); // a zero write to an untouched frame needs no storage
        assertEquals(0, memory.residentFrames());
    }

    @Test
    void entriesAreLittleEndianUpTo52Bits()
    {
        final long top = PhysicalMemory.ADDRESS_LIMIT - 8;
        memory.writeEntry(top, 0x0102_0304_0506_0708L);
        assertEquals(0x0102_0304_0506_0708L, memory.readEntry(top));
        final UnsafeBuffer bytes = new UnsafeBuffer(new byte[8]);
        memory.read(top, bytes, 0, 8);
        assertArrayEquals(new byte[] {8, 7, 6, 5, 4, 3, 2, 1}, bytes.byteArray());
        assertEquals(1, memory.residentFrames());
    }

    @Test
    void badAddressesAreEmulatorBugs()
    {
        assertThrows(IllegalArgumentException.class, () -> memory.readEntry(PhysicalMemory.ADDRESS_LIMIT));
        assertThrows(IllegalArgumentException.class, () -> memory.readEntry(-8));
        assertThrows(IllegalArgumentException.class, () -> memory.writeEntry(0x1004, 1));
        assertThrows(IllegalArgumentException.class, () -> memory.writeEntries(0x1FF8, 2, 1, 0));
        assertThrows(IllegalArgumentException.class,
            () -> memory.read(PhysicalMemory.ADDRESS_LIMIT - 4, new UnsafeBuffer(new byte[8]), 0, 8));
    }

    @Test
    void bulkDataCrossesFrames()
    {
        final UnsafeBuffer source = new UnsafeBuffer(new byte[9000]);
        for (int i = 0; i < 9000; i++)
        {
            source.putByte(i, (byte)(i * 7));
        }
        memory.write(0x5_0000_0F00L, source, 0, 9000);
        assertEquals(4, memory.residentFrames());
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[9000]);
        memory.read(0x5_0000_0F00L, copy, 0, 9000);
        assertArrayEquals(source.byteArray(), copy.byteArray());
        memory.zero(0x5_0000_1000L, 4096);
        assertEquals(0, memory.readEntry(0x5_0000_1008L));
        assertTrue(memory.readEntry(0x5_0000_0F00L) != 0);
    }

    @Test
    void everyEntryAccessIsReported()
    {
        final List<String> events = new ArrayList<>();
        memory.listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                events.add("r " + Long.toHexString(address) + " " + value);
            }

            public void onEntryWrite(final long address, final long value)
            {
                events.add("w " + Long.toHexString(address) + " " + value);
            }
        });
        memory.writeEntry(0x2000, 5);
        memory.readEntry(0x2000);
        memory.writeEntries(0x3000, 3, 10, 2);
        assertEquals(List.of("w 2000 5", "r 2000 5", "w 3000 10", "w 3008 12", "w 3010 14"), events);
        assertEquals(14, memory.readEntry(0x3010));
        events.clear();
        memory.writeEntries(0x4008, 3, 5, 1, 16); // one quadword of three 16-byte entries
        assertEquals(List.of("w 4008 5", "w 4018 6", "w 4028 7"), events);
        assertEquals(0, memory.readEntry(0x4010));
        memory.writeEntries(0x4FE8, 2, 1, 0, 16); // the second entry ends exactly at the frame's end
        assertThrows(IllegalArgumentException.class, () -> memory.writeEntries(0x4FF0, 2, 1, 0, 16));
        assertThrows(IllegalArgumentException.class, () -> memory.writeEntries(0x4000, 2, 1, 0, 12));
        events.clear();
        memory.writeEntryPairs(0x6FD0, 3, 100, 4, 7); // three 16-byte records, the last ends at the frame's end
        assertEquals(List.of("w 6fd0 100", "w 6fe0 104", "w 6ff0 108", "w 6fd8 7", "w 6fe8 7", "w 6ff8 7"), events);
        assertEquals(104, memory.readEntry(0x6FE0));
        assertEquals(7, memory.readEntry(0x6FF8));
        assertEquals(0, memory.readEntry(0x7000));
        assertThrows(IllegalArgumentException.class, () -> memory.writeEntryPairs(0x6FF0, 2, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> memory.writeEntryPairs(0x6FE8, 1, 1, 0, 0));
        memory.listener(null);
        assertEquals(MemoryAccessListener.NONE, memory.listener());
    }

    @Test
    void matchEntriesCountsTheLeadingProgressionAndReportsWhatItRead()
    {
        memory.writeEntries(0x6000, 8, 100, 10);
        memory.writeEntry(0x6028, 7); // the sixth entry breaks the progression
        final List<Long> reads = new ArrayList<>();
        memory.listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                reads.add(address);
            }
        });
        assertEquals(5, memory.matchEntries(0x6000, 8, 100, 10, 8));
        assertEquals(List.of(0x6000L, 0x6008L, 0x6010L, 0x6018L, 0x6020L, 0x6028L), reads);
        assertEquals(3, memory.matchEntries(0x6000, 3, 100, 10, 8));
        assertEquals(4, memory.matchEntries(0x6000, 4, 100, 20, 16));
        assertEquals(512, memory.matchEntries(0x9_0000, 512, 0, 0, 8), "untouched memory is a run of zeros");
        assertEquals(1, memory.residentFrames(), "matching untouched memory gives it no storage");
        assertThrows(IllegalArgumentException.class, () -> memory.matchEntries(0x6FF8, 2, 0, 0, 8));
    }

    @Test
    void manyFramesSpanSeveralSlabs()
    {
        for (long frame = 0; frame < SparseMemory.SLAB_FRAMES * 3L; frame++)
        {
            memory.writeEntry((frame << 21) + 8, frame + 1);
        }
        for (long frame = 0; frame < SparseMemory.SLAB_FRAMES * 3L; frame++)
        {
            assertEquals(frame + 1, memory.readEntry((frame << 21) + 8));
        }
        assertEquals(SparseMemory.SLAB_FRAMES * 3L, memory.residentFrames());
        assertFalse(memory.isResident(0x1000));
    }

    /** readTableEntry equals readEntry of tableAddress + 8 * index: values, listener reports and refusals alike. */
    @Test
    void readTableEntryEqualsReadEntryWhateverTheStreamGuesses()
    {
        final long[] tables = {0x1000, 0x2000, 0x7_F000, 0x10_0000_0000L, 0x1234_5000L, 0xF_FFFF_FFFF_F000L};
        for (final long table : tables)
        {
            for (int i = 0; i < 512; i += 7)
            {
                memory.writeEntry(table + 8L * i, table ^ i ^ 0x5A5AL);
            }
        }
        final SparseMemory plain = new SparseMemory();
        for (final long table : tables)
        {
            for (int i = 0; i < 512; i += 7)
            {
                plain.writeEntry(table + 8L * i, table ^ i ^ 0x5A5AL);
            }
        }
        final StringBuilder viaTable = new StringBuilder();
        final StringBuilder viaEntry = new StringBuilder();
        memory.listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                viaTable.append(address).append('=').append(value).append(';');
            }
        });
        plain.listener(new MemoryAccessListener()
        {
            public void onEntryRead(final long address, final long value)
            {
                viaEntry.append(address).append('=').append(value).append(';');
            }
        });
        final long[] odd = {-1L, -4096L, 1L << 52, (1L << 52) - 4096, 0x1004, 0x1001, 0x3000};
        final Random random = new Random(11);
        for (int n = 0; n < 20_000; n++)
        {
            final long table = random.nextInt(4) == 0 ? odd[random.nextInt(odd.length)] : tables[random.nextInt(tables.length)];
            final int index = random.nextInt(8) == 0 ? random.nextInt(2048) - 1024 : random.nextInt(512);
            final int stream = random.nextInt(10) - 1;
            final long address = table + 8L * index;
            long expected;
            try
            {
                expected = plain.readEntry(address);
            }
            catch (final IllegalArgumentException ex)
            {
                assertThrows(IllegalArgumentException.class, () -> memory.readTableEntry(table, index, stream),
                    "table " + Long.toHexString(table) + " index " + index);
                continue;
            }
            assertEquals(expected, memory.readTableEntry(table, index, stream),
                "table " + Long.toHexString(table) + " index " + index + " stream " + stream);
        }
        assertEquals(viaEntry.toString(), viaTable.toString());
    }
}
