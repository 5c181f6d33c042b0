package org.iommuemu.emulator.offline;

import java.io.PrintWriter;
import java.util.TreeMap;

import org.agrona.collections.LongHashSet;
import org.iommuemu.emulator.config.Numbers;
import org.iommuemu.emulator.image.ImageMemory;
import org.iommuemu.pagetable.PageTableFormat;
import org.iommuemu.pagetable.Permissions;
import org.iommuemu.pagetable.WalkFault;
import org.iommuemu.pagetable.WalkResult;
import org.iommuemu.pagetable.Walker;
import org.iommuemu.pagetable.memory.PhysicalMemory;

/**
 * One page-table tree of any {@link PageTableFormat} printed as runs: consecutive leaves whose input and output
 * are both contiguous, with the same page size, permissions and level, go on one line as
 * {@code first-last -> output first-last SIZE xCOUNT PERMS LEVEL}, followed by a summary line. Entries are
 * decoded by the format the walker uses, so a dump and a translation agree. Shared by the AMD-Vi (host v1 and
 * guest x86 tables) and VT-d (second- and first-stage) dumps.
 * <p>
 * Hostile tables cannot hang it or make it read what a walk would not: every table frame is read at most once
 * per tree (a second reference, a loop or a shared table, is a {@code !} line), tables outside the image are a
 * {@code !} line, and an entry a walk would fault on (reserved bits, a bad level) is a {@code !} line with its
 * address, value and walk fault. With {@link #tablesThrough} the tree's table addresses are guest-physical and
 * each is translated by another stage first (a nested walk's table fetches), as the hardware does.
 * <p>
 * A format whose leaves are replicated over several slots (AMD-Vi NextLevel=7) has each slot shown as the part
 * of the page it covers, so the replicas coalesce into their page; a replica that differs from the first slot of
 * its page is marked.
 */
public final class PageTableTreeDump
{
    private static final int MAX_LEVELS = 6;
    private static final int MAX_ITEMS = 512;

    private final PhysicalMemory memory;
    private final PrintWriter out;
    private final long[][] slots = new long[MAX_LEVELS][MAX_ITEMS];
    private final LongHashSet visited = new LongHashSet();
    private final TreeMap<Integer, Long> pagesBySize = new TreeMap<>();
    private final WalkResult stageWalk = new WalkResult();
    private String indent = "  ";
    private PageTableFormat format;
    private int permissionChars;
    private int inputDigits;
    // The stage that translates table addresses (null: they are host-physical).
    private PageTableFormat tableStage;
    private long tableStageRoot;
    private int tableStagePermissions;
    private String tableStageName;
    // The run being coalesced.
    private long runInput;
    private long runBytes;
    private long runOutput;
    private int runSizeLg2;
    private int runPermissions;
    private int runLevel;
    private long runs;
    private long tablePages;
    private long mappedBytes;

    public PageTableTreeDump(final PhysicalMemory memory, final PrintWriter out)
    {
        this.memory = memory;
        this.out = out;
    }

    /**
     * Treat the next trees' table addresses (the root included) as guest-physical, each translated by a read
     * walk of {@code stage} from {@code stageRoot} (with {@code stagePermissions} granted above it) before it is
     * read; {@code stageName} names that stage in {@code !} lines. Pass a null stage to read tables directly.
     */
    public PageTableTreeDump tablesThrough(final PageTableFormat stage, final long stageRoot, final int stagePermissions,
        final String stageName)
    {
        this.tableStage = stage;
        this.tableStageRoot = stageRoot;
        this.tableStagePermissions = stagePermissions;
        this.tableStageName = stageName;
        return this;
    }

    /**
     * Print the tree at {@code root} (a table of {@code format.topLevel()}) and its summary line, each line
     * starting with {@code indent}.
     *
     * @param initialPermissions granted above the root (an AMD-Vi DTE's IR/IW), {@link Permissions#ALL} if none.
     * @param permissionChars    how many letters of {@link Permissions#toString} the format can grant: 2 (rw)
     *                           or 4 (rwxu).
     */
    public void dump(final String indent, final PageTableFormat format, final long root, final int initialPermissions,
        final int permissionChars)
    {
        if (format.levels() > MAX_LEVELS || format.itemsPerTableLg2(format.topLevel()) > 9)
        {
            throw new IllegalArgumentException("format " + format + " has more levels or items than a dump holds");
        }
        this.indent = indent;
        this.format = format;
        this.permissionChars = permissionChars;
        this.inputDigits = format.signExtended() ? 16 : (Math.min(64, format.inputAddressLg2()) + 3) / 4;
        visited.clear();
        pagesBySize.clear();
        runBytes = 0;
        runs = 0;
        tablePages = 0;
        mappedBytes = 0;
        table(root, format.topLevel(), 0, initialPermissions);
        flush();
        final StringBuilder sizes = new StringBuilder();
        pagesBySize.forEach((lg2, count) -> sizes.append(sizes.length() == 0 ? "" :
            ", ").append(Numbers.size(lg2)).append(" x").append(count));
        out.printf("%s%s mapped in %d run%s%s; %d table page%s%n", indent, bytes(mappedBytes), runs, runs == 1 ? "" : "s",
            sizes.length() == 0 ? "" : " (" + sizes + ")", tablePages, tablePages == 1 ? "" : "s");
    }

    private void table(final long table, final int level, final long inputBase, final int permissions)
    {
        long hostTable = table;
        if (tableStage != null)
        {
            if (!Walker.walk(tableStage, memory, tableStageRoot, table, Permissions.READ, tableStagePermissions, stageWalk))
            {
                flush();
                out.printf("%s! L%d table GPA %s for IOVA %s: %s fails with %s: not followed%n", indent, level, Numbers.hex(table),
                    input(inputBase), tableStageName, stageWalk.fault());
                return;
            }
            hostTable = stageWalk.outputAddress() & -(long)PhysicalMemory.FRAME_SIZE;
        }
        if (memory instanceof ImageMemory image && !image.holds(hostTable, PhysicalMemory.FRAME_SIZE))
        {
            flush();
            out.printf("%s! L%d table %s for IOVA %s lies outside the image: reads as zero (nothing mapped)%n", indent, level,
                where(table, hostTable), input(inputBase));
            return;
        }
        if (!visited.add(hostTable))
        {
            flush();
            out.printf("%s! L%d table %s for IOVA %s was already shown (a loop or a shared table): not followed%n", indent, level,
                where(table, hostTable), input(inputBase));
            return;
        }
        tablePages++;
        final int items = 1 << format.itemsPerTableLg2(level);
        final int itemLg2 = format.itemSizeLg2(level);
        final long[] entries = slots[level];
        for (int i = 0; i < items; i++)
        {
            final long entryAddress = hostTable + ((long)i << PageTableFormat.ENTRY_SIZE_LG2);
            final long entry = memory.readEntry(entryAddress);
            entries[i] = entry;
            long inputAddress = inputBase + ((long)i << itemLg2);
            if (level == format.topLevel() && format.signExtended() && format.inputAddressLg2() < 64)
            {
                inputAddress = inputAddress << (64 - format.inputAddressLg2()) >> (64 - format.inputAddressLg2());
            }
            final int kind = format.kind(entry, level);
            if (kind == PageTableFormat.KIND_EMPTY)
            {
                continue;
            }
            final WalkFault fault = format.validate(entry, level, kind);
            if (fault != WalkFault.NONE)
            {
                flush();
                out.printf("%s! %s-%s L%d entry @%s = %016x: %s%n", indent, input(inputAddress),
                    input(inputAddress + (1L << itemLg2) - 1), level, Numbers.hex(entryAddress), entry, fault);
                continue;
            }
            final int effective = permissions & format.permissions(entry, level);
            if (kind == PageTableFormat.KIND_TABLE)
            {
                // A level-skipping entry (AMD-Vi) points at a lower level directly; its skipped index bits are zero.
                final int next = format.nextLevel(entry, level);
                if (next < 0 || next >= level)
                {
                    flush();
                    out.printf("%s! %s-%s L%d entry @%s = %016x: %s%n", indent, input(inputAddress),
                        input(inputAddress + (1L << itemLg2) - 1), level, Numbers.hex(entryAddress), entry, WalkFault.BAD_LEVEL_ENCODING);
                    continue;
                }
                table(format.tableAddress(entry, level), next, inputAddress, effective);
                continue;
            }
            final int sizeLg2 = format.leafSizeLg2(entry, level);
            if (sizeLg2 > itemLg2)
            {
                final int first = i & -(1 << (sizeLg2 - itemLg2));
                if (first != i && entries[first] != entry)
                {
                    flush();
                    out.printf("%s! %s L%d entry @%s = %016x differs from its first replica %016x%n", indent, input(inputAddress),
                        level, Numbers.hex(entryAddress), entry, entries[first]);
                }
            }
            final long output = format.leafAddress(entry, level, sizeLg2) | (inputAddress & ((1L << sizeLg2) - 1));
            leaf(inputAddress, 1L << itemLg2, output, sizeLg2, effective, level);
        }
    }

    private String where(final long table, final long hostTable)
    {
        return table == hostTable ? Numbers.hex(table) : "GPA " + Numbers.hex(table) + " (" + Numbers.hex(hostTable) + ")";
    }

    private void leaf(final long inputAddress, final long bytes, final long output, final int sizeLg2, final int permissions,
        final int level)
    {
        if (runBytes != 0 && inputAddress == runInput + runBytes && output == runOutput + runBytes && sizeLg2 == runSizeLg2 &&
            permissions == runPermissions && level == runLevel)
        {
            runBytes += bytes;
            return;
        }
        flush();
        runInput = inputAddress;
        runOutput = output;
        runBytes = bytes;
        runSizeLg2 = sizeLg2;
        runPermissions = permissions;
        runLevel = level;
    }

    private void flush()
    {
        if (runBytes == 0)
        {
            return;
        }
        final long pages = runBytes >>> runSizeLg2;
        final boolean whole = (runBytes & ((1L << runSizeLg2) - 1)) == 0 && ((runInput | runOutput) & ((1L << runSizeLg2) - 1)) == 0;
        out.printf("%s%s-%s -> %013x-%013x %5s x%-6d %s L%d%s%n", indent, input(runInput), input(runInput + runBytes - 1), runOutput,
            runOutput + runBytes - 1, Numbers.size(runSizeLg2), Math.max(1, pages),
            Permissions.toString(runPermissions).substring(0, permissionChars), runLevel, whole ? "" : " (part of a page)");
        runs++;
        mappedBytes += runBytes;
        pagesBySize.merge(runSizeLg2, Math.max(1, pages), Long::sum);
        runBytes = 0;
    }

    private String input(final long value)
    {
        return String.format("%0" + inputDigits + "x", value);
    }

    static String bytes(final long value)
    {
        if (value >= 1L << 30 && (value & ((1L << 30) - 1)) == 0)
        {
            return (value >>> 30) + " GiB";
        }
        if (value >= 1L << 20 && (value & ((1L << 20) - 1)) == 0)
        {
            return (value >>> 20) + " MiB";
        }
        return (value >>> 10) + " KiB";
    }
}
