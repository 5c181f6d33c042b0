package org.iommuemu.pagetable.memory;

import java.nio.ByteOrder;
import java.util.Arrays;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Sparse, off-heap physical memory: 4 KiB frames allocated on first write, addresses up to 52 bits.
 * <p>
 * Frames live in off-heap slabs of {@link #SLAB_FRAMES} frames each (Agrona {@link UnsafeBuffer}s over
 * page-aligned direct memory); a primitive map takes a frame number to its slot. Reading a frame that
 * was never written returns zeros and allocates nothing; writing zero to an untouched frame allocates
 * nothing either. Frames are never returned to the slabs: the page-table frame allocator recycles them.
 * <p>
 * Not thread-safe: one emulator thread owns a memory, as one walker owns its request.
 */
public final class SparseMemory implements PhysicalMemory
{
    /** Frames per slab: 1 MiB slabs amortise the direct allocation over 256 frames. */
    public static final int SLAB_FRAMES_LG2 = 8;
    public static final int SLAB_FRAMES = 1 << SLAB_FRAMES_LG2;
    private static final int SLAB_BYTES = SLAB_FRAMES << FRAME_SIZE_LG2;
    private static final long NO_SLOT = -1;
    private static final int OFFSET_IN_FRAME_MASK = FRAME_SIZE - 1;

    /** Direct-mapped cache of recent frame lookups in front of the hash map: hot walks never hash. */
    private static final int CACHE_SIZE = 512;
    private static final int CACHE_MASK = CACHE_SIZE - 1;

    private final Long2LongHashMap frameToSlot = new Long2LongHashMap(1024, 0.6f, NO_SLOT);
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /**
     * Key of an entry address in {@link #frameCache} and {@link #streamFrames}: the frame's base address with
     * address bits 2:0 kept. Keys are stored with those bits zero, so one comparison proves both the frame and
     * the entry alignment.
     */
    private static final long FRAME_KEY_MASK = ~(long)(FRAME_SIZE - ENTRY_SIZE);
    /** Streams with a remembered frame ({@link #readTableEntry}): more than any format's level count. */
    private static final int STREAMS = 8;
    private static final int ENTRY_SIZE_LG2 = 3;

    /**
     * Native address of {@link #CACHE_SIZE} pairs of (frame base address, native address of the frame), side by
     * side so one cache line serves both. A hot read then costs two dependent loads (the address, then the entry)
     * instead of four through the slab buffer; the slabs stay referenced from {@link #slabs} for the memory's
     * lifetime, so the addresses stay valid. Only resident frames (below 2^52) are ever cached, so a hit also
     * proves the address is in range. An empty line holds -1, which no masked address equals.
     */
    private final long frameCache;
    /** Pairs of (frame base address, native address) per stream of {@link #readTableEntry}; -1 when empty. */
    private final long streamFrames;
    /** The storage of {@link #frameCache} and {@link #streamFrames}, referenced for the memory's lifetime. */
    private final FrameCache cacheStorage = new FrameCache(CACHE_SIZE);
    private final FrameCache streamStorage = new FrameCache(STREAMS);
    private UnsafeBuffer[] slabs = new UnsafeBuffer[4];
    private int slotCount;
    private MemoryAccessListener listener = MemoryAccessListener.NONE;

    public SparseMemory()
    {
        frameCache = cacheStorage.address();
        streamFrames = streamStorage.address();
    }

    public long readEntry(final long address)
    {
        final int line = ((int)(address >>> FRAME_SIZE_LG2) & CACHE_MASK) << 1;
        if (FrameCache.get(frameCache, line) == (address & FRAME_KEY_MASK))
        {
            return entryRead(address, UnsafeApi.getLong(null, FrameCache.get(frameCache, line + 1) + (address & OFFSET_IN_FRAME_MASK)));
        }
        return readEntryUncached(address, -1);
    }

    /**
     * {@link #readTableEntry}, first trying the frame that the last read of the same {@code stream} used.
     * <p>
     * Why it is fast: the guessed frame's native address depends only on {@code stream} and the entry's offset
     * only on {@code index}, so the load of the entry can issue before {@code tableAddress} is known (in a walk:
     * before the previous level's entry has arrived). The comparison that confirms the guess is a branch the CPU
     * predicts and checks off the critical path, so a hot walk's loads overlap instead of forming a chain.
     * <p>
     * Why it is exact: a slot holds only a resident frame's base address (4 KiB-aligned, below 2^52) and its
     * native address, which never changes while the memory lives (frames are never released). A hit needs
     * {@code tableAddress} equal to that base, below 2^52 (which also rejects the -1 of an empty slot) and
     * {@code index} in [0, 512), so the entry lies in that frame and is aligned; anything else takes the frame
     * cache and then the checked path of {@link #readEntry(long)}.
     */
    public long readTableEntry(final long tableAddress, final int index, final int stream)
    {
        final int slot = (stream & (STREAMS - 1)) << 1;
        final long offset = (long)index << ENTRY_SIZE_LG2;
        // One test (one branch) for the three conditions.
        if (((FrameCache.get(streamFrames, slot) ^ tableAddress) | (tableAddress >>> MAX_ADDRESS_LG2) |
            (index >>> (FRAME_SIZE_LG2 - ENTRY_SIZE_LG2))) == 0)
        {
            return entryRead(tableAddress + offset, UnsafeApi.getLong(null, FrameCache.get(streamFrames, slot + 1) + offset));
        }
        return readTableEntryGuessMissed(tableAddress + offset, slot);
    }

    /**
     * {@link #readTableEntry} when the stream's guess missed: the frame cache, then the checked path; the frame
     * becomes the stream's guess. Out of line to keep the inlined hit path (and so the walker's code) small.
     */
    private long readTableEntryGuessMissed(final long address, final int slot)
    {
        final int line = ((int)(address >>> FRAME_SIZE_LG2) & CACHE_MASK) << 1;
        if (FrameCache.get(frameCache, line) == (address & FRAME_KEY_MASK))
        {
            final long base = FrameCache.get(frameCache, line + 1);
            FrameCache.put(streamFrames, slot, address & ~(long)OFFSET_IN_FRAME_MASK);
            FrameCache.put(streamFrames, slot + 1, base);
            return entryRead(address, UnsafeApi.getLong(null, base + (address & OFFSET_IN_FRAME_MASK)));
        }
        return readEntryUncached(address, slot);
    }

    /** Byte order and the listener report for an entry read from native memory. */
    private long entryRead(final long address, final long raw)
    {
        final long value = NATIVE_LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
        final MemoryAccessListener listener = this.listener;
        if (listener != MemoryAccessListener.NONE)
        {
            listener.onEntryRead(address, value);
        }
        return value;
    }

    /**
     * The checked read when the frame cache (and the guess of a stream) missed (out of line, so the fast
     * paths stay small enough for C2 to inline into the walker); remembers the frame for {@code slot} (-1: none)
     * when it is resident.
     */
    private long readEntryUncached(final long address, final int slot)
    {
        PhysicalMemory.checkEntryAddress(address);
        final long base = frameAddress(address >>> FRAME_SIZE_LG2, false);
        if (base == 0)
        {
            return entryRead(address, 0);
        }
        if (slot >= 0)
        {
            FrameCache.put(streamFrames, slot, address & ~(long)OFFSET_IN_FRAME_MASK);
            FrameCache.put(streamFrames, slot + 1, base);
        }
        return entryRead(address, UnsafeApi.getLong(null, base + (address & OFFSET_IN_FRAME_MASK)));
    }

    public void writeEntry(final long address, final long value)
    {
        PhysicalMemory.checkEntryAddress(address);
        listener.onEntryWrite(address, value);
        // Zero written to a frame that was never touched needs no storage.
        final long base = frameAddress(address >>> FRAME_SIZE_LG2, value != 0);
        if (base != 0)
        {
            UnsafeApi.putLong(null, base + (address & OFFSET_IN_FRAME_MASK), NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value));
        }
    }

    public void writeEntries(final long address, final int count, final long firstValue, final long increment,
        final int stride)
    {
        PhysicalMemory.checkEntryRun(address, count, stride);
        if (count == 0)
        {
            return;
        }
        final long base = frameAddress(address >>> FRAME_SIZE_LG2, true) + (address & OFFSET_IN_FRAME_MASK);
        final MemoryAccessListener listener = this.listener;
        if (listener != MemoryAccessListener.NONE)
        {
            long value = firstValue;
            for (int i = 0; i < count; i++)
            {
                listener.onEntryWrite(address + (long)i * stride, value);
                value += increment;
            }
        }
        // The stores in a loop of their own: nothing else in it, so it compiles to a tight store loop.
        long value = firstValue;
        for (int i = 0; i < count; i++)
        {
            UnsafeApi.putLong(null, base + (long)i * stride, NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value));
            value += increment;
        }
    }

    @Override
    public void writeEntryPairs(final long address, final int count, final long firstValue, final long increment,
        final long secondValue)
    {
        PhysicalMemory.checkEntryRun(address, count, 2 * ENTRY_SIZE);
        if ((address & (2 * ENTRY_SIZE - 1)) != 0)
        {
            // The last record's second quadword would fall outside the frame that was checked.
            throw new IllegalArgumentException("16-byte records need a 16-byte aligned address: 0x" + Long.toHexString(address));
        }
        if (count == 0)
        {
            return;
        }
        final long base = frameAddress(address >>> FRAME_SIZE_LG2, true) + (address & OFFSET_IN_FRAME_MASK);
        final MemoryAccessListener listener = this.listener;
        if (listener != MemoryAccessListener.NONE)
        {
            long value = firstValue;
            for (int i = 0; i < count; i++)
            {
                listener.onEntryWrite(address + (long)i * 2 * ENTRY_SIZE, value);
                value += increment;
            }
            for (int i = 0; i < count; i++)
            {
                listener.onEntryWrite(address + (long)i * 2 * ENTRY_SIZE + ENTRY_SIZE, secondValue);
            }
        }
        // One sequential pass: each record's two quadwords are stored together.
        final long second = NATIVE_LITTLE_ENDIAN ? secondValue : Long.reverseBytes(secondValue);
        long value = firstValue;
        for (int i = 0; i < count; i++)
        {
            final long at = base + ((long)i << 4);
            UnsafeApi.putLong(null, at, NATIVE_LITTLE_ENDIAN ? value : Long.reverseBytes(value));
            UnsafeApi.putLong(null, at + ENTRY_SIZE, second);
            value += increment;
        }
    }

    public int matchEntries(final long address, final int count, final long firstValue, final long increment,
        final int stride)
    {
        PhysicalMemory.checkEntryRun(address, count, stride);
        final long base = frameAddress(address >>> FRAME_SIZE_LG2, false);
        final MemoryAccessListener listener = this.listener;
        long expected = firstValue;
        for (int i = 0; i < count; i++)
        {
            final long raw = base == 0 ? 0 :
                UnsafeApi.getLong(null, base + (address & OFFSET_IN_FRAME_MASK) + (long)i * stride);
            final long value = NATIVE_LITTLE_ENDIAN ? raw : Long.reverseBytes(raw);
            listener.onEntryRead(address + (long)i * stride, value);
            if (value != expected)
            {
                return i;
            }
            expected += increment;
        }
        return count;
    }

    /**
     * Native address of a frame's storage, through the frame cache; 0 for an untouched frame unless
     * {@code allocate}, which gives it storage.
     */
    private long frameAddress(final long frame, final boolean allocate)
    {
        final int line = ((int)frame & CACHE_MASK) << 1;
        if (FrameCache.get(frameCache, line) == frame << FRAME_SIZE_LG2)
        {
            return FrameCache.get(frameCache, line + 1);
        }
        long slot = frameToSlot.get(frame);
        if (slot == NO_SLOT)
        {
            if (!allocate)
            {
                return 0;
            }
            slot = allocateFrame(frame);
        }
        cacheFrame(line, frame, slot);
        return FrameCache.get(frameCache, line + 1);
    }

    public void read(final long address, final MutableDirectBuffer dst, final int dstOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        listener.onDataRead(address, length);
        long pa = address;
        int done = 0;
        while (done < length)
        {
            final int chunk = (int)Math.min(length - done, FRAME_SIZE - (pa & OFFSET_IN_FRAME_MASK));
            final long slot = frameToSlot.get(pa >>> FRAME_SIZE_LG2);
            if (slot == NO_SLOT)
            {
                dst.setMemory(dstOffset + done, chunk, (byte)0);
            }
            else
            {
                dst.putBytes(dstOffset + done, slabs[(int)(slot >>> SLAB_FRAMES_LG2)], slotOffset(slot, pa), chunk);
            }
            pa += chunk;
            done += chunk;
        }
    }

    public void write(final long address, final DirectBuffer src, final int srcOffset, final int length)
    {
        PhysicalMemory.checkRange(address, length);
        listener.onDataWrite(address, length);
        long pa = address;
        int done = 0;
        while (done < length)
        {
            final int chunk = (int)Math.min(length - done, FRAME_SIZE - (pa & OFFSET_IN_FRAME_MASK));
            long slot = frameToSlot.get(pa >>> FRAME_SIZE_LG2);
            if (slot == NO_SLOT)
            {
                slot = allocateFrame(pa >>> FRAME_SIZE_LG2);
            }
            slabs[(int)(slot >>> SLAB_FRAMES_LG2)].putBytes(slotOffset(slot, pa), src, srcOffset + done, chunk);
            pa += chunk;
            done += chunk;
        }
    }

    public void zero(final long address, final long length)
    {
        PhysicalMemory.checkRange(address, length);
        long pa = address;
        final long end = address + length;
        while (pa < end)
        {
            final int chunk = (int)Math.min(end - pa, FRAME_SIZE - (pa & OFFSET_IN_FRAME_MASK));
            final long slot = frameToSlot.get(pa >>> FRAME_SIZE_LG2);
            if (slot != NO_SLOT)
            {
                slabs[(int)(slot >>> SLAB_FRAMES_LG2)].setMemory(slotOffset(slot, pa), chunk, (byte)0);
            }
            pa += chunk;
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

    public long residentFrames()
    {
        return slotCount;
    }

    /** True if the frame holding {@code address} has backing storage. */
    public boolean isResident(final long address)
    {
        return frameToSlot.get(address >>> FRAME_SIZE_LG2) != NO_SLOT;
    }

    /**
     * Give the frames of {@code [address, address + length)} backing storage now, so later writes allocate
     * nothing (benchmarks pre-touch their table pool this way).
     */
    public void reserve(final long address, final long length)
    {
        PhysicalMemory.checkRange(address, length);
        final long firstFrame = address >>> FRAME_SIZE_LG2;
        final long endFrame = (address + length + FRAME_SIZE - 1) >>> FRAME_SIZE_LG2;
        for (long frame = firstFrame; frame < endFrame; frame++)
        {
            if (frameToSlot.get(frame) == NO_SLOT)
            {
                allocateFrame(frame);
            }
        }
    }

    private void cacheFrame(final int line, final long frame, final long slot)
    {
        FrameCache.put(frameCache, line, frame << FRAME_SIZE_LG2);
        FrameCache.put(frameCache, line + 1, slabs[(int)(slot >>> SLAB_FRAMES_LG2)].addressOffset() + ((slot &
            (SLAB_FRAMES - 1)) << FRAME_SIZE_LG2));
    }

    private static int slotOffset(final long slot, final long address)
    {
        return (int)(((slot & (SLAB_FRAMES - 1)) << FRAME_SIZE_LG2) | (address & OFFSET_IN_FRAME_MASK));
    }

    private long allocateFrame(final long frameNumber)
    {
        final int slot = slotCount;
        final int slab = slot >>> SLAB_FRAMES_LG2;
        if (slab == slabs.length)
        {
            slabs = Arrays.copyOf(slabs, slabs.length * 2);
        }
        if (slabs[slab] == null)
        {
            // Fresh direct memory is zeroed by the JDK.
            slabs[slab] = new UnsafeBuffer(BufferUtil.allocateDirectAligned(SLAB_BYTES, FRAME_SIZE));
        }
        slotCount = slot + 1;
        frameToSlot.put(frameNumber, slot);
        return slot;
    }
}
