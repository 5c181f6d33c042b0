package org.iommuemu.pagetable;

import org.agrona.UnsafeApi;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * The one walker for every format: a three-way switch on the entry kind at each level.
 * <p>
 * The walk is bounded by the format's level count because every step goes to a strictly lower level,
 * so a table that points at itself, or any other hostile layout, cannot make it loop. Table addresses
 * come from the format already masked to its output width, so a hostile entry cannot reach outside
 * physical memory either. Nothing is allocated and nothing is thrown for any table content.
 * <p>
 * Shape: the hot path handles only valid table entries that point at the next level, through the format's
 * fused {@link PageTableFormat#tableStep}, unrolled by level (one block per constant level, so the format's
 * per-level arithmetic folds away); the last entry (a leaf, an empty or invalid entry, or a level-skipping
 * table) is sorted out after it with the separate functions. Permissions are not decoded per level: the
 * walker folds the raw entries into an AND and an OR and decodes them once
 * ({@link PageTableFormat#pathPermissions}). Keeping the hot path that small matters more than anything
 * else here: a hot walk is bound by the instructions it executes, not by memory.
 * <p>
 * Levels 3 to 0 are a method of their own ({@code lowerLevels}) that {@link #walk} calls directly for tables of up
 * to four levels; the levels above are a prefix for five- and six-level tables and resumed walks. That keeps the
 * common walk under C2's inlining limits (325 bytecodes; 2.5 KB of compiled code, which is why the formats' table
 * tests are single branches), so it compiles into its caller instead of costing a call and the caller's reloads.
 */
public final class Walker
{
    /** The highest level the walker handles: AMD-Vi mode 6 has six levels, 5 to 0. */
    public static final int MAX_LEVEL = 5;

    private static final long RECORD_SIZE = 1L << WalkResult.RECORD_SIZE_LG2;
    /** The top level {@link #lowerLevels} starts from: a table of four levels. */
    private static final int LOWER_TOP = 3;

    private Walker()
    {
    }

    /**
     * Walk from the table at {@code rootAddress} (a table of level {@code format.topLevel()}).
     *
     * @param access             {@link Permissions} bits the request needs (include {@link Permissions#USER}
     *                           for a user-mode request).
     * @param initialPermissions permissions granted before the first entry (for example an AMD-Vi DTE's
     *                           IR/IW); {@link Permissions#ALL} when nothing above the table restricts them.
     * @return true when the walk translated the address and the access is allowed.
     */
    public static boolean walk(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long rootAddress,
        final long inputAddress,
        final int access,
        final int initialPermissions,
        final WalkResult result)
    {
        final int top = format.topLevel();
        if (!format.isValidInput(inputAddress))
        {
            result.begin(inputAddress, access, initialPermissions, 0);
            result.finish(0, WalkFault.ADDRESS_WIDTH, top, 0, 0, 0);
            return false;
        }
        result.begin(inputAddress, access, initialPermissions, 0);
        if (top <= LOWER_TOP)
        {
            // Up to four levels (and no entries recorded yet): the small part of the walker, which the JIT can inline.
            return lowerLevels(format, memory, rootAddress, top, inputAddress, result, result.records, -1L, 0);
        }
        return walkFrom(format, memory, rootAddress, top, inputAddress, result);
    }

    /**
     * Resume a walk at the table of {@code level} at {@code tableAddress}, as a page-walk cache hit lets hardware
     * do: {@code permissionsAbove} are the permissions the skipped upper entries granted (ANDed with any initial
     * ones). The result records only the entries read from here on. Same guarantees as {@link #walk}.
     */
    public static boolean resume(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long tableAddress,
        final int level,
        final long inputAddress,
        final int access,
        final int permissionsAbove,
        final WalkResult result)
    {
        if (!format.isValidInput(inputAddress) || level < 0 || level > format.topLevel())
        {
            result.begin(inputAddress, access, permissionsAbove, 0);
            result.finish(0, WalkFault.ADDRESS_WIDTH, level, 0, 0, 0);
            return false;
        }
        result.begin(inputAddress, access, permissionsAbove, 0);
        return walkFrom(format, memory, tableAddress, level, inputAddress, result);
    }

    private static boolean walkFrom(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long startTable,
        final int startLevel,
        final long inputAddress,
        final WalkResult result)
    {
        final int entriesSoFar = result.entryCount();
        if (startLevel > MAX_LEVEL || entriesSoFar + startLevel >= WalkResult.MAX_ENTRIES)
        {
            throw tooDeep(format, startLevel, entriesSoFar);
        }
        long table = startTable;
        // Where the next entry is recorded; entriesSoFar + startLevel + 1 records fit (checked above).
        long record = result.records + ((long)entriesSoFar << WalkResult.RECORD_SIZE_LG2);
        // Every entry on the path folded into two words; the permissions come out of them once, at the end.
        long allEntries = -1L;
        long anyEntries = 0;
        // Unrolled by level, as lowerLevels: the two levels above a 4-level table.
        if (startLevel >= 5)
        {
            final long entry = readAndRecord(format, memory, table, inputAddress, 5, record);
            record += RECORD_SIZE;
            final long step = format.tableStep(entry, 5);
            if (step == PageTableFormat.NOT_A_TABLE)
            {
                return lastEntry(format, memory, entry, 5, inputAddress, allEntries, anyEntries, record, result);
            }
            allEntries &= entry;
            anyEntries |= entry;
            table = step;
        }
        if (startLevel >= 4)
        {
            final long entry = readAndRecord(format, memory, table, inputAddress, 4, record);
            record += RECORD_SIZE;
            final long step = format.tableStep(entry, 4);
            if (step == PageTableFormat.NOT_A_TABLE)
            {
                return lastEntry(format, memory, entry, 4, inputAddress, allEntries, anyEntries, record, result);
            }
            allEntries &= entry;
            anyEntries |= entry;
            table = step;
        }
        return lowerLevels(format, memory, table, startLevel, inputAddress, result, record, allEntries, anyEntries);
    }

    /**
     * Levels 3 to 0 of a walk (from {@code min(startLevel, 3)} down), with the entries above already folded into
     * {@code allEntries} and {@code anyEntries} and recorded up to {@code record}. Each block reads the entry of one
     * constant level, so the format's index shift and level tests and the memory's guess slot fold to constants,
     * and there is no loop to run. A block leaves to {@link #lastEntry} on anything but a valid table entry pointing
     * one level down. Kept to four levels, under the JIT's inlining limit, so a walk of a table of up to four levels
     * (every format's common case) compiles into its caller.
     */
    private static boolean lowerLevels(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long startTable,
        final int startLevel,
        final long inputAddress,
        final WalkResult result,
        final long firstRecord,
        final long allAbove,
        final long anyAbove)
    {
        long table = startTable;
        long record = firstRecord;
        long allEntries = allAbove;
        long anyEntries = anyAbove;
        long entry;
        int level;
        path:
        {
            if (startLevel >= 3)
            {
                entry = readAndRecord(format, memory, table, inputAddress, 3, record);
                record += RECORD_SIZE;
                final long step = format.tableStep(entry, 3);
                if (step == PageTableFormat.NOT_A_TABLE)
                {
                    level = 3;
                    break path;
                }
                allEntries &= entry;
                anyEntries |= entry;
                table = step;
            }
            if (startLevel >= 2)
            {
                entry = readAndRecord(format, memory, table, inputAddress, 2, record);
                record += RECORD_SIZE;
                final long step = format.tableStep(entry, 2);
                if (step == PageTableFormat.NOT_A_TABLE)
                {
                    level = 2;
                    break path;
                }
                allEntries &= entry;
                anyEntries |= entry;
                table = step;
            }
            if (startLevel >= 1)
            {
                entry = readAndRecord(format, memory, table, inputAddress, 1, record);
                record += RECORD_SIZE;
                final long step = format.tableStep(entry, 1);
                if (step == PageTableFormat.NOT_A_TABLE)
                {
                    level = 1;
                    break path;
                }
                allEntries &= entry;
                anyEntries |= entry;
                table = step;
            }
            entry = readAndRecord(format, memory, table, inputAddress, 0, record);
            record += RECORD_SIZE;
            level = 0;
        }
        return lastEntry(format, memory, entry, level, inputAddress, allEntries, anyEntries, record, result);
    }

    /**
     * The last entry read ({@code entry} at {@code level}; the valid table entries above it folded into
     * {@code allEntries} and {@code anyEntries}; {@code recordEnd} just past its record): a leaf is the
     * translation, anything else goes to {@link #notAValidLeaf}.
     */
    private static boolean lastEntry(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long entry,
        final int level,
        final long inputAddress,
        final long allEntries,
        final long anyEntries,
        final long recordEnd,
        final WalkResult result)
    {
        final int count = (int)((recordEnd - result.records) >>> WalkResult.RECORD_SIZE_LG2);
        final int access = result.access();
        final int permissionsAbove = result.permissionsAbove;
        final int kind = format.kind(entry, level);
        if (kind == PageTableFormat.KIND_LEAF)
        {
            final WalkFault invalid = format.validate(entry, level, kind);
            if (invalid == WalkFault.NONE)
            {
                final int permissions = permissionsAbove & format.pathPermissions(allEntries & entry, anyEntries | entry, level);
                final int sizeLg2 = format.leafSizeLg2(entry, level);
                final long outputAddress = format.leafAddress(entry, level, sizeLg2) | (inputAddress & ((1L << sizeLg2) - 1));
                final boolean allowed = (access & ~permissions) == 0;
                result.finish(count, allowed ? WalkFault.NONE : WalkFault.PERMISSION, level,
                    outputAddress, sizeLg2, permissions);
                return allowed;
            }
        }
        return notAValidLeaf(format, memory, entry, kind, level, inputAddress, access,
            permissionsAbove, allEntries, anyEntries, count, result);
    }

    /** A walk the walker cannot hold: a format with more levels than it handles (an emulator bug, not a fault). */
    private static IllegalStateException tooDeep(final PageTableFormat format, final int startLevel, final int entriesSoFar)
    {
        return startLevel > MAX_LEVEL ?
            new IllegalStateException(format + ": level " + startLevel + " above the walker's " + MAX_LEVEL) :
            new IllegalStateException("a walk of " + (entriesSoFar + startLevel + 1) + " entries");
    }

    /**
     * The walk ended on an empty entry, an invalid one or a valid table entry that does not point at the next
     * level: out of line, so that the hot path's compiled code stays small (fewer registers live, fewer spills).
     * Same order of checks as for a leaf: kind, then {@link PageTableFormat#validate}.
     * {@code allEntries} and {@code anyEntries} fold the valid table entries above {@code entry}.
     */
    private static boolean notAValidLeaf(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long entry,
        final int kind,
        final int level,
        final long inputAddress,
        final int access,
        final int permissionsAbove,
        final long allEntries,
        final long anyEntries,
        final int count,
        final WalkResult result)
    {
        if (kind == PageTableFormat.KIND_EMPTY)
        {
            result.finish(count, WalkFault.NOT_PRESENT, level, 0, 0, 0);
            return false;
        }
        final WalkFault invalid = format.validate(entry, level, kind);
        if (invalid != WalkFault.NONE)
        {
            result.finish(count, invalid, level, 0, 0, 0);
            return false;
        }
        final int permissions = permissionsAbove & format.pathPermissions(allEntries & entry, anyEntries | entry, level);
        return skipLevels(format, memory, entry, level, inputAddress, access, permissions, count, result);
    }

    /** Read the entry of {@code level} that decodes {@code inputAddress} and record it at {@code record}. */
    private static long readAndRecord(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long table,
        final long inputAddress,
        final int level,
        final long record)
    {
        final int index = format.index(inputAddress, level);
        final long entry = memory.readTableEntry(table, index, level);
        UnsafeApi.putLong(null, record, (table + ((long)index << PageTableFormat.ENTRY_SIZE_LG2)) | level);
        UnsafeApi.putLong(null, record + 8, entry);
        return entry;
    }

    /** A valid table entry that does not point at the next level: a bad encoding, or a level skip. */
    private static boolean skipLevels(
        final PageTableFormat format,
        final PhysicalMemory memory,
        final long entry,
        final int level,
        final long inputAddress,
        final int access,
        final int permissions,
        final int count,
        final WalkResult result)
    {
        final int next = format.nextLevel(entry, level);
        if (next < 0 || next >= level)
        {
            result.finish(count, WalkFault.BAD_LEVEL_ENCODING, level, 0, 0, 0);
            return false;
        }
        if (!skippedBitsClear(format, inputAddress, level, next))
        {
            // A level-skipping entry translates only inputs whose skipped index bits are zero.
            result.finish(count, WalkFault.NOT_PRESENT, level, 0, 0, 0);
            return false;
        }
        // Bounded: the level strictly decreases on every re-entry.
        result.begin(inputAddress, access, permissions, count);
        return walkFrom(format, memory, format.tableAddress(entry, level), next, inputAddress, result);
    }

    private static boolean skippedBitsClear(final PageTableFormat format, final long inputAddress, final int level, final int next)
    {
        final int low = format.itemSizeLg2(next + 1);
        final int high = format.itemSizeLg2(level);
        final long mask = ((1L << (high - low)) - 1) << low;
        return (inputAddress & mask) == 0;
    }
}
