package org.iommuemu.pagetable;

import java.util.Arrays;

import org.iommuemu.pagetable.memory.FrameAllocator;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * One translation domain: a table tree of one {@link PageTableFormat} in emulated physical memory, and the
 * one mapper for every format (map, unmap, protect, split, merge), written against the format SPI only.
 * <p>
 * Table pages come from a {@link FrameAllocator}; the mapper counts the live items of each table it owns, so
 * a table emptied by an unmap is freed at once without rescanning it, and {@link #tablePages()} is the
 * domain's table memory. Every entry read and write goes through {@link PhysicalMemory}, so listeners see
 * the mapper's traffic as well as the walker's.
 * <p>
 * Semantics follow Linux's IOMMU API: a map over anything already mapped fails with
 * {@link MapStatus#EXISTS} and leaves the table unchanged; an unmap or protect that covers part of a leaf
 * splits that leaf first; unmapping holes is not an error. Failures are values; only misuse (a bad
 * argument from code, not from a table) throws.
 * <p>
 * Not thread-safe. Mapping operations allocate nothing on the Java heap once the per-table bookkeeping
 * array has grown to the table pool's size.
 */
public final class PageTable
{
    private static final int OP_UNMAP = 0;
    private static final int OP_PROTECT = 1;

    private final PageTableFormat format;
    private final PhysicalMemory memory;
    private final FrameAllocator allocator;
    private final long root;
    private final long formatSizes;
    private final int[] levelOfSize = new int[64];
    private int[] liveItems = new int[64];
    private long tablePages;
    private long affectedBytes;
    private int protectPermissions;

    /**
     * Create an empty domain, allocating its root table.
     *
     * @throws IllegalStateException if the allocator has no frame for the root.
     */
    public PageTable(final PageTableFormat format, final FrameAllocator allocator)
    {
        this.format = format;
        this.allocator = allocator;
        this.memory = allocator.memory();
        this.formatSizes = format.allLeafSizes();
        Arrays.fill(levelOfSize, -1);
        for (int level = 0; level < format.levels(); level++)
        {
            long sizes = format.leafSizes(level);
            while (sizes != 0)
            {
                final int lg2 = Long.numberOfTrailingZeros(sizes);
                levelOfSize[lg2] = level;
                sizes &= sizes - 1;
            }
        }
        this.root = allocateTable();
        if (root == FrameAllocator.NO_FRAME)
        {
            throw new IllegalStateException("no frame for the root table of a " + format + " domain");
        }
    }

    public PageTableFormat format()
    {
        return format;
    }

    public PhysicalMemory memory()
    {
        return memory;
    }

    public FrameAllocator allocator()
    {
        return allocator;
    }

    /** Physical address of the top table: what a DTE, context entry or EPTP points at. */
    public long root()
    {
        return root;
    }

    /** Table pages this domain uses, the root included. */
    public long tablePages()
    {
        return tablePages;
    }

    /** Bytes of table memory this domain uses. */
    public long tableBytes()
    {
        return tablePages << PhysicalMemory.FRAME_SIZE_LG2;
    }

    /** Bytes unmapped by the last {@link #unmap}, or re-protected by the last {@link #protect}. */
    public long affectedBytes()
    {
        return affectedBytes;
    }

    /** Walk this domain's tables ({@link Walker#walk} with no initial restriction). */
    public boolean translate(final long inputAddress, final int access, final WalkResult result)
    {
        return Walker.walk(format, memory, root, inputAddress, access, Permissions.ALL, result);
    }

    /** Map with a {@link PageSizePolicy}. */
    public MapStatus map(final long inputAddress, final long outputAddress, final long length, final int permissions,
        final PageSizePolicy policy)
    {
        return map(inputAddress, outputAddress, length, permissions, policy.sizes());
    }

    /**
     * Map {@code [inputAddress, inputAddress + length)} to {@code outputAddress} with {@code permissions},
     * using the largest leaf sizes from {@code allowedSizes} that alignment and length allow. On failure
     * everything this call mapped is unmapped again.
     */
    public MapStatus map(final long inputAddress, final long outputAddress, final long length, final int permissions,
        final long allowedSizes)
    {
        final MapStatus rangeStatus = checkRange(inputAddress, length);
        if (rangeStatus != MapStatus.OK)
        {
            return rangeStatus;
        }
        if ((outputAddress & (PhysicalMemory.FRAME_SIZE - 1)) != 0)
        {
            return MapStatus.MISALIGNED;
        }
        final int outputLg2 = format.outputAddressLg2();
        if (outputAddress < 0 || (outputAddress >>> outputLg2) != 0 || length > (1L << outputLg2) - outputAddress)
        {
            return MapStatus.OUT_OF_RANGE;
        }
        final long attributes = format.attributesFor(permissions);
        final long sizes = allowedSizes & formatSizes;

        long iova = inputAddress;
        long pa = outputAddress;
        long remaining = length;
        while (remaining != 0)
        {
            final int sizeLg2 = chooseSize(iova, pa, remaining, sizes);
            if (sizeLg2 < 0)
            {
                rollback(inputAddress, iova - inputAddress, MapStatus.OK, iova, 0);
                return MapStatus.MISALIGNED;
            }
            final MapStatus status = mapLeaf(iova, pa, sizeLg2, attributes);
            if (status != MapStatus.OK)
            {
                rollback(inputAddress, iova - inputAddress, status, iova, 1L << sizeLg2);
                return status;
            }
            final long size = 1L << sizeLg2;
            iova += size;
            pa += size;
            remaining -= size;
        }
        return MapStatus.OK;
    }

    /**
     * Unmap every leaf in {@code [inputAddress, inputAddress + length)}, splitting leaves that straddle the
     * range's edges, and free the tables that become empty. {@link #affectedBytes()} tells how much was
     * mapped there. Holes are skipped.
     */
    public MapStatus unmap(final long inputAddress, final long length)
    {
        affectedBytes = 0;
        final MapStatus rangeStatus = checkRange(inputAddress, length);
        if (rangeStatus != MapStatus.OK)
        {
            return rangeStatus;
        }
        return rangeOperation(root, format.topLevel(), inputAddress, inputAddress + length - 1, OP_UNMAP);
    }

    /**
     * Change the permissions of every leaf in the range, splitting leaves that straddle its edges. Holes
     * stay holes.
     */
    public MapStatus protect(final long inputAddress, final long length, final int permissions)
    {
        affectedBytes = 0;
        final MapStatus rangeStatus = checkRange(inputAddress, length);
        if (rangeStatus != MapStatus.OK)
        {
            return rangeStatus;
        }
        format.attributesFor(permissions); // rejects a set the format cannot express before anything changes
        protectPermissions = permissions;
        return rangeOperation(root, format.topLevel(), inputAddress, inputAddress + length - 1, OP_PROTECT);
    }

    /**
     * Split the leaf that maps {@code inputAddress} until the leaf holding it is at most
     * {@code 2^targetSizeLg2} bytes: a 2 MiB leaf becomes a table of 512 4 KiB leaves, a replicated AMD-Vi
     * leaf becomes item-sized leaves. The other parts keep their translation and attributes.
     */
    public MapStatus split(final long inputAddress, final int targetSizeLg2)
    {
        if (targetSizeLg2 < PageTableFormat.GRANULE_LG2 || targetSizeLg2 > 63)
        {
            return MapStatus.BAD_SIZE;
        }
        if (!format.isValidInput(inputAddress))
        {
            return MapStatus.OUT_OF_RANGE;
        }
        long table = root;
        int level = format.topLevel();
        while (true)
        {
            final int index = format.index(inputAddress, level);
            final long entry = readSlot(table, index);
            final int kind = format.kind(entry, level);
            final MapStatus stop = descentStop(entry, level, kind);
            if (stop != null)
            {
                return stop;
            }
            if (kind == PageTableFormat.KIND_LEAF)
            {
                if (format.leafSizeLg2(entry, level) <= targetSizeLg2)
                {
                    return MapStatus.OK;
                }
                final MapStatus status = splitLeaf(table, level, index);
                if (status != MapStatus.OK)
                {
                    return status;
                }
                continue; // re-read the slot: now a smaller leaf or a table
            }
            table = format.tableAddress(entry, level);
            level--;
        }
    }

    /**
     * Promote the table under the item of size {@code 2^targetSizeLg2} that holds {@code inputAddress} back to
     * one leaf, when it maps a contiguous, aligned output range with identical attributes everywhere. Lower
     * tables are merged first, so 4 KiB tables under a 1 GiB item can merge in one call. Returns
     * {@link MapStatus#OK} if the item is (now) a leaf of at least that size.
     */
    public MapStatus merge(final long inputAddress, final int targetSizeLg2)
    {
        if (targetSizeLg2 < 0 || targetSizeLg2 > 63 || levelOfSize[targetSizeLg2] <= 0 ||
            format.itemSizeLg2(levelOfSize[targetSizeLg2]) != targetSizeLg2)
        {
            return MapStatus.BAD_SIZE;
        }
        if (!format.isValidInput(inputAddress))
        {
            return MapStatus.OUT_OF_RANGE;
        }
        final int targetLevel = levelOfSize[targetSizeLg2];
        long table = root;
        int level = format.topLevel();
        while (true)
        {
            final int index = format.index(inputAddress, level);
            final long entry = readSlot(table, index);
            final int kind = format.kind(entry, level);
            final MapStatus stop = descentStop(entry, level, kind);
            if (stop != null)
            {
                return stop;
            }
            if (kind == PageTableFormat.KIND_LEAF)
            {
                return MapStatus.OK;
            }
            if (level == targetLevel)
            {
                return mergeTable(table, level, index, entry);
            }
            table = format.tableAddress(entry, level);
            level--;
        }
    }

    /**
     * Where split's and merge's descent ends at {@code entry} before looking at its kind: nothing mapped, an entry
     * the format refuses, or a table this page table did not allocate; null to go on (a leaf, or an own table).
     */
    private MapStatus descentStop(final long entry, final int level, final int kind)
    {
        if (kind == PageTableFormat.KIND_EMPTY)
        {
            return MapStatus.NOT_MAPPED;
        }
        if (format.validate(entry, level, kind) != WalkFault.NONE)
        {
            return MapStatus.BAD_TABLE;
        }
        if (kind != PageTableFormat.KIND_LEAF && !isOwnTable(entry, level))
        {
            return MapStatus.BAD_TABLE;
        }
        return null;
    }

    /** Unmap everything; the root stays (empty). */
    public void clear()
    {
        final int width = format.inputAddressLg2();
        if (width >= 64)
        {
            rangeOperation(root, format.topLevel(), 0, -1L, OP_UNMAP);
        }
        else if (format.signExtended())
        {
            rangeOperation(root, format.topLevel(), 0, (1L << (width - 1)) - 1, OP_UNMAP);
            rangeOperation(root, format.topLevel(), -(1L << (width - 1)), -1L, OP_UNMAP);
        }
        else
        {
            rangeOperation(root, format.topLevel(), 0, (1L << width) - 1, OP_UNMAP);
        }
        affectedBytes = 0;
    }

    /** Visit every leaf in IOVA order, with effective permissions. */
    public void forEachLeaf(final LeafVisitor visitor)
    {
        visitLeaves(root, format.topLevel(), 0, Permissions.ALL, visitor);
    }

    /**
     * Read, and optionally clear, the dirty flags ({@link PageTableFormat#dirtyFlag}) of the leaves in
     * {@code [inputAddress, inputAddress + length)}: iommufd's GET_DIRTY_BITMAP over this table. A leaf is dirty when
     * any of its replicas carries the flag (AMD-Vi may set it in the replica it used); the visitor receives the
     * dirty part of each dirty leaf that lies in the range. With {@code clear}, the flag is cleared in every replica
     * of the leaves that lie wholly inside the range; a leaf the range covers only partly is reported and keeps its
     * flag (clearing it would lose the dirtiness of its part outside the range). Tables are never split. After
     * clearing, the IOMMU's cached translations still say "dirty": the caller must invalidate them before it
     * trusts a cleared flag (confidential-io-extras.md 3.4).
     *
     * @return {@link MapStatus#OK}, or MISALIGNED / OUT_OF_RANGE for a bad range, BAD_TABLE for a foreign table.
     */
    public MapStatus readDirty(final long inputAddress, final long length, final boolean clear, final DirtyVisitor visitor)
    {
        final MapStatus check = checkRange(inputAddress, length);
        if (check != MapStatus.OK)
        {
            return check;
        }
        return scanDirty(root, format.topLevel(), inputAddress, inputAddress + length - 1, clear, visitor);
    }

    /** Visit every table, root first, parents before children. */
    public void forEachTable(final TableVisitor visitor)
    {
        visitTables(root, format.topLevel(), 0, visitor);
    }

    // ---------------------------------------------------------------------------------------------------------

    private MapStatus checkRange(final long inputAddress, final long length)
    {
        if (((inputAddress | length) & (PhysicalMemory.FRAME_SIZE - 1)) != 0)
        {
            return MapStatus.MISALIGNED;
        }
        if (length == 0)
        {
            return MapStatus.MISALIGNED;
        }
        final long last = inputAddress + length - 1;
        if (!format.isValidInput(inputAddress) || !format.isValidInput(last) ||
            Long.compareUnsigned(last, inputAddress) < 0 ||
            (format.signExtended() && (inputAddress ^ last) < 0))
        {
            return MapStatus.OUT_OF_RANGE;
        }
        return MapStatus.OK;
    }

    private int chooseSize(final long iova, final long pa, final long remaining, final long sizes)
    {
        final int alignLg2 = Long.numberOfTrailingZeros(iova | pa);
        final int fitLg2 = 63 - Long.numberOfLeadingZeros(remaining);
        final int maxLg2 = Math.min(alignLg2, fitLg2);
        final long fitting = sizes & (maxLg2 >= 63 ? -1L : (2L << maxLg2) - 1);
        return fitting == 0 ? -1 : 63 - Long.numberOfLeadingZeros(fitting);
    }

    private MapStatus mapLeaf(final long iova, final long pa, final int sizeLg2, final long attributes)
    {
        final int targetLevel = levelOfSize[sizeLg2];
        long table = root;
        for (int level = format.topLevel(); ; level--)
        {
            final int index = format.index(iova, level);
            if (level == targetLevel)
            {
                final int count = 1 << format.replicaCountLg2(sizeLg2, level);
                for (int i = 0; i < count; i++)
                {
                    if (format.kind(readSlot(table, index + i), level) != PageTableFormat.KIND_EMPTY)
                    {
                        return MapStatus.EXISTS;
                    }
                }
                final long leaf = format.makeLeaf(pa, sizeLg2, level, attributes);
                if (count == 1)
                {
                    memory.writeEntry(slotAddress(table, index), leaf);
                }
                else
                {
                    memory.writeEntries(slotAddress(table, index), count, leaf, 0);
                }
                liveItems[allocator.frameIndex(table)] += count;
                return MapStatus.OK;
            }
            final long slot = slotAddress(table, index);
            final long entry = memory.readEntry(slot);
            final int kind = format.kind(entry, level);
            if (kind == PageTableFormat.KIND_EMPTY)
            {
                final long child = allocateTable();
                if (child == FrameAllocator.NO_FRAME)
                {
                    return MapStatus.NO_MEMORY;
                }
                memory.writeEntry(slot, format.makeTable(child, level));
                liveItems[allocator.frameIndex(table)]++;
                table = child;
            }
            else if (kind == PageTableFormat.KIND_TABLE)
            {
                if (!isOwnTable(entry, level))
                {
                    return MapStatus.BAD_TABLE;
                }
                table = format.tableAddress(entry, level);
            }
            else
            {
                return MapStatus.EXISTS;
            }
        }
    }

    private void rollback(final long start, final long mappedLength, final MapStatus status, final long failedIova,
        final long failedLength)
    {
        final long saved = affectedBytes;
        if (mappedLength != 0)
        {
            rangeOperation(root, format.topLevel(), start, start + mappedLength - 1, OP_UNMAP);
        }
        if (status == MapStatus.NO_MEMORY && failedLength != 0)
        {
            // The failed chunk lies under a slot that was empty, so only tables this call allocated live
            // there: unmapping it frees them.
            rangeOperation(root, format.topLevel(), failedIova, failedIova + failedLength - 1, OP_UNMAP);
        }
        affectedBytes = saved;
    }

    /**
     * Unmap or protect the inclusive range {@code [start, last]}, which lies inside the span of
     * {@code table} at {@code level}.
     */
    private MapStatus rangeOperation(final long table, final int level, final long start, final long last, final int op)
    {
        final int itemLg2 = format.itemSizeLg2(level);
        final long itemMask = itemLg2 >= 64 ? -1L : (1L << itemLg2) - 1;
        long cur = start;
        while (true)
        {
            final int index = format.index(cur, level);
            final long slot = slotAddress(table, index);
            final long entry = memory.readEntry(slot);
            final int kind = format.kind(entry, level);
            final long itemLast = cur | itemMask;
            final long segmentLast = Long.compareUnsigned(itemLast, last) < 0 ? itemLast : last;

            if (kind == PageTableFormat.KIND_LEAF)
            {
                if (format.validate(entry, level, kind) != WalkFault.NONE)
                {
                    return MapStatus.BAD_TABLE;
                }
                final int sizeLg2 = format.leafSizeLg2(entry, level);
                final long leafFirst = cur & -(1L << sizeLg2);
                final long leafLast = leafFirst + (1L << sizeLg2) - 1;
                if (Long.compareUnsigned(leafFirst, start) >= 0 && Long.compareUnsigned(leafLast, last) <= 0)
                {
                    final int count = 1 << format.replicaCountLg2(sizeLg2, level);
                    final long firstSlot = slotAddress(table, index & -count);
                    if (op == OP_UNMAP)
                    {
                        clearSlots(firstSlot, count, level);
                        liveItems[allocator.frameIndex(table)] -= count;
                    }
                    else
                    {
                        final long attributes = format.withPermissions(format.attributes(entry, level), protectPermissions);
                        final long leaf = format.makeLeaf(format.leafAddress(entry, level, sizeLg2), sizeLg2, level, attributes);
                        memory.writeEntries(firstSlot, count, leaf, 0);
                    }
                    affectedBytes += 1L << sizeLg2;
                    if (Long.compareUnsigned(leafLast, last) >= 0)
                    {
                        return MapStatus.OK;
                    }
                    cur = leafLast + 1;
                    continue;
                }
                final MapStatus status = splitLeaf(table, level, index);
                if (status != MapStatus.OK)
                {
                    return status;
                }
                continue; // the slot now holds smaller leaves or a table
            }
            if (kind == PageTableFormat.KIND_TABLE)
            {
                if (!isOwnTable(entry, level))
                {
                    return MapStatus.BAD_TABLE;
                }
                final long child = format.tableAddress(entry, level);
                final MapStatus status = rangeOperation(child, level - 1, cur, segmentLast, op);
                if (op == OP_UNMAP && liveItems[allocator.frameIndex(child)] == 0)
                {
                    memory.writeEntry(slot, format.emptyEntry(level));
                    liveItems[allocator.frameIndex(table)]--;
                    freeTable(child);
                }
                if (status != MapStatus.OK)
                {
                    return status;
                }
            }
            if (segmentLast == last)
            {
                return MapStatus.OK;
            }
            cur = segmentLast + 1;
        }
    }

    private MapStatus scanDirty(final long table, final int level, final long start, final long last, final boolean clear,
        final DirtyVisitor visitor)
    {
        final int itemLg2 = format.itemSizeLg2(level);
        final long itemMask = itemLg2 >= 64 ? -1L : (1L << itemLg2) - 1;
        long cur = start;
        while (true)
        {
            final int index = format.index(cur, level);
            final long entry = readSlot(table, index);
            final int kind = format.kind(entry, level);
            final long itemLast = cur | itemMask;
            long segmentLast = Long.compareUnsigned(itemLast, last) < 0 ? itemLast : last;
            if (kind != PageTableFormat.KIND_EMPTY && format.validate(entry, level, kind) != WalkFault.NONE)
            {
                return MapStatus.BAD_TABLE;
            }
            if (kind == PageTableFormat.KIND_LEAF)
            {
                final int sizeLg2 = format.leafSizeLg2(entry, level);
                final long leafFirst = cur & -(1L << sizeLg2);
                final long leafLast = leafFirst + (1L << sizeLg2) - 1;
                final int count = 1 << format.replicaCountLg2(sizeLg2, level);
                final long firstSlot = slotAddress(table, index & -count);
                final long dirtyFlag = format.dirtyFlag(level);
                boolean dirty = false;
                for (int i = 0; i < count && !dirty; i++)
                {
                    dirty = (memory.readEntry(firstSlot + ((long)i << PageTableFormat.ENTRY_SIZE_LG2)) & dirtyFlag) != 0;
                }
                segmentLast = Long.compareUnsigned(leafLast, last) < 0 ? leafLast : last;
                if (dirty)
                {
                    visitor.dirty(Long.compareUnsigned(leafFirst, start) > 0 ? leafFirst : start, segmentLast, sizeLg2);
                    if (clear && Long.compareUnsigned(leafFirst, start) >= 0 && Long.compareUnsigned(leafLast, last) <= 0)
                    {
                        for (int i = 0; i < count; i++)
                        {
                            final long slot = firstSlot + ((long)i << PageTableFormat.ENTRY_SIZE_LG2);
                            memory.writeEntry(slot, memory.readEntry(slot) & ~dirtyFlag);
                        }
                    }
                }
            }
            else if (kind == PageTableFormat.KIND_TABLE)
            {
                if (!isOwnTable(entry, level))
                {
                    return MapStatus.BAD_TABLE;
                }
                final MapStatus status = scanDirty(format.tableAddress(entry, level), level - 1, cur, segmentLast, clear, visitor);
                if (status != MapStatus.OK)
                {
                    return status;
                }
            }
            if (segmentLast == last)
            {
                return MapStatus.OK;
            }
            cur = segmentLast + 1;
        }
    }

    /** Split the leaf in {@code index} one step: replicas to item-sized leaves, or an item to a lower table. */
    private MapStatus splitLeaf(final long table, final int level, final int index)
    {
        final long entry = readSlot(table, index);
        final int sizeLg2 = format.leafSizeLg2(entry, level);
        final int itemLg2 = format.itemSizeLg2(level);
        final long attributes = format.attributes(entry, level);
        final long base = format.leafAddress(entry, level, sizeLg2);
        if (sizeLg2 > itemLg2)
        {
            final int count = 1 << format.replicaCountLg2(sizeLg2, level);
            final long firstSlot = slotAddress(table, index & -count);
            // Hardware may have set D in any one replica: every smaller leaf inherits it.
            final long dirtyFlag = format.dirtyFlag(level);
            long dirty = 0;
            for (int i = 0; i < count && dirtyFlag != 0; i++)
            {
                dirty |= memory.readEntry(firstSlot + ((long)i << PageTableFormat.ENTRY_SIZE_LG2)) & dirtyFlag;
            }
            final long first = format.makeLeaf(base, itemLg2, level, attributes) | dirty;
            memory.writeEntries(firstSlot, count, first, 1L << itemLg2);
            return MapStatus.OK;
        }
        if (level == 0)
        {
            return MapStatus.BAD_SIZE;
        }
        final int childLevel = level - 1;
        final int childItemLg2 = format.itemSizeLg2(childLevel);
        if ((format.leafSizes(childLevel) & (1L << childItemLg2)) == 0)
        {
            throw new IllegalStateException(format + " cannot hold " + childItemLg2 + "-bit leaves at level " + childLevel);
        }
        final long child = allocateTable();
        if (child == FrameAllocator.NO_FRAME)
        {
            return MapStatus.NO_MEMORY;
        }
        final int items = 1 << format.itemsPerTableLg2(childLevel);
        // Leaves of one size differ only in their address field, so consecutive items step by the item size. A dirty
        // leaf splits into dirty leaves: the tracker cannot know which part was written.
        final long dirty = (entry & format.dirtyFlag(level)) != 0 ? format.dirtyFlag(childLevel) : 0;
        memory.writeEntries(child, items, format.makeLeaf(base, childItemLg2, childLevel, attributes) | dirty, 1L << childItemLg2);
        liveItems[allocator.frameIndex(child)] = items;
        memory.writeEntry(slotAddress(table, index), format.makeTable(child, level));
        return MapStatus.OK;
    }

    private MapStatus mergeTable(final long table, final int level, final int index, final long entry)
    {
        final long child = format.tableAddress(entry, level);
        final int childLevel = level - 1;
        final int childItemLg2 = format.itemSizeLg2(childLevel);
        final int items = 1 << format.itemsPerTableLg2(childLevel);
        if (childLevel > 0)
        {
            for (int i = 0; i < items; i++)
            {
                final long childEntry = readSlot(child, i);
                if (format.kind(childEntry, childLevel) == PageTableFormat.KIND_TABLE && isOwnTable(childEntry, childLevel))
                {
                    mergeTable(child, childLevel, i, childEntry);
                }
            }
        }

        // Fast path: item-sized leaves whose entries differ only by the address step (the linear address field
        // the contract tests check) are uniform; one bulk pass over the frame decides it.
        final long first = readSlot(child, 0);
        final long step = 1L << childItemLg2;
        if (format.kind(first, childLevel) == PageTableFormat.KIND_LEAF &&
            format.validate(first, childLevel, PageTableFormat.KIND_LEAF) == WalkFault.NONE &&
            format.leafSizeLg2(first, childLevel) == childItemLg2)
        {
            final long firstOutput = format.leafAddress(first, childLevel, childItemLg2);
            if ((firstOutput & ((1L << format.itemSizeLg2(level)) - 1)) == 0 &&
                memory.matchEntries(child + PhysicalMemory.ENTRY_SIZE, items - 1, first + step, step,
                    PhysicalMemory.ENTRY_SIZE) == items - 1)
            {
                final long dirty = (first & format.dirtyFlag(childLevel)) != 0 ? format.dirtyFlag(level) : 0;
                memory.writeEntry(slotAddress(table, index),
                    format.makeLeaf(firstOutput, format.itemSizeLg2(level), level, format.attributes(first, childLevel)) | dirty);
                freeTable(child);
                return MapStatus.OK;
            }
        }

        long base = 0;
        long attributes = 0;
        long dirty = 0;
        for (int i = 0; i < items; i++)
        {
            final long childEntry = readSlot(child, i);
            dirty |= childEntry & format.dirtyFlag(childLevel);
            final int kind = format.kind(childEntry, childLevel);
            if (kind != PageTableFormat.KIND_LEAF || format.validate(childEntry, childLevel, kind) != WalkFault.NONE)
            {
                return MapStatus.NOT_UNIFORM;
            }
            final int sizeLg2 = format.leafSizeLg2(childEntry, childLevel);
            final long itemOutput = format.leafAddress(childEntry, childLevel, sizeLg2) +
                (((long)i << childItemLg2) & ((1L << sizeLg2) - 1));
            final long itemAttributes = format.attributes(childEntry, childLevel);
            if (i == 0)
            {
                base = itemOutput;
                attributes = itemAttributes;
                if ((base & ((1L << format.itemSizeLg2(level)) - 1)) != 0)
                {
                    return MapStatus.NOT_UNIFORM;
                }
            }
            else if (itemOutput != base + ((long)i << childItemLg2) || itemAttributes != attributes)
            {
                return MapStatus.NOT_UNIFORM;
            }
        }
        // The merged leaf is dirty when any leaf it folds was.
        memory.writeEntry(slotAddress(table, index),
            format.makeLeaf(base, format.itemSizeLg2(level), level, attributes) | (dirty != 0 ? format.dirtyFlag(level) : 0));
        freeTable(child);
        return MapStatus.OK;
    }

    private void clearSlots(final long firstSlot, final int count, final int level)
    {
        final long empty = format.emptyEntry(level);
        if (count == 1)
        {
            memory.writeEntry(firstSlot, empty);
        }
        else
        {
            memory.writeEntries(firstSlot, count, empty, 0);
        }
    }

    private void visitLeaves(final long table, final int level, final long tableInput, final int permissions,
        final LeafVisitor visitor)
    {
        final int items = 1 << format.itemsPerTableLg2(level);
        final int itemLg2 = format.itemSizeLg2(level);
        for (int i = 0; i < items; i++)
        {
            final long entry = readSlot(table, i);
            final int kind = format.kind(entry, level);
            if (kind == PageTableFormat.KIND_EMPTY || format.validate(entry, level, kind) != WalkFault.NONE)
            {
                continue;
            }
            final long input = inputOf(tableInput + ((long)i << itemLg2), level);
            final int effective = permissions & format.permissions(entry, level);
            if (kind == PageTableFormat.KIND_LEAF)
            {
                final int sizeLg2 = format.leafSizeLg2(entry, level);
                visitor.leaf(input, format.leafAddress(entry, level, sizeLg2), sizeLg2, effective, level);
                i += (1 << format.replicaCountLg2(sizeLg2, level)) - 1;
            }
            else if (format.nextLevel(entry, level) == level - 1)
            {
                visitLeaves(format.tableAddress(entry, level), level - 1, input, effective, visitor);
            }
        }
    }

    private void visitTables(final long table, final int level, final long tableInput, final TableVisitor visitor)
    {
        visitor.table(table, level, tableInput);
        if (level == 0)
        {
            return;
        }
        final int items = 1 << format.itemsPerTableLg2(level);
        final int itemLg2 = format.itemSizeLg2(level);
        for (int i = 0; i < items; i++)
        {
            final long entry = readSlot(table, i);
            if (format.kind(entry, level) == PageTableFormat.KIND_TABLE &&
                format.validate(entry, level, PageTableFormat.KIND_TABLE) == WalkFault.NONE &&
                format.nextLevel(entry, level) == level - 1)
            {
                visitTables(format.tableAddress(entry, level), level - 1, inputOf(tableInput + ((long)i << itemLg2), level), visitor);
            }
        }
    }

    /** Sign-extend a top-level input address for formats with canonical addresses. */
    private long inputOf(final long input, final int level)
    {
        if (level == format.topLevel() && format.signExtended())
        {
            final int shift = 64 - format.inputAddressLg2();
            return (input << shift) >> shift;
        }
        return input;
    }

    /** A valid table entry of the next level that points into this domain's table pool. */
    private boolean isOwnTable(final long entry, final int level)
    {
        if (format.validate(entry, level, PageTableFormat.KIND_TABLE) != WalkFault.NONE || format.nextLevel(entry, level) != level - 1)
        {
            return false;
        }
        final long table = format.tableAddress(entry, level);
        return table >= allocator.base() && table < allocator.end() && allocator.frameIndex(table) < liveItems.length;
    }

    private long readSlot(final long table, final int index)
    {
        return memory.readEntry(slotAddress(table, index));
    }

    private static long slotAddress(final long table, final int index)
    {
        return table + ((long)index << PageTableFormat.ENTRY_SIZE_LG2);
    }

    private long allocateTable()
    {
        final long frame = allocator.allocate();
        if (frame == FrameAllocator.NO_FRAME)
        {
            return frame;
        }
        final long empty = format.emptyEntry(format.topLevel());
        if (empty != 0)
        {
            memory.writeEntries(frame, PhysicalMemory.FRAME_SIZE >>> PageTableFormat.ENTRY_SIZE_LG2, empty, 0);
        }
        final int frameIndex = allocator.frameIndex(frame);
        if (frameIndex >= liveItems.length)
        {
            liveItems = Arrays.copyOf(liveItems, Math.max(frameIndex + 1, liveItems.length * 2));
        }
        liveItems[frameIndex] = 0;
        tablePages++;
        return frame;
    }

    private void freeTable(final long table)
    {
        allocator.free(table);
        tablePages--;
    }

    public String toString()
    {
        return "PageTable{" + format + ", root=0x" + Long.toHexString(root) + ", tablePages=" + tablePages + "}";
    }
}
