package org.iommuemu.emulator.device;

import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * A ring of fixed-size entries in guest physical memory, the one abstraction behind the AMD-Vi command buffer
 * (software produces, the IOMMU consumes), event and PPR logs (the IOMMU produces), and the VT-d invalidation
 * queue and page-request queue.
 * <p>
 * Head and tail are entry indices; the registers that hold them as byte offsets are the model's business.
 * The ring is empty when head equals tail and full when advancing the tail would reach the head, so it holds
 * {@code entries - 1} entries, as the hardware rings do. Every 8-byte word of an entry moves through
 * {@link PhysicalMemory#readEntry}/{@link PhysicalMemory#writeEntry}, so the timing model sees ring traffic like
 * table traffic. Nothing is allocated.
 */
public final class MemoryRing
{
    private final String name;
    private final PhysicalMemory memory;
    private final int entrySize;
    private long base;
    private int entries;
    private int head;
    private int tail;
    private long produced;
    private long consumed;
    private long overflows;

    /** @param entrySize bytes per entry, a multiple of 8 (16 for AMD-Vi commands and events, 16 or 32 for VT-d). */
    public MemoryRing(final String name, final PhysicalMemory memory, final int entrySize)
    {
        if (entrySize <= 0 || (entrySize & (PhysicalMemory.ENTRY_SIZE - 1)) != 0)
        {
            throw new IllegalArgumentException(name + ": entry size " + entrySize + " is not a positive multiple of 8");
        }
        this.name = name;
        this.memory = memory;
        this.entrySize = entrySize;
    }

    /**
     * Point the ring at {@code entries} entries from {@code base} (what writing a base register does); head
     * and tail go back to 0.
     */
    public void configure(final long base, final int entries)
    {
        if (entries < 2 || Integer.bitCount(entries) != 1)
        {
            throw new IllegalArgumentException(name + ": " + entries + " entries is not a power of two of at least 2");
        }
        PhysicalMemory.checkRange(base, (long)entries * entrySize);
        if ((base & (entrySize - 1)) != 0)
        {
            throw new IllegalArgumentException(name + ": base 0x" + Long.toHexString(base) + " is not aligned to the entry size");
        }
        this.base = base;
        this.entries = entries;
        this.head = 0;
        this.tail = 0;
    }

    public boolean isEmpty()
    {
        return head == tail;
    }

    public boolean isFull()
    {
        return ((tail + 1) & (entries - 1)) == head;
    }

    /** Entries between head and tail. */
    public int size()
    {
        return (tail - head) & (entries - 1);
    }

    /** Physical address of entry {@code index}. */
    public long entryAddress(final int index)
    {
        return base + (long)(index & (entries - 1)) * entrySize;
    }

    /**
     * Producer side: write one entry of {@code words} (8-byte words, {@code entrySize / 8} of them from
     * {@code offset}) at the tail and advance it. Returns false, writing nothing, when the ring is full (the
     * caller sets its overflow status).
     */
    public boolean produce(final long[] words, final int offset)
    {
        if (entries == 0)
        {
            throw new IllegalStateException(name + " is not configured");
        }
        if (isFull())
        {
            overflows++;
            return false;
        }
        final long address = entryAddress(tail);
        for (int i = 0; i < entrySize / PhysicalMemory.ENTRY_SIZE; i++)
        {
            memory.writeEntry(address + (long)i * PhysicalMemory.ENTRY_SIZE, words[offset + i]);
        }
        tail = (tail + 1) & (entries - 1);
        produced++;
        return true;
    }

    /**
     * Consumer side: read the entry at the head into {@code words} from {@code offset} and advance the head.
     * Returns false when the ring is empty.
     */
    public boolean consume(final long[] words, final int offset)
    {
        if (isEmpty())
        {
            return false;
        }
        final long address = entryAddress(head);
        for (int i = 0; i < entrySize / PhysicalMemory.ENTRY_SIZE; i++)
        {
            words[offset + i] = memory.readEntry(address + (long)i * PhysicalMemory.ENTRY_SIZE);
        }
        head = (head + 1) & (entries - 1);
        consumed++;
        return true;
    }

    public int head()
    {
        return head;
    }

    public int tail()
    {
        return tail;
    }

    /** Software moved the head (it consumed a log) or the tail (it queued commands): an index, wrapped. */
    public void head(final int index)
    {
        this.head = index & (entries - 1);
    }

    public void tail(final int index)
    {
        this.tail = index & (entries - 1);
    }

    public long base()
    {
        return base;
    }

    public int entries()
    {
        return entries;
    }

    public int entrySize()
    {
        return entrySize;
    }

    public long produced()
    {
        return produced;
    }

    public long consumed()
    {
        return consumed;
    }

    public long overflows()
    {
        return overflows;
    }

    public String name()
    {
        return name;
    }
}
